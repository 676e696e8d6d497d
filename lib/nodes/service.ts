import type { Db } from "../../db/db.ts";
import * as nodes from "../../db/nodes.ts";
import type { Node, NodeContainer } from "../../db/nodes.ts";
import type { Limit } from "../auth/rate_limit.ts";
import { NotFoundError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { createApprovalService } from "./approval.ts";
import type { NodeChanges } from "./changes.ts";
import { createJoinService } from "./join.ts";
import { createJoinTokenService } from "./join_tokens.ts";
import { createPoolService } from "./pools.ts";
import type { PoolAssigner } from "./pool_assigner.ts";
import { createNodeSettingsService } from "./settings.ts";

/** What the node service needs; `now` and `joinLimit` are for tests. */
export interface NodeServiceDeps {
  db: Db;
  kv: Deno.Kv;
  log: Logger;
  nodeChanges: NodeChanges;
  now?: () => Date;
  joinLimit?: Limit;
  /** Re-evaluates pool membership after pool and label changes; absent, nothing does. */
  poolAssigner?: PoolAssigner;
}

/** Join tokens, joining, node reads and approval decisions: what the node routes call. */
export function createNodeService(deps: NodeServiceDeps) {
  const { db } = deps;
  return {
    ...createJoinTokenService(deps),
    ...createJoinService(deps),
    ...createApprovalService(deps),
    ...createNodeSettingsService(deps),

    /** Nodes, newest first unless sorted otherwise, optionally filtered. */
    listNodes(filter: Parameters<typeof nodes.listNodes>[1] = {}): Promise<Node[]> {
      return nodes.listNodes(db, filter);
    },

    /** One node with the containers recorded on it; 404 when there is no such node. */
    async getNodeDetail(id: string): Promise<{ node: Node; containers: NodeContainer[] }> {
      const node = await nodes.getNode(db, id);
      if (!node) throw new NotFoundError(`No node ${id}: list them with GET /api/v1/nodes`);
      return { node, containers: await nodes.listNodeContainers(db, id) };
    },
  };
}

/** The node service. */
export type NodeService = ReturnType<typeof createNodeService>;

const services = new WeakMap<object, NodeService>();

const poolServices = new WeakMap<object, ReturnType<typeof createPoolService>>();

/** The pool service of an app context, built on first use. */
export function poolService(app: NodeServiceDeps): ReturnType<typeof createPoolService> {
  let service = poolServices.get(app);
  if (!service) {
    service = createPoolService(app);
    poolServices.set(app, service);
  }
  return service;
}

/** The node service of an app context, built on first use and kept for the context's life. */
export function nodeService(app: NodeServiceDeps): NodeService {
  let service = services.get(app);
  if (!service) {
    service = createNodeService(app);
    services.set(app, service);
  }
  return service;
}
