import type { SSEStreamingApi } from "hono/streaming";
import type { Db } from "../../db/db.ts";
import * as nodes from "../../db/nodes.ts";
import { getNodesByIds } from "../../db/node_pages.ts";
import type { Node } from "../../db/nodes.ts";
import type { Logger } from "../log.ts";
import type { NodeChanges } from "./changes.ts";
import { coalescePerKey } from "./coalesce.ts";

/** Options of a node stream; tests shorten the intervals. */
export interface NodeStreamOptions {
  /** At most one refresh per node per this many milliseconds. */
  coalesceMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepaliveMs?: number;
  /** Only these nodes: the snapshot holds just them and other nodes' changes are skipped. */
  ids?: string[];
  /**
   * Batch mode: every change within this many milliseconds is sent as one `nodes` event
   * ({nodes, deleted}) read with one query, instead of a `node` event per node. Dashboards
   * showing many nodes use it, so 1,000 heartbeats a second cost a few events, not 1,000.
   */
  batchMs?: number;
}

/**
 * Feed one dashboard client: a `snapshot` event with every node, then a `node` event with the
 * fresh record for each change (or `deleted` with its id), until the client leaves or the
 * server shuts down. `toDto` shapes records the way the REST API does.
 */
export async function runNodeStream(
  deps: { db: Db; log: Logger; nodeChanges: NodeChanges; shutdown: AbortSignal },
  stream: SSEStreamingApi,
  toDto: (node: Node) => unknown,
  options: NodeStreamOptions = {},
): Promise<void> {
  const { db, log, nodeChanges, shutdown } = deps;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  let seq = 0;
  const send = (event: string, data: unknown) =>
    stream.writeSSE({ event, id: String(seq++), data: JSON.stringify(data) });

  // Sends run one after another so that a slow read cannot overtake a newer one.
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (step: () => Promise<void>) => {
    chain = chain.then(step).catch((err) => {
      log.warn("node stream ended by an error", { err });
      finish();
    });
  };
  const refresh = (nodeId: string) =>
    enqueue(async () => {
      if (stream.aborted || stream.closed) return;
      const node = await nodes.getNode(db, nodeId);
      await (node ? send("node", toDto(node)) : send("deleted", { id: nodeId }));
    });

  // Batch mode: ids changed since the last batch; the timer runs only while some wait.
  const dirty = new Set<string>();
  let batchTimer: ReturnType<typeof setTimeout> | undefined;
  const flushBatch = () =>
    enqueue(async () => {
      batchTimer = undefined;
      if (stream.aborted || stream.closed || dirty.size === 0) return;
      const ids = [...dirty];
      dirty.clear();
      const found = await getNodesByIds(db, ids);
      const present = new Set(found.map((n) => n.id));
      await send("nodes", {
        nodes: found.map(toDto),
        deleted: ids.filter((id) => !present.has(id)),
      });
    });
  const batchMs = options.batchMs;
  const coalescer = batchMs ? null : coalescePerKey(options.coalesceMs ?? 250, refresh);
  const only = options.ids ? new Set(options.ids) : null;
  const onChange = (nodeId: string) => {
    if (only && !only.has(nodeId)) return;
    if (!batchMs) return coalescer!.push(nodeId);
    dirty.add(nodeId);
    batchTimer ??= setTimeout(flushBatch, batchMs);
  };
  // Subscribe before reading the snapshot, so no change falls between the two.
  const unsubscribe = nodeChanges.subscribe((change) => onChange(change.nodeId));
  enqueue(async () => {
    const list = only ? await getNodesByIds(db, [...only]) : await nodes.listNodes(db);
    await send("snapshot", { nodes: list.map(toDto) });
  });
  const keepalive = setInterval(
    () => enqueue(() => stream.write(": keepalive\n\n").then(() => {})),
    options.keepaliveMs ?? 15_000,
  );
  stream.onAbort(finish);
  shutdown.addEventListener("abort", finish, { once: true });
  if (shutdown.aborted) finish();
  try {
    await done;
  } finally {
    clearInterval(keepalive);
    clearTimeout(batchTimer);
    coalescer?.close();
    unsubscribe();
    shutdown.removeEventListener("abort", finish);
  }
}
