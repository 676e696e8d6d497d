/**
 * One request compiled against the cluster view's indexes: the dynamic filters and every scorer
 * specialised to the request, reading only typed arrays (resources, membership tables, interned
 * label columns) and never the node objects, so a candidate costs tens of nanoseconds. It
 * computes exactly what `filters.ts` and `scorers.ts` compute on the live node views — the same
 * comparisons, and the same floating-point operations in the same order, so scores are
 * bit-for-bit equal. The tests hold it to that against the naive planner.
 *
 * A class rather than closures: one shape and one set of methods for every request, which the
 * JIT can inline into the sampling loop.
 */
import { SCORE_WEIGHTS, share } from "./scorers.ts";
import type { StaticIndex } from "./static_index.ts";
import type { AffinityRule, FilterName, PlacementRequest, Scores } from "./types.ts";
import type { UsageIndex } from "./usage_index.ts";

interface Rule {
  /** member[i] is 1 when node i runs a workload with the rule's label. */
  member: Uint8Array;
  /** 1 for affinity (wants such a node), 0 for anti-affinity. */
  near: number;
}

interface Preference {
  ids: Int32Array;
  id: number;
  weight: number;
  positive: boolean;
}

/** A request ready to test and score candidate nodes by index. */
export class Evaluator {
  readonly #usage: UsageIndex;
  readonly #mark: number;
  readonly #cpu: number;
  readonly #memory: number;
  readonly #disk: number;
  readonly #gpus: number;
  readonly #hard: Rule[];
  readonly #soft: Rule[];
  readonly #preferences: Preference[];
  readonly #preferenceTotal: number;
  readonly #volumeCount: number;
  readonly #binpack: boolean;

  /**
   * Compiles `req` against the indexes as they stand. Stamps nodes already running the workload
   * in `usage.blocked` with `usage.mark`, which the caller advances (`nextMark`) per request.
   */
  constructor(req: PlacementRequest, usage: UsageIndex, index: StaticIndex) {
    this.#usage = usage;
    const mark = this.#mark = usage.mark;
    const { resources } = req;
    this.#cpu = resources.cpuMillicores;
    this.#memory = resources.memoryMiB;
    this.#disk = resources.diskGiB;
    this.#gpus = resources.gpus;
    if (req.antiAffinitySelf) {
      for (const i of usage.workloadNodes(req.workloadId)) usage.blocked[i] = mark;
    }
    const rule = (affinity: AffinityRule): Rule => ({
      member: usage.runsLabelled(affinity.workloadLabel.key, affinity.workloadLabel.value),
      near: affinity.type === "affinity" ? 1 : 0,
    });
    this.#hard = req.affinity.filter((affinity) => affinity.hard).map(rule);
    this.#soft = req.affinity.filter((affinity) => !affinity.hard).map(rule);
    let total = 0;
    this.#preferences = req.nodePreferences.map((preference) => {
      const weight = Math.abs(preference.weight);
      total += weight;
      const column = index.labelColumn(preference.label);
      const id = column.values.get(preference.value) ?? -2;
      return { ids: column.ids, id, weight, positive: preference.weight > 0 };
    });
    this.#preferenceTotal = total;
    // How many of the request's volumes each node holds, valid where volumeMark[i] === mark (a
    // volume listed twice counts twice, as in the volumes scorer).
    const { volumeMark, volumesHeld } = usage;
    for (const volume of req.volumes) {
      for (const i of usage.volumeHolders(volume)) {
        if (volumeMark[i] !== mark) {
          volumeMark[i] = mark;
          volumesHeld[i] = 0;
        }
        volumesHeld[i]++;
      }
    }
    this.#volumeCount = req.volumes.length;
    this.#binpack = req.strategy === "binpack";
  }

  /** The first dynamic filter (in `DYNAMIC_FILTERS` order) rejecting node i, or null. */
  rejection(i: number): FilterName | null {
    const usage = this.#usage;
    if (!(usage.capCpu[i] - usage.allocCpu[i] >= this.#cpu)) return "cpu";
    if (!(usage.capMemory[i] - usage.allocMemory[i] >= this.#memory)) return "memory";
    if (!(usage.capDisk[i] - usage.allocDisk[i] >= this.#disk)) return "disk";
    if (!(usage.capGpus[i] - usage.allocGpus[i] >= this.#gpus)) return "gpus";
    if (usage.blocked[i] === this.#mark) return "antiAffinitySelf";
    const hard = this.#hard;
    for (let k = 0; k < hard.length; k++) {
      if (hard[k].member[i] !== hard[k].near) return "affinity";
    }
    return null;
  }

  /** Node i's score: what `scoreNode` returns for its live view. */
  score(i: number): number {
    // Mirrors scoreNode: each applicable scorer adds weight × value, in SCORERS order.
    let total = SCORE_WEIGHTS.rank * (this.#usage.rank[i] / 1000);
    let weights = SCORE_WEIGHTS.rank;
    const used = this.#utilisation(i);
    if (used >= 0) {
      const weight = this.#binpack ? SCORE_WEIGHTS.binpack : SCORE_WEIGHTS.spread;
      total += weight * (this.#binpack ? used : 1 - used);
      weights += weight;
    }
    let value = this.#affinity(i);
    if (value >= 0) {
      total += SCORE_WEIGHTS.affinity * value;
      weights += SCORE_WEIGHTS.affinity;
    }
    value = this.#preferred(i);
    if (value >= 0) {
      total += SCORE_WEIGHTS.preferences * value;
      weights += SCORE_WEIGHTS.preferences;
    }
    value = this.#volumes(i);
    if (value >= 0) {
      total += SCORE_WEIGHTS.volumes * value;
      weights += SCORE_WEIGHTS.volumes;
    }
    return Math.min(1, total / weights);
  }

  /** Node i's per-scorer values: what `scoreBreakdown` returns for its live view. */
  breakdown(i: number): Scores {
    const scores: Scores = { rank: this.#usage.rank[i] / 1000 };
    const used = this.#utilisation(i);
    if (used >= 0) scores[this.#binpack ? "binpack" : "spread"] = this.#binpack ? used : 1 - used;
    let value = this.#affinity(i);
    if (value >= 0) scores.affinity = value;
    value = this.#preferred(i);
    if (value >= 0) scores.preferences = value;
    value = this.#volumes(i);
    if (value >= 0) scores.volumes = value;
    return scores;
  }

  // Each helper returns its scorer's value, or -1 where the scorer returns null.

  #utilisation(i: number): number {
    const usage = this.#usage;
    let sum = 0;
    let dimensions = 0;
    let part = share(usage.capCpu[i], usage.allocCpu[i], this.#cpu);
    if (part >= 0) {
      sum += part;
      dimensions++;
    }
    part = share(usage.capMemory[i], usage.allocMemory[i], this.#memory);
    if (part >= 0) {
      sum += part;
      dimensions++;
    }
    part = share(usage.capDisk[i], usage.allocDisk[i], this.#disk);
    if (part >= 0) {
      sum += part;
      dimensions++;
    }
    part = this.#gpus > 0 ? share(usage.capGpus[i], usage.allocGpus[i], this.#gpus) : -1;
    if (part >= 0) {
      sum += part;
      dimensions++;
    }
    return dimensions === 0 ? -1 : Math.max(0, sum / dimensions);
  }

  #affinity(i: number): number {
    const soft = this.#soft;
    if (soft.length === 0) return -1;
    let satisfied = 0;
    for (let k = 0; k < soft.length; k++) if (soft[k].member[i] === soft[k].near) satisfied++;
    return satisfied / soft.length;
  }

  #preferred(i: number): number {
    if (this.#preferenceTotal === 0) return -1;
    const preferences = this.#preferences;
    let earned = 0;
    for (let k = 0; k < preferences.length; k++) {
      const preference = preferences[k];
      if ((preference.ids[i] === preference.id) === preference.positive) {
        earned += preference.weight;
      }
    }
    return earned / this.#preferenceTotal;
  }

  #volumes(i: number): number {
    if (this.#volumeCount === 0) return -1;
    const usage = this.#usage;
    return (usage.volumeMark[i] === this.#mark ? usage.volumesHeld[i] : 0) / this.#volumeCount;
  }
}
