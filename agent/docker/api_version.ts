// Engine API version negotiation: speak the lower of the daemon's version and ours, and refuse
// engines older than 20.10. Written against 1.41 semantics; newer engines reject pinned old
// versions below their minimum, so we never hard-pin.

import { DockerError } from "./errors.ts";

/** The newest API version this client has been written and tested against. */
export const OUR_MAX_API = "1.45";
/** The oldest API version we accept (Docker Engine 20.10). */
export const OUR_MIN_API = "1.41";

/** Compare Docker API versions like "1.41" numerically (negative when a < b). */
export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.split(".").map(Number);
  return aMajor !== bMajor ? aMajor - bMajor : aMinor - bMinor;
}

/** The API version to speak: the lower of the daemon's and ours; throws api_too_old below 1.41. */
export function negotiateApiVersion(daemonVersion: string, where = "Docker"): string {
  if (!/^\d+\.\d+$/.test(daemonVersion) || compareApiVersions(daemonVersion, OUR_MIN_API) < 0) {
    const spoken = daemonVersion || "(unknown)";
    throw new DockerError(
      "api_too_old",
      `${where} speaks Engine API ${spoken}, but Lattice needs ${OUR_MIN_API} or newer ` +
        "(Docker Engine 20.10+). Upgrade Docker.",
    );
  }
  return compareApiVersions(daemonVersion, OUR_MAX_API) < 0 ? daemonVersion : OUR_MAX_API;
}
