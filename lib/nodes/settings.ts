import type { Db } from "../../db/db.ts";
import * as nodes from "../../db/nodes.ts";
import type { Node } from "../../db/nodes.ts";
import { type NodeSettingsPatch, updateNodeSettings } from "../../db/node_settings.ts";
import type { Principal, RequestMeta } from "../auth/principal.ts";
import { NotFoundError } from "../errors.ts";
import { auditWithMeta } from "./audit.ts";
import type { NodeChanges } from "./changes.ts";
import type { PoolAssigner } from "./pool_assigner.ts";

/** An admin's changes to a node's labels, drain, hours, offer and pool pinning. */
export function createNodeSettingsService(
  deps: { db: Db; nodeChanges: NodeChanges; poolAssigner?: PoolAssigner },
) {
  const { db, nodeChanges } = deps;
  return {
    /**
     * Apply `patch` to node `id` (audited) and publish the change; 404 when there is no such
     * node. New labels or unpinning re-evaluate the node's pool before this returns, so the
     * answer shows where it now belongs.
     */
    async updateNodeSettings(
      p: Principal,
      id: string,
      patch: NodeSettingsPatch,
      meta: RequestMeta,
    ): Promise<Node> {
      await db.transaction(async (tx) => {
        const before = await nodes.getNodeForUpdate(tx, id);
        if (!before) throw new NotFoundError(`No node ${id}: list them with GET /api/v1/nodes`);
        await updateNodeSettings(tx, id, patch);
        await auditWithMeta(tx, {
          actorId: p.userId,
          actor: p.email,
          action: "node.update",
          outcome: "success",
          targetType: "node",
          targetId: id,
          details: { name: before.name, fields: Object.keys(patch), ...patch },
        }, meta);
      });
      nodeChanges.emit({ kind: "updated", nodeId: id });
      if (patch.labels !== undefined || patch.poolPinned === false) {
        await deps.poolAssigner?.assignNodes([id]);
      }
      const node = await nodes.getNode(db, id);
      if (!node) throw new NotFoundError(`No node ${id}: it was deleted meanwhile`);
      return node;
    },
  };
}
