/**
 * Whose fault a failed deploy is, for the node's rank: a node is not marked down for an image
 * that does not exist, a registry that refuses it, a spec Docker rejects or its owner's policy.
 * It is for Docker being down, timeouts, Docker's own errors, and pulls that fail on the way
 * (network, disk). Pure.
 */
export type DeployBlame = "node" | "workload";

/** Answers of registries about the image itself, as Docker passes them on in a pull error. */
const IMAGE_PROBLEMS = [
  /manifest unknown/i,
  /manifest for .* not found/i,
  /pull access denied/i,
  /repository does not exist/i,
  /requested access to the resource is denied/i,
  /invalid reference format/i,
  /no matching manifest/i,
  /unauthorized/i,
  /not found: manifest/i,
];

/** Codes that say the workload (its image or spec) is at fault, whatever the node. */
const WORKLOAD_CODES = new Set(["no_such_image", "bad_request", "policy_refused", "invalid_spec"]);

/** Blame a deploy failure on the node or on the workload, from the agent's code and message. */
export function deployBlame(code: string, message: string): DeployBlame {
  if (WORKLOAD_CODES.has(code)) return "workload";
  // Pulls fail as pull_failed, or as not_found when the registry answers 404 before streaming.
  if (
    (code === "pull_failed" || code === "not_found") &&
    IMAGE_PROBLEMS.some((re) => re.test(message))
  ) {
    return "workload";
  }
  return "node";
}
