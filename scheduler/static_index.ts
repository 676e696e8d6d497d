/**
 * The static half of the planner's index: which nodes pass the static filters (pool, approval,
 * online, computation hours, label constraints, agent version, runtime) for a request, as a bit
 * set combined from cached pieces, plus a GPU capacity prefilter (GPU nodes are rare; without it
 * the sampler would wade through GPU-less nodes). Requests that share those properties share
 * one candidate set; a candidate set is always a superset of the feasible nodes.
 *
 * Pieces are built on first use (a cluster pays only for the labels, pools and versions its
 * requests mention) and patched node by node when the cluster view replaces a node, so the
 * index lives as long as the view. Label values are interned per key into an integer column:
 * the set of nodes with `region=eu-west` is one pass over an Int32Array. Computation hours
 * depend on the clock; they are recomputed when the minute changes (windows are whole minutes).
 */
import type { Bits } from "./bitset.ts";
import { bitsWhere, countBits, createBits, hasBit, intersectInto, listBits } from "./bitset.ts";
import { subtractInto } from "./bitset.ts";
import { createFilterContext, type FilterContext, labelOf, STATIC_FILTERS } from "./filters.ts";
import { scheduleIncludes } from "./hours.ts";
import type { Reasons } from "./summary.ts";
import type { FilterName, LabelConstraint, NodeView, PlacementRequest } from "./types.ts";
import { compareVersions, parseVersion } from "./version.ts";

/** The nodes that may take requests with one static signature. */
export interface Candidates {
  /** Members pass every static filter and have the GPUs to ever hold the request. */
  bits: Bits;
  count: number;
  /** The members as a list, kept when they are sparse (see `SPARSE`); else null. */
  list: Int32Array | null;
  /** The pieces intersected (`negate`: subtracted) into `bits`, to patch it node by node. */
  parts: { bits: Bits; negate: boolean }[];
  /** Members labelled label=value (key label NUL value), for preference-guided sampling. */
  labelled: Map<string, Int32Array>;
}

/**
 * Below this share of all nodes, candidates are listed and sampled from the list; above it, the
 * sampler draws from all nodes and skips non-members (fewer than 1/SPARSE draws per hit), which
 * saves materialising a big list for each new signature.
 */
const SPARSE = 0.25;

/** One string property of every node, interned: `ids[i]` is node i's value id, -1 if absent. */
export interface Column {
  ids: Int32Array;
  values: Map<string, number>;
}

interface ColumnEntry extends Column {
  /** Value by id. */
  names: string[];
  read: (node: NodeView) => string | null | undefined;
}

/** A cached piece: its bits and the per-node test that rebuilds one bit after a patch. */
interface Piece {
  bits: Bits;
  test: (i: number) => boolean;
}

function constraintKey(constraint: LabelConstraint): string {
  switch (constraint.operator) {
    case "=":
    case "!=":
      return `${constraint.label}\u0001${constraint.operator}\u0001${constraint.value}`;
    case "in":
      return `${constraint.label}\u0001in\u0001${constraint.values.join("\u0002")}`;
    case "exists":
      return `${constraint.label}\u0001exists`;
  }
}

/** Static candidate sets over a cluster view's node array. */
export class StaticIndex {
  readonly size: number;
  /** The view's live node array (placements replace entries but never change static fields). */
  readonly #nodes: readonly NodeView[];
  readonly #pieces = new Map<string, Piece>();
  readonly #columns = new Map<string, ColumnEntry>();
  readonly #candidates = new Map<string, Candidates>();
  readonly #all: Bits;
  #minute = NaN;
  #ctx: FilterContext = createFilterContext(new Date(0));
  /** Inside computation hours at the current minute. */
  #hours: Bits;
  /** Approved, online and inside computation hours: where every candidate set starts. */
  #usable: Bits;

  constructor(nodes: readonly NodeView[]) {
    this.#nodes = nodes;
    this.size = nodes.length;
    this.#all = bitsWhere(this.size, () => true);
    this.#hours = createBits(this.size);
    this.#usable = createBits(this.size);
  }

  /** Judges computation hours at `now` (recomputed only when the minute changes). */
  setNow(now: Date): void {
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute === this.#minute) return;
    this.#minute = minute;
    this.#ctx = createFilterContext(now);
    this.#hours = bitsWhere(this.size, (i) => this.#insideHours(i));
    this.#usable = this.#hours.slice();
    intersectInto(this.#usable, this.#approved());
    intersectInto(this.#usable, this.#online());
    this.#candidates.clear();
  }

  /**
   * Re-reads node i after the view replaced it. Cached candidate sets are patched rather than
   * dropped: a heartbeat rarely changes which sets a node belongs to, and the worker applies
   * thousands of them between batches.
   */
  patch(i: number): void {
    const node = this.#nodes[i];
    for (const column of this.#columns.values()) column.ids[i] = intern(column, column.read(node));
    const flipped = new Set<Bits>();
    const update = (bits: Bits, value: boolean) => {
      if (value === hasBit(bits, i)) return;
      bits[i >>> 5] ^= 1 << (i & 31);
      flipped.add(bits);
    };
    for (const piece of this.#pieces.values()) update(piece.bits, piece.test(i));
    update(this.#hours, this.#insideHours(i));
    update(
      this.#usable,
      hasBit(this.#hours, i) && hasBit(this.#approved(), i) && hasBit(this.#online(), i),
    );
    if (flipped.size === 0) return;
    for (const [key, candidates] of this.#candidates) {
      candidates.labelled.clear();
      const { parts, bits } = candidates;
      if (!parts.some((part) => flipped.has(part.bits))) continue;
      const member = parts.every((part) => hasBit(part.bits, i) !== part.negate);
      if (member === hasBit(bits, i)) continue;
      if (candidates.list !== null) {
        this.#candidates.delete(key);
        continue;
      }
      bits[i >>> 5] ^= 1 << (i & 31);
      candidates.count += member ? 1 : -1;
    }
  }

  /** The candidate set for a request (cached per static signature). */
  candidates(req: PlacementRequest): Candidates {
    let key = `${req.poolId ?? ""}\u0000${req.minAgentVersion}\u0000${req.runtime ?? ""}\u0000${
      req.resources.gpus > 0 ? req.resources.gpus : ""
    }`;
    for (const constraint of req.constraints) key += `\u0000${constraintKey(constraint)}`;
    let candidates = this.#candidates.get(key);
    if (candidates === undefined) {
      const parts: Candidates["parts"] = [{ bits: this.#usable, negate: false }];
      const add = (bits: Bits, negate = false) => parts.push({ bits, negate });
      if (req.poolId !== null) add(this.#equals("pool", req.poolId));
      for (const constraint of req.constraints) {
        if (constraint.operator === "!=") {
          add(this.#labelEquals(constraint.label, constraint.value), true);
        } else add(this.#constraint(constraint));
      }
      if (req.minAgentVersion !== "") add(this.#minVersion(req.minAgentVersion));
      if (req.runtime !== undefined) add(this.#runtime(req.runtime));
      if (req.resources.gpus > 0) add(this.#gpus(req.resources.gpus));
      const bits = this.#usable.slice();
      for (const part of parts) {
        if (part.negate) subtractInto(bits, part.bits);
        else intersectInto(bits, part.bits);
      }
      const count = countBits(bits);
      const list = count <= this.size * SPARSE ? listBits(bits) : null;
      candidates = { bits, count, list, parts, labelled: new Map() };
      this.#candidates.set(key, candidates);
    }
    return candidates;
  }

  /** The candidates labelled `label=value` (cached with the candidate set). */
  labelled(candidates: Candidates, label: string, value: string): Int32Array {
    const key = `${label}\u0000${value}`;
    let list = candidates.labelled.get(key);
    if (list === undefined) {
      const bits = candidates.bits.slice();
      intersectInto(bits, this.#labelEquals(label, value));
      list = listBits(bits);
      candidates.labelled.set(key, list);
    }
    return list;
  }

  /** The interned values of one node label: `ids[i]` is -1 where node i lacks the label. */
  labelColumn(label: string): Readonly<Column> {
    return this.#column(`label:${label}`);
  }

  /**
   * Rejections by the static filters, counted as the full pipeline counts them (each node under
   * the first filter that rejects it), and the nodes that pass them all.
   */
  staticRejections(req: PlacementRequest): { reasons: Reasons; passed: Int32Array } {
    const reasons: Reasons = {};
    const remaining = this.#all.slice();
    for (const filter of STATIC_FILTERS) {
      const bits = this.#filterBits(filter.name, req);
      if (bits === null) continue;
      const rejected = remaining.slice();
      subtractInto(rejected, bits);
      const count = countBits(rejected);
      if (count > 0) reasons[filter.name] = count;
      intersectInto(remaining, bits);
    }
    return { reasons, passed: listBits(remaining) };
  }

  /** The nodes a static filter lets through for `req`; null when it lets every node through. */
  #filterBits(name: FilterName, req: PlacementRequest): Bits | null {
    switch (name) {
      case "pool":
        return req.poolId === null ? null : this.#equals("pool", req.poolId);
      case "approved":
        return this.#approved();
      case "online":
        return this.#online();
      case "hours":
        return this.#hours;
      case "constraints": {
        if (req.constraints.length === 0) return null;
        const bits = this.#all.slice();
        for (const constraint of req.constraints) {
          if (constraint.operator === "!=") {
            subtractInto(bits, this.#labelEquals(constraint.label, constraint.value));
          } else intersectInto(bits, this.#constraint(constraint));
        }
        return bits;
      }
      case "agentVersion":
        return req.minAgentVersion === "" ? null : this.#minVersion(req.minAgentVersion);
      case "runtime":
        return req.runtime === undefined ? null : this.#runtime(req.runtime);
      default:
        throw new Error(`Cannot index filter "${name}": it is not a static filter`);
    }
  }

  #approved(): Bits {
    return this.#piece("approved", (i) => this.#nodes[i].approved);
  }

  #online(): Bits {
    return this.#piece("online", (i) => this.#nodes[i].online);
  }

  #insideHours(i: number): boolean {
    const { schedule } = this.#nodes[i];
    if (schedule === null) return true;
    const at = this.#ctx.localTime(schedule.timezone);
    return at !== null && scheduleIncludes(schedule, at);
  }

  #piece(key: string, test: (i: number) => boolean): Bits {
    let piece = this.#pieces.get(key);
    if (piece === undefined) {
      piece = { bits: bitsWhere(this.size, test), test };
      this.#pieces.set(key, piece);
    }
    return piece.bits;
  }

  /** A column named "pool", "version" or "label:<key>". */
  #column(name: string): ColumnEntry {
    let column = this.#columns.get(name);
    if (column === undefined) {
      const read: ColumnEntry["read"] = name === "pool"
        ? (node) => node.poolId
        : name === "version"
        ? (node) => node.agentVersion
        : ((label) => (node: NodeView) => labelOf(node.labels, label))(name.slice(6));
      column = { ids: new Int32Array(this.size), values: new Map(), names: [], read };
      for (let i = 0; i < this.size; i++) column.ids[i] = intern(column, read(this.#nodes[i]));
      this.#columns.set(name, column);
    }
    return column;
  }

  /** Nodes whose column `name` holds `value`. */
  #equals(name: string, value: string): Bits {
    const column = this.#column(name);
    // Ids never change once given; a value no node has yet may get one after a patch.
    let id = column.values.get(value);
    return this.#piece(`=\u0000${name}\u0000${value}`, (i) => {
      id ??= column.values.get(value);
      return id !== undefined && column.ids[i] === id;
    });
  }

  #labelEquals(label: string, value: string): Bits {
    return this.#equals(`label:${label}`, value);
  }

  #constraint(constraint: LabelConstraint): Bits {
    const column = this.#column(`label:${constraint.label}`);
    switch (constraint.operator) {
      case "in": {
        const values = new Set(constraint.values);
        return this.#piece(`c\u0000${constraintKey(constraint)}`, (i) => {
          const id = column.ids[i];
          return id >= 0 && values.has(column.names[id]);
        });
      }
      case "exists":
        return this.#piece(`c\u0000${constraintKey(constraint)}`, (i) => column.ids[i] >= 0);
      default:
        return this.#labelEquals(constraint.label, constraint.value);
    }
  }

  #minVersion(min: string): Bits {
    // A cluster runs a handful of versions: compare each distinct one once.
    const column = this.#column("version");
    const floor = parseVersion(min);
    const recent: boolean[] = [];
    return this.#piece(`v\u0000${min}`, (i) => {
      const id = column.ids[i];
      return recent[id] ??= compareVersions(column.names[id], floor) >= 0;
    });
  }

  #runtime(runtime: string): Bits {
    return this.#piece(`r\u0000${runtime}`, (i) => this.#nodes[i].runtimes.includes(runtime));
  }

  #gpus(gpus: number): Bits {
    return this.#piece(`g\u0000${gpus}`, (i) => this.#nodes[i].capacity.gpus >= gpus);
  }
}

function intern(column: ColumnEntry, value: string | null | undefined): number {
  if (value === null || value === undefined) return -1;
  let id = column.values.get(value);
  if (id === undefined) {
    id = column.names.length;
    column.values.set(value, id);
    column.names.push(value);
  }
  return id;
}
