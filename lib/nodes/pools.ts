import type { Db } from "../../db/db.ts";
import { isUniqueViolation } from "../../db/db.ts";
import * as pools from "../../db/pools.ts";
import type { Principal, RequestMeta } from "../auth/principal.ts";
import { ConflictError, HttpError, NotFoundError } from "../errors.ts";
import { auditWithMeta } from "./audit.ts";
import type { NodeChanges } from "./changes.ts";
import type { PoolCriteria } from "./pool_criteria.ts";
import type { PoolAssigner } from "./pool_assigner.ts";

/** Fields of a new pool. */
export interface PoolInput {
  name: string;
  description: string;
  autoApprove: boolean;
  criteria: PoolCriteria;
}

/**
 * Pools: admin create, change, delete, and moving nodes between them. After a pool changes,
 * every unpinned node's membership is re-evaluated before the call returns (when an assigner
 * runs), so the answer's health already counts the nodes its criteria brought in.
 */
export function createPoolService(
  deps: { db: Db; nodeChanges: NodeChanges; poolAssigner?: PoolAssigner },
) {
  const { db } = deps;
  const reassign = async () => {
    await deps.poolAssigner?.assignAll();
  };
  const actor = (p: Principal) => ({ actorId: p.userId, actor: p.email });
  const taken = (name: string) =>
    new ConflictError(`A pool named "${name}" already exists; pick another name`);
  return {
    /** Every pool with its health. */
    listPools: () => pools.listPools(db),

    /** One pool; 404 when there is none. */
    async getPool(id: string): Promise<pools.Pool> {
      const pool = await pools.getPool(db, id);
      if (!pool) throw new NotFoundError(`No pool ${id}: list them with GET /api/v1/pools`);
      return pool;
    },

    /** Create a pool (audited). */
    async createPool(p: Principal, input: PoolInput, meta: RequestMeta): Promise<pools.Pool> {
      try {
        const id = await db.transaction(async (tx) => {
          const id = await pools.createPool(tx, input);
          await auditWithMeta(tx, {
            ...actor(p),
            action: "pool.create",
            outcome: "success",
            targetType: "pool",
            targetId: id,
            details: { name: input.name, auto_approve: input.autoApprove },
          }, meta);
          return id;
        });
        await reassign();
        return (await pools.getPool(db, id))!;
      } catch (err) {
        if (isUniqueViolation(err)) throw taken(input.name);
        throw err;
      }
    },

    /** Change a pool (audited). */
    async updatePool(
      p: Principal,
      id: string,
      patch: Partial<PoolInput>,
      meta: RequestMeta,
    ): Promise<pools.Pool> {
      if (id === pools.DEFAULT_POOL_ID && patch.name !== undefined && patch.name !== "default") {
        throw new HttpError(409, "conflict", "The default pool keeps its name");
      }
      try {
        const found = await db.transaction(async (tx) => {
          if (!(await pools.updatePool(tx, id, patch))) return false;
          await auditWithMeta(tx, {
            ...actor(p),
            action: "pool.update",
            outcome: "success",
            targetType: "pool",
            targetId: id,
            details: { fields: Object.keys(patch) },
          }, meta);
          return true;
        });
        if (!found) throw new NotFoundError(`No pool ${id}`);
      } catch (err) {
        if (isUniqueViolation(err)) throw taken(patch.name ?? "");
        throw err;
      }
      await reassign();
      return (await pools.getPool(db, id))!;
    },

    /** Delete a pool; its nodes move to the default pool (audited). */
    async deletePool(p: Principal, id: string, meta: RequestMeta): Promise<number> {
      if (id === pools.DEFAULT_POOL_ID) {
        throw new HttpError(409, "conflict", "The default pool cannot be deleted");
      }
      const moved = await db.transaction(async (tx) => {
        const moved = await pools.deletePool(tx, id);
        if (moved === null) return null;
        await auditWithMeta(tx, {
          ...actor(p),
          action: "pool.delete",
          outcome: "success",
          targetType: "pool",
          targetId: id,
          details: { nodes_moved: moved },
        }, meta);
        return moved;
      });
      if (moved === null) throw new NotFoundError(`No pool ${id}`);
      await reassign();
      return moved;
    },

    /** Move a node to a pool by hand and pin it there: criteria no longer move it (audited). */
    async moveNode(p: Principal, nodeId: string, poolId: string, meta: RequestMeta): Promise<void> {
      if (!(await pools.getPool(db, poolId))) throw new NotFoundError(`No pool ${poolId}`);
      const moved = await db.transaction(async (tx) => {
        if (!(await pools.setNodePool(tx, nodeId, poolId))) return false;
        await auditWithMeta(tx, {
          ...actor(p),
          action: "node.move_pool",
          outcome: "success",
          targetType: "node",
          targetId: nodeId,
          details: { pool_id: poolId, pinned: true },
        }, meta);
        return true;
      });
      if (!moved) throw new NotFoundError(`No node ${nodeId}`);
      deps.nodeChanges.emit({ kind: "updated", nodeId });
    },
  };
}
