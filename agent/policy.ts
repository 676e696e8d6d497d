/**
 * The volunteer's local policy (DESIGN §6). Whoever reaches the Docker socket has root on the
 * host, so the agent checks every container it creates against a policy that only the machine's
 * owner can change (a file in the agent's state dir, or `--policy FILE`), whatever the server
 * sends. The check runs on the final Docker create body, not on the spec, so nothing can slip
 * through the translation. Pure: no I/O besides `loadPolicy`'s injected file reader.
 */
import { LocalPolicy } from "./policy_schema.ts";
import type { DockerCreateBodyLike, PolicyContext, PolicyViolation } from "./policy_schema.ts";
import { NEVER, refuse, RULES, SOCKET_PATTERN, volumeDriverProblem } from "./policy_rules.ts";

export {
  type DockerCreateBodyLike,
  type DockerDeviceRequestLike,
  type DockerHostConfigLike,
  type DockerMountLike,
  LocalPolicy,
  type PolicyContext,
  type PolicyViolation,
} from "./policy_schema.ts";
export { imageMatches, normaliseImageReference } from "./image_patterns.ts";

/** The policy that applies when the owner wrote none. */
export function defaultPolicy(): LocalPolicy {
  return LocalPolicy.parse({});
}

/**
 * Read the owner's policy file; `null` means no file (defaults). A file that is missing, is not
 * JSON or breaks a rule is an error naming the file and the field, never a silent default.
 */
export async function loadPolicy(
  path: string | null,
  readTextFile: (path: string) => Promise<string> = Deno.readTextFile,
): Promise<{ policy: LocalPolicy; source: "default" | string }> {
  if (path === null) return { policy: defaultPolicy(), source: "default" };
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : String(error);
    throw new Error(`Cannot read policy file "${path}": ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `Cannot parse policy file "${path}": it is not valid JSON (${(error as Error).message})`,
    );
  }
  const parsed = LocalPolicy.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
      return `${where}: ${issue.message}`;
    });
    throw new Error(`Invalid policy file "${path}": ${problems.join("; ")}`);
  }
  return { policy: parsed.data, source: path };
}

/**
 * The agent's policy: `--policy FILE` when given (it must exist), else `policy.json` in the
 * state dir when present, else the defaults.
 */
export async function loadAgentPolicy(
  options: { stateDir: string; policyFile?: string | null },
  readTextFile: (path: string) => Promise<string> = Deno.readTextFile,
): Promise<{ policy: LocalPolicy; source: "default" | string }> {
  if (options.policyFile) return await loadPolicy(options.policyFile, readTextFile);
  const path = `${options.stateDir.replace(/[\\/]+$/, "")}/policy.json`;
  try {
    return await loadPolicy(path, readTextFile);
  } catch (error) {
    if ((error as Error).message.endsWith("no such file")) return loadPolicy(null);
    throw error;
  }
}

/** Every violation of the policy in a Docker create body, most fundamental first. */
export function findViolations(
  body: DockerCreateBodyLike,
  policy: LocalPolicy,
  ctx: PolicyContext,
): PolicyViolation[] {
  return RULES.map((rule) => rule(body, policy, ctx)).filter((v): v is PolicyViolation =>
    v !== null
  );
}

/** The first violation of the policy in the final Docker create body, or null if it may run. */
export function checkContainer(
  body: DockerCreateBodyLike,
  policy: LocalPolicy,
  ctx: PolicyContext,
): PolicyViolation | null {
  for (const rule of RULES) {
    const violation = rule(body, policy, ctx);
    if (violation) return violation;
  }
  return null;
}

/** Check a volume before creating it: local driver only, no driver options (they bind host paths). */
export function checkVolume(
  opts: { Name: string; Driver?: string; DriverOpts?: Record<string, string> | null },
  _policy: LocalPolicy,
): PolicyViolation | null {
  const hit = [opts.Name, ...Object.values(opts.DriverOpts ?? {})].find((t) =>
    SOCKET_PATTERN.test(t)
  );
  if (hit !== undefined) {
    return refuse(
      "no-docker-socket",
      `Refused volume "${opts.Name}": it names the engine's socket. ${NEVER}`,
    );
  }
  const problem = volumeDriverProblem(opts.Driver, opts.DriverOpts ?? undefined);
  return problem ? refuse("no-host-mounts", `Refused volume "${opts.Name}": ${problem}`) : null;
}
