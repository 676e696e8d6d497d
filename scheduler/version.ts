/**
 * Dotted numeric versions ("1.10.2"), compared part by part as numbers, so 1.10 > 1.9.
 * A part's leading digits count ("3-beta" is 3, "v1" is 0); missing parts are 0, so
 * "1.2" equals "1.2.0".
 */

// A cluster runs a handful of agent versions; parsing each once keeps the version filter cheap
// when it runs for every node. Bounded so odd input cannot grow it without limit.
const parsed = new Map<string, number[]>();

/** The numeric parts of a dotted version. */
export function parseVersion(version: string): number[] {
  let parts = parsed.get(version);
  if (parts === undefined) {
    parts = parseUncached(version);
    if (parsed.size >= 1000) parsed.clear();
    parsed.set(version, parts);
  }
  return parts;
}

function parseUncached(version: string): number[] {
  const text = version.trim().replace(/^v/i, "");
  if (text === "") return [];
  return text.split(".").map((part) => {
    const digits = /^\d+/.exec(part);
    return digits ? Number(digits[0]) : 0;
  });
}

/** Negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareVersions(a: string | number[], b: string | number[]): number {
  const left = typeof a === "string" ? parseVersion(a) : a;
  const right = typeof b === "string" ? parseVersion(b) : b;
  const length = Math.max(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
