/**
 * The dynamic half of the planner's index: what placements change, in forms the planner reads
 * without touching node objects (chasing pointers through thousands of nodes costs a cache miss
 * each; typed arrays do not): free resources and rank in typed arrays, and which nodes run a
 * workload, run workloads with a given label (lists for sampling, membership tables for filters
 * and scorers) or hold a volume — each built on first use.
 *
 * `apply` records a placement in all of them and in the live node array at once; `patch`
 * re-reads a node the cluster view replaced. Either way they never disagree with the nodes.
 */
import { withAllocation } from "./apply.ts";
import { labelOf, runsLabelled } from "./filters.ts";
import type { NodeView, PlacementRequest } from "./types.ts";

/** Nodes running a workload with one label value; `member` is built on first demand. */
interface Holders {
  nodes: number[];
  member: Uint8Array | null;
}

/** Resource, workload, label and volume indexes over a cluster view's live node array. */
export class UsageIndex {
  readonly size: number;
  readonly capCpu: Float64Array;
  readonly capMemory: Float64Array;
  readonly capDisk: Float64Array;
  readonly capGpus: Float64Array;
  readonly allocCpu: Float64Array;
  readonly allocMemory: Float64Array;
  readonly allocDisk: Float64Array;
  readonly allocGpus: Float64Array;
  readonly rank: Float64Array;
  /** Scratch for the planner: per-placement stamps, and every index in a reusable order. */
  readonly seen: Int32Array;
  readonly blocked: Int32Array;
  readonly everyNode: Int32Array;
  readonly volumeMark: Int32Array;
  readonly volumesHeld: Int32Array;
  #mark = 0;
  readonly #live: NodeView[];
  readonly #labels = new Map<string, Map<string, Holders>>();
  #workloads: Map<string, number[]> | null = null;
  #volumes: Map<string, number[]> | null = null;

  /** Indexes `live`, which `apply` then updates in place. */
  constructor(live: NodeView[]) {
    const n = live.length;
    this.size = n;
    this.#live = live;
    this.capCpu = new Float64Array(n);
    this.capMemory = new Float64Array(n);
    this.capDisk = new Float64Array(n);
    this.capGpus = new Float64Array(n);
    this.allocCpu = new Float64Array(n);
    this.allocMemory = new Float64Array(n);
    this.allocDisk = new Float64Array(n);
    this.allocGpus = new Float64Array(n);
    this.rank = new Float64Array(n);
    this.seen = new Int32Array(n);
    this.blocked = new Int32Array(n);
    this.everyNode = new Int32Array(n);
    this.volumeMark = new Int32Array(n);
    this.volumesHeld = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.everyNode[i] = i;
      this.#readScalars(i);
    }
  }

  /** The current placement's stamp: entries of seen, blocked and volumeMark equal to it are set. */
  get mark(): number {
    return this.#mark;
  }

  /** A fresh stamp for the next placement, so nothing stamped before counts any more. */
  nextMark(): number {
    // A long-lived view places billions of times; wrap before Int32 stamps would.
    if (this.#mark === 0x7fffffff) {
      this.seen.fill(0);
      this.blocked.fill(0);
      this.volumeMark.fill(0);
      this.#mark = 0;
    }
    return ++this.#mark;
  }

  /**
   * Nodes running a workload labelled key=value (built for all values of a key in one pass on
   * first use). Callers may reorder the list in place.
   */
  holders(key: string, value: string): number[] {
    return this.#holders(key, value).nodes;
  }

  /** `member[i]` is 1 when node i runs a workload labelled key=value, else 0. */
  runsLabelled(key: string, value: string): Uint8Array {
    const entry = this.#holders(key, value);
    if (entry.member === null) {
      entry.member = new Uint8Array(this.size);
      for (const i of entry.nodes) entry.member[i] = 1;
    }
    return entry.member;
  }

  /** Nodes running the workload (one pass over every placed workload, on first use). */
  workloadNodes(workloadId: string): readonly number[] {
    if (this.#workloads === null) {
      const workloads = new Map<string, number[]>();
      for (let i = 0; i < this.size; i++) {
        for (const placed of this.#live[i].workloadsPlaced) {
          addOnce(workloads, placed.workloadId, i);
        }
      }
      this.#workloads = workloads;
    }
    return this.#workloads.get(workloadId) ?? [];
  }

  /** Nodes holding a volume, each once. */
  volumeHolders(volume: string): readonly number[] {
    if (this.#volumes === null) {
      const volumes = new Map<string, number[]>();
      for (let i = 0; i < this.size; i++) {
        for (const name of this.#live[i].volumesHeld) addOnce(volumes, name, i);
      }
      this.#volumes = volumes;
    }
    return this.#volumes.get(volume) ?? [];
  }

  /** Counts an allocation against node `i`, in the live array and in every index built. */
  apply(i: number, req: PlacementRequest): void {
    const before = this.#live[i];
    const after = withAllocation(before, req);
    this.#live[i] = after;
    const { resources } = req;
    this.allocCpu[i] += resources.cpuMillicores;
    this.allocMemory[i] += resources.memoryMiB;
    this.allocDisk[i] += resources.diskGiB;
    this.allocGpus[i] += resources.gpus;
    // withAllocation adds the workload only when the node did not run it yet.
    if (after.workloadsPlaced === before.workloadsPlaced) return;
    if (this.#workloads !== null) add(this.#workloads, req.workloadId, i);
    for (const [key, byValue] of this.#labels) {
      const value = labelOf(req.labels, key);
      if (value === undefined || runsLabelled(before, key, value)) continue;
      let entry = byValue.get(value);
      if (entry === undefined) byValue.set(value, entry = { nodes: [], member: null });
      entry.nodes.push(i);
      if (entry.member !== null) entry.member[i] = 1;
    }
  }

  /** Re-reads node i after the view replaced `before` with the node now in the live array. */
  patch(i: number, before: NodeView): void {
    const after = this.#live[i];
    this.#readScalars(i);
    this.#patchWorkloads(i, before, after);
    if (this.#volumes !== null) {
      diff(new Set(before.volumesHeld), new Set(after.volumesHeld), (name, added) => {
        if (added) add(this.#volumes!, name, i);
        else remove(this.#volumes!.get(name), i);
      });
    }
  }

  #readScalars(i: number): void {
    const { capacity, allocated, rank } = this.#live[i];
    this.capCpu[i] = capacity.cpuMillicores;
    this.capMemory[i] = capacity.memoryMiB;
    this.capDisk[i] = capacity.diskGiB;
    this.capGpus[i] = capacity.gpus;
    this.allocCpu[i] = allocated.cpuMillicores;
    this.allocMemory[i] = allocated.memoryMiB;
    this.allocDisk[i] = allocated.diskGiB;
    this.allocGpus[i] = allocated.gpus;
    this.rank[i] = rank;
  }

  #patchWorkloads(i: number, before: NodeView, after: NodeView): void {
    if (this.#workloads !== null) {
      diff(workloadIds(before), workloadIds(after), (id, added) => {
        if (added) add(this.#workloads!, id, i);
        else remove(this.#workloads!.get(id), i);
      });
    }
    for (const [key, byValue] of this.#labels) {
      diff(labelValues(before, key), labelValues(after, key), (value, added) => {
        let entry = byValue.get(value);
        if (entry === undefined) byValue.set(value, entry = { nodes: [], member: null });
        if (added) entry.nodes.push(i);
        else remove(entry.nodes, i);
        if (entry.member !== null) entry.member[i] = added ? 1 : 0;
      });
    }
  }

  #holders(key: string, value: string): Holders {
    let byValue = this.#labels.get(key);
    if (byValue === undefined) {
      byValue = new Map();
      for (let i = 0; i < this.size; i++) {
        for (const placed of this.#live[i].workloadsPlaced) {
          const label = labelOf(placed.labels, key);
          if (label === undefined) continue;
          const entry = byValue.get(label);
          if (entry === undefined) byValue.set(label, { nodes: [i], member: null });
          else if (entry.nodes[entry.nodes.length - 1] !== i) entry.nodes.push(i);
        }
      }
      this.#labels.set(key, byValue);
    }
    let entry = byValue.get(value);
    if (entry === undefined) byValue.set(value, entry = { nodes: [], member: null });
    return entry;
  }
}

function workloadIds(node: NodeView): Set<string> {
  return new Set(node.workloadsPlaced.map((placed) => placed.workloadId));
}

/** The distinct values of label `key` over the workloads placed on the node. */
function labelValues(node: NodeView, key: string): Set<string> {
  const values = new Set<string>();
  for (const placed of node.workloadsPlaced) {
    const value = labelOf(placed.labels, key);
    if (value !== undefined) values.add(value);
  }
  return values;
}

/** Calls `change` for each element only in `before` (added false) or only in `after`. */
function diff<T>(before: Set<T>, after: Set<T>, change: (item: T, added: boolean) => void): void {
  for (const item of before) if (!after.has(item)) change(item, false);
  for (const item of after) if (!before.has(item)) change(item, true);
}

/** Adds node i under `key` unless it was the last node added there (builds go node by node). */
function addOnce(map: Map<string, number[]>, key: string, i: number): void {
  const nodes = map.get(key);
  if (nodes === undefined) map.set(key, [i]);
  else if (nodes[nodes.length - 1] !== i) nodes.push(i);
}

function add(map: Map<string, number[]>, key: string, i: number): void {
  const nodes = map.get(key);
  if (nodes === undefined) map.set(key, [i]);
  else nodes.push(i);
}

/** Removes node i from an unordered list (order carries no meaning: sampling shuffles it). */
function remove(nodes: number[] | undefined, i: number): void {
  if (nodes === undefined) return;
  const at = nodes.indexOf(i);
  if (at < 0) return;
  nodes[at] = nodes[nodes.length - 1];
  nodes.pop();
}
