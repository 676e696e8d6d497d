/**
 * Fixed-size bit sets over node indices, 32 nodes a word: intersecting the candidate sets of a
 * pool, a few label constraints and a version floor over 10,000 nodes is ~300 word operations.
 */

/** A set of node indices 0…n-1. */
export type Bits = Uint32Array;

/** An empty set for `n` nodes. */
export function createBits(n: number): Bits {
  return new Uint32Array((n + 31) >>> 5);
}

/** A set of the indices 0…n-1 for which `member` holds. */
export function bitsWhere(n: number, member: (index: number) => boolean): Bits {
  const bits = createBits(n);
  for (let i = 0; i < n; i++) if (member(i)) bits[i >>> 5] |= 1 << (i & 31);
  return bits;
}

/** Whether an index is in the set. */
export function hasBit(bits: Bits, index: number): boolean {
  return (bits[index >>> 5] & (1 << (index & 31))) !== 0;
}

/** target ← target ∩ other. */
export function intersectInto(target: Bits, other: Bits): void {
  for (let w = 0; w < target.length; w++) target[w] &= other[w];
}

/** target ← target ∖ other. */
export function subtractInto(target: Bits, other: Bits): void {
  for (let w = 0; w < target.length; w++) target[w] &= ~other[w];
}

/** The number of indices in the set. */
export function countBits(bits: Bits): number {
  let count = 0;
  for (let w = 0; w < bits.length; w++) {
    let v = bits[w];
    v = v - ((v >>> 1) & 0x55555555);
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    count += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  }
  return count;
}

/** The indices in the set, ascending. */
export function listBits(bits: Bits): Int32Array {
  const list = new Int32Array(countBits(bits));
  let next = 0;
  for (let w = 0; w < bits.length; w++) {
    let v = bits[w];
    while (v !== 0) {
      const low = v & -v;
      list[next++] = (w << 5) + 31 - Math.clz32(low);
      v ^= low;
    }
  }
  return list;
}
