/**
 * Seeded randomness for placement: a small 32-bit generator, a string hash to derive one
 * generator per allocation, and shuffles. Deterministic for a given seed, so a placement can be
 * replayed and ties always break the same way.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** A mulberry32 generator: 32 bits of state, fast, good enough to shuffle nodes. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 32-bit FNV-1a hash of a string's UTF-16 code units. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The generator for one allocation: mixes the batch seed with the workload id and the
 * allocation index, so replicas of one workload break ties differently but reproducibly.
 */
export function placementRandom(seed: number, workloadId: string, allocationIndex: number): Random {
  let mixed = (seed >>> 0) ^ hashString(workloadId);
  mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85ebca6b);
  mixed = (mixed + Math.imul(allocationIndex + 1, 0x9e3779b9)) >>> 0;
  return mulberry32(mixed);
}

/** The indices 0…n-1 in an order shuffled by `random` (Fisher–Yates). */
export function shuffledIndices(n: number, random: Random): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}

/**
 * Step `position` of a lazy Fisher–Yates shuffle of `items` in place: swaps a uniformly drawn
 * element of `items[position…]` into `position` and returns it. Drawing positions 0, 1, 2, …
 * yields a uniform sample without replacement whatever order `items` started in, so a shared
 * array can be reused across placements without resetting it.
 */
export function drawAt(items: Int32Array | number[], position: number, random: Random): number {
  const pick = position + Math.floor(random() * (items.length - position));
  const item = items[pick];
  items[pick] = items[position];
  items[position] = item;
  return item;
}
