import type { Db } from "../../db/db.ts";
import * as nodes from "../../db/nodes.ts";
import type { Approval, Node } from "../../db/nodes.ts";
import type { Principal, RequestMeta } from "../auth/principal.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { auditWithMeta } from "./audit.ts";
import type { NodeChanges } from "./changes.ts";

/** What an admin can decide about a node. */
export type ApprovalAction = "approve" | "reject" | "revoke";

const TARGET: Record<ApprovalAction, Approval> = {
  approve: "approved",
  reject: "rejected",
  revoke: "revoked",
};

/**
 * The approval a node moves to, "unchanged" when it is already there, or the reason the move
 * is not allowed. Pending and rejected nodes can be approved; only pending ones rejected (an
 * approved node is revoked instead); anything can be revoked, and revocation is final because
 * the key may be compromised.
 */
export function nextApproval(
  current: Approval,
  action: ApprovalAction,
): { approval: Approval } | "unchanged" | { refused: string } {
  const target = TARGET[action];
  if (current === target) return "unchanged";
  if (current === "revoked") {
    return { refused: "revoked nodes must join again with a new key" };
  }
  if (action === "reject" && current === "approved") {
    return { refused: "an approved node cannot be rejected; revoke it instead" };
  }
  return { approval: target };
}

/** Approving, rejecting and revoking nodes: written, audited, then published. */
export function createApprovalService(deps: { db: Db; nodeChanges: NodeChanges }) {
  const { db, nodeChanges } = deps;

  return {
    /** Apply `action` to node `id`, with an optional reason (required by the API for reject). */
    async decideNode(
      principal: Principal,
      id: string,
      decision: { action: ApprovalAction; reason?: string | null },
      meta: RequestMeta,
    ): Promise<Node> {
      const reason = decision.action === "approve" ? null : decision.reason ?? null;
      const result = await db.transaction(async (tx) => {
        const node = await nodes.getNodeForUpdate(tx, id);
        if (!node) throw new NotFoundError(`No node ${id}: list them with GET /api/v1/nodes`);
        const next = nextApproval(node.approval, decision.action);
        if (next === "unchanged") return { node, changed: false };
        if ("refused" in next) {
          throw new ConflictError(
            `Cannot ${decision.action} node "${node.name}": ${next.refused}`,
            { approval: node.approval },
          );
        }
        const updated = await nodes.setNodeApproval(tx, id, {
          approval: next.approval,
          reason,
          actorId: principal.userId,
        });
        await auditWithMeta(tx, {
          actorId: principal.userId,
          actor: principal.email,
          action: `node.${decision.action}`,
          outcome: "success",
          targetType: "node",
          targetId: id,
          details: { name: node.name, from: node.approval, to: next.approval, reason },
        }, meta);
        return { node: updated!, changed: true };
      });
      if (result.changed) {
        nodeChanges.emit({
          kind: "approval",
          nodeId: id,
          approval: result.node.approval,
          reason: result.node.approvalReason,
        });
      }
      return result.node;
    },
  };
}
