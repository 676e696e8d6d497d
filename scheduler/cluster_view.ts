/**
 * The scheduler worker's in-memory view of the cluster (DESIGN §1): every node's latest
 * `NodeView`, plus the planner's indexes over them, kept current node by node. The main thread
 * feeds it (`upsert` on registration, heartbeat or a recorded allocation, `remove` when a node is
 * deleted) and the planner reads it; placements the planner makes are counted in the view right
 * away, so consecutive batches never overcommit a node, until the main thread's next `upsert`
 * of that node replaces the view's guess with the recorded truth.
 *
 * Indexes are built on first use and patched on `upsert`, so a long-lived view pays for an index
 * once, not per batch. Adding or removing a node changes every index's size; the view then
 * rebuilds its indexes on next use (nodes join and leave far less often than they report).
 *
 * The view copies the node array it is given and never mutates a `NodeView`: placements replace
 * the view's entry with a new object. Callers treat nodes as values too: upsert a new object
 * rather than changing one the view holds (an upsert of the same object is ignored).
 *
 * The view plans optimistically, as Nomad's schedulers do: whoever commits the allocations must
 * re-check capacity against fresh state, since an upsert may carry an `allocated` older than the
 * placements the view has just counted.
 */
import { StaticIndex } from "./static_index.ts";
import type { NodeView } from "./types.ts";
import { UsageIndex } from "./usage_index.ts";

/** The indexes a planner reads, valid until the view's node set changes. */
export interface ClusterIndexes {
  static: StaticIndex;
  usage: UsageIndex;
}

/** A mutable, indexed view of the cluster's nodes. */
export class ClusterView {
  readonly #nodes: NodeView[];
  readonly #positions = new Map<string, number>();
  #indexes: ClusterIndexes | null = null;

  constructor(nodes: readonly NodeView[] = []) {
    this.#nodes = [];
    for (const node of nodes) this.#put(node);
  }

  /** How many nodes the view holds. */
  get size(): number {
    return this.#nodes.length;
  }

  /** Every node, with the placements planned on this view counted in. */
  nodes(): readonly NodeView[] {
    return this.#nodes;
  }

  /** The node with this id, or undefined. */
  get(nodeId: string): NodeView | undefined {
    const i = this.#positions.get(nodeId);
    return i === undefined ? undefined : this.#nodes[i];
  }

  /** Adds a node, or replaces the node with the same id (patching the indexes). */
  upsert(node: NodeView): void {
    const i = this.#positions.get(node.id);
    if (i === undefined) {
      this.#put(node);
      this.#indexes = null;
      return;
    }
    const before = this.#nodes[i];
    if (before === node) return;
    this.#nodes[i] = node;
    if (this.#indexes) {
      this.#indexes.static.patch(i);
      this.#indexes.usage.patch(i, before);
    }
  }

  /** Removes a node; true when it was there. */
  remove(nodeId: string): boolean {
    const i = this.#positions.get(nodeId);
    if (i === undefined) return false;
    const last = this.#nodes.pop()!;
    this.#positions.delete(nodeId);
    if (i < this.#nodes.length) {
      this.#nodes[i] = last;
      this.#positions.set(last.id, i);
    }
    this.#indexes = null;
    return true;
  }

  /** The planner's indexes over the current nodes (built on first use after a change). */
  indexes(): ClusterIndexes {
    this.#indexes ??= {
      static: new StaticIndex(this.#nodes),
      usage: new UsageIndex(this.#nodes),
    };
    return this.#indexes;
  }

  #put(node: NodeView): void {
    const existing = this.#positions.get(node.id);
    if (existing !== undefined) {
      this.#nodes[existing] = node;
      return;
    }
    this.#positions.set(node.id, this.#nodes.length);
    this.#nodes.push(node);
  }
}
