/**
 * The Deno permissions the agent runs with (as `deno task agent` grants them): network to the
 * control plane and Docker's socket, its state dir, its environment, child processes (keep-awake,
 * the service manager, probes) and system facts (CPU, memory, hostname).
 */
export const AGENT_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
] as const;
