/**
 * The rules of the local policy, each a pure function of the final Docker create body that
 * returns a violation or null. agent/policy.ts runs them; the order of RULES is the order in
 * which refusals are reported (the most fundamental and most precise first).
 */
import { imageMatches } from "./image_patterns.ts";
import type {
  DockerCreateBodyLike,
  DockerDeviceRequestLike,
  LocalPolicy,
  PolicyContext,
  PolicyViolation,
} from "./policy_schema.ts";

/** One rule: a violation, or null when the body complies. */
export type Rule = (body: DockerCreateBodyLike, policy: LocalPolicy, ctx: PolicyContext) =>
  | PolicyViolation
  | null;

const POLICY_FILE = "the agent's policy file (policy.json in its state dir, or --policy FILE)";
/** The end of a refusal the owner cannot lift. */
export const NEVER = "Lattice never allows this on a volunteer's machine.";

function words(list: string): Set<string> {
  return new Set(list.split(" "));
}

/** A violation of `rule`. */
export function refuse(rule: string, message: string): PolicyViolation {
  return { rule, message };
}

function nonEmpty<T>(list: T[] | null | undefined): list is T[] {
  return Array.isArray(list) && list.length > 0;
}

/** True for namespace modes that join the host's or another container's namespace. */
function isSharedNamespace(mode: string | undefined): boolean {
  const normalised = (mode ?? "").trim().toLowerCase();
  return normalised === "host" || normalised.startsWith("container:");
}

/** Networks a container may join: Docker's default bridge, none, or networks Lattice made. */
function isOwnNetwork(name: string): boolean {
  return ["", "default", "bridge", "none"].includes(name) || name.startsWith("lattice-");
}

/** Paths of container engine sockets (Docker, its Windows pipe, containerd, Podman). */
export const SOCKET_PATTERN = /docker\.sock|docker_engine|containerd\.sock|podman\.sock/i;

const noPrivileged: Rule = (body) => {
  const message = `Refused privileged mode: it gives the container root on the host. ${NEVER}`;
  return body.HostConfig?.Privileged ? refuse("no-privileged", message) : null;
};

const noCapAdd: Rule = (body) => {
  const host = body.HostConfig ?? {};
  if (nonEmpty(host.CapAdd)) {
    return refuse("no-cap-add", `Refused extra capabilities (${host.CapAdd.join(", ")}). ${NEVER}`);
  }
  if (nonEmpty(host.Capabilities)) {
    return refuse(
      "no-cap-add",
      `Refused a replaced capability set (HostConfig.Capabilities). ${NEVER}`,
    );
  }
  return null;
};

const noHostNamespace: Rule = (body) => {
  const host = body.HostConfig ?? {};
  const modes = ["NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode", "Cgroup"] as const;
  for (const field of modes) {
    const mode = host[field];
    if (isSharedNamespace(mode)) {
      return refuse(
        "no-host-namespace",
        `Refused ${field} "${mode}": it shares the host's or another container's namespace. ${NEVER}`,
      );
    }
  }
  if (host.CgroupnsMode === "host") {
    return refuse("no-host-namespace", `Refused CgroupnsMode "host". ${NEVER}`);
  }
  if (nonEmpty(host.Links)) {
    return refuse("no-host-namespace", `Refused links to other containers on this node. ${NEVER}`);
  }
  const networks = [
    host.NetworkMode ?? "",
    ...Object.keys(body.NetworkingConfig?.EndpointsConfig ?? {}),
  ];
  const foreign = networks.find((name) => !isOwnNetwork(name));
  if (foreign !== undefined) {
    return refuse(
      "no-host-namespace",
      `Refused network "${foreign}": containers join only the default bridge, "none" or networks named "lattice-…", so they cannot reach the owner's other containers. ${NEVER}`,
    );
  }
  return null;
};

const noDockerSocket: Rule = (body) => {
  const host = body.HostConfig ?? {};
  const mentions = [
    ...(host.Binds ?? []),
    ...(host.Mounts ?? []).flatMap((m) => [
      m.Source ?? "",
      ...Object.values(m.VolumeOptions?.DriverConfig?.Options ?? {}),
    ]),
    ...(host.Devices ?? []).map((d) => d.PathOnHost ?? ""),
  ];
  const hit = mentions.find((text) => SOCKET_PATTERN.test(text));
  return hit === undefined ? null : refuse(
    "no-docker-socket",
    `Refused mounting the container engine's socket ("${hit}"): it is root on the host. ${NEVER}`,
  );
};

const noHostMounts: Rule = (body) => {
  const host = body.HostConfig ?? {};
  if (nonEmpty(host.Binds)) {
    return refuse("no-host-mounts", `Refused bind mounts (${host.Binds.join(", ")}). ${NEVER}`);
  }
  if (nonEmpty(host.VolumesFrom)) {
    return refuse(
      "no-host-mounts",
      `Refused VolumesFrom (${host.VolumesFrom.join(", ")}). ${NEVER}`,
    );
  }
  for (const mount of host.Mounts ?? []) {
    if (mount.Type === "tmpfs") continue;
    if (mount.Type !== "volume") {
      const what = `a ${mount.Type ?? "untyped"} mount at "${mount.Target}"`;
      return refuse("no-host-mounts", `Refused ${what}: only volumes and tmpfs. ${NEVER}`);
    }
    const driver = mount.VolumeOptions?.DriverConfig;
    const problem = volumeDriverProblem(driver?.Name, driver?.Options);
    if (problem) return refuse("no-host-mounts", `Refused volume "${mount.Source}": ${problem}`);
  }
  return null;
};

const managedVolumesOnly: Rule = (body) => {
  const foreign = (body.HostConfig?.Mounts ?? []).find((m) =>
    m.Type === "volume" && m.Source !== undefined && m.Source !== "" &&
    !m.Source.startsWith("lattice-")
  );
  return foreign === undefined ? null : refuse(
    "managed-volumes-only",
    `Refused volume "${foreign.Source}": only volumes named "lattice-…" (created by Lattice) may be mounted, so a container cannot reach the owner's other volumes. ${NEVER}`,
  );
};

const noDevices: Rule = (body, policy) => {
  const host = body.HostConfig ?? {};
  if (nonEmpty(host.Devices)) {
    const paths = host.Devices.map((d) => d.PathOnHost).join(", ");
    return refuse("no-devices", `Refused host devices (${paths}). ${NEVER}`);
  }
  if (nonEmpty(host.DeviceCgroupRules)) {
    return refuse("no-devices", `Refused device cgroup rules. ${NEVER}`);
  }
  for (const request of host.DeviceRequests ?? []) {
    const problem = gpuRequestProblem(request, policy);
    if (problem) return refuse("no-devices", problem);
  }
  return null;
};

function gpuRequestProblem(request: DockerDeviceRequestLike, policy: LocalPolicy): string | null {
  if (!policy.gpus.offer) {
    return `Refused a GPU request: this node does not offer GPUs. The owner can set "gpus": {"offer": true} in ${POLICY_FILE}.`;
  }
  const isGpu = (request.Driver === "nvidia" || !request.Driver) &&
    nonEmpty(request.Capabilities) && request.Capabilities.every((set) => set.includes("gpu"));
  if (!isGpu || Object.keys(request.Options ?? {}).length > 0) {
    return `Refused a device request that is not a plain NVIDIA GPU request (driver "${
      request.Driver ?? ""
    }"). ${NEVER}`;
  }
  const count = nonEmpty(request.DeviceIDs) ? request.DeviceIDs.length : request.Count ?? 0;
  const max = policy.gpus.maxPerContainer;
  if (max !== undefined && (count < 0 || count > max)) {
    const asked = count < 0 ? "all GPUs" : `${count} GPUs`;
    return `Refused ${asked}: at most ${max} per container. The owner can raise "gpus.maxPerContainer" in ${POLICY_FILE}.`;
  }
  return null;
}

const knownRuntime: Rule = (body, policy, ctx) => {
  const named = body.HostConfig?.Runtime;
  const runtime = named || ctx.defaultRuntime || "runc";
  if (!policy.allowedRuntimes.includes(runtime)) {
    return refuse(
      "known-runtime",
      `Refused runtime "${runtime}": the owner allows ${
        policy.allowedRuntimes.join(", ") || "none"
      }. The owner can add it to "allowedRuntimes" in ${POLICY_FILE}.`,
    );
  }
  // Without a name Docker uses its default runtime, which exists by definition.
  if (named && !ctx.dockerRuntimes.includes(named)) {
    return refuse(
      "known-runtime",
      `Refused runtime "${named}": Docker on this node does not have it (it has ${
        ctx.dockerRuntimes.join(", ") || "none"
      }).`,
    );
  }
  return null;
};

const LOOPBACK = new Set(["127.0.0.1", "::1"]);

const localhostPorts: Rule = (body, policy) => {
  if (policy.allowPublicPorts) return null;
  const host = body.HostConfig ?? {};
  const allow = `The owner can set "allowPublicPorts": true in ${POLICY_FILE}.`;
  if (host.PublishAllPorts) {
    return refuse("localhost-ports", `Refused PublishAllPorts: it binds every interface. ${allow}`);
  }
  for (const [port, bindings] of Object.entries(host.PortBindings ?? {})) {
    for (const binding of bindings ?? []) {
      const ip = binding.HostIp ?? "";
      if (!LOOPBACK.has(ip)) {
        return refuse(
          "localhost-ports",
          `Refused publishing ${port} on ${
            ip || "0.0.0.0"
          }: ports bind to 127.0.0.1 only. ${allow}`,
        );
      }
    }
  }
  return null;
};

const limitsRequired: Rule = (body, policy) => {
  const host = body.HostConfig ?? {};
  const missing = [
    !(Number(host.NanoCpus) > 0) && "NanoCpus",
    !(Number(host.Memory) > 0) && "Memory",
    !(Number(host.PidsLimit) > 0) && "PidsLimit",
  ].filter(Boolean);
  if (missing.length > 0) {
    return refuse(
      "limits-required",
      `Refused a container without CPU, memory and process limits (missing ${
        missing.join(", ")
      }). ${NEVER}`,
    );
  }
  const maxima: [number, number | undefined, string, string][] = [
    [(host.NanoCpus as number) / 1e9, policy.maxCpusPerContainer, "CPUs", "maxCpusPerContainer"],
    [
      host.Memory as number,
      policy.maxMemoryBytesPerContainer,
      "bytes of memory",
      "maxMemoryBytesPerContainer",
    ],
    [host.PidsLimit as number, policy.maxPidsPerContainer, "processes", "maxPidsPerContainer"],
  ];
  for (const [asked, max, unit, field] of maxima) {
    if (max !== undefined && asked > max) {
      return refuse(
        "limits-required",
        `Refused ${asked} ${unit}: at most ${max} per container. The owner can raise "${field}" in ${POLICY_FILE}.`,
      );
    }
  }
  const escapes: [unknown, string][] = [
    [host.OomKillDisable, "OomKillDisable: it defeats the memory limit"],
    [host.CgroupParent, "CgroupParent: it moves the container out of Docker's cgroup"],
    [Number(host.OomScoreAdj) < 0, "a negative OomScoreAdj: the host's processes would die first"],
  ];
  const escape = escapes.find(([isSet]) => isSet);
  return escape ? refuse("limits-required", `Refused ${escape[1]}. ${NEVER}`) : null;
};

const SAFE_SECURITY_OPTS = words("no-new-privileges no-new-privileges:true no-new-privileges=true");

const noSecurityOptUnconfined: Rule = (body) => {
  const host = body.HostConfig ?? {};
  const unsafe = (host.SecurityOpt ?? []).find((opt) => !SAFE_SECURITY_OPTS.has(opt.trim()));
  if (unsafe !== undefined) {
    // Custom seccomp/AppArmor/SELinux settings can be as open as "unconfined", so only the
    // daemon's defaults are accepted.
    const shown = unsafe.length > 80 ? `${unsafe.slice(0, 80)}…` : unsafe;
    return refuse(
      "no-security-opt-unconfined",
      `Refused security option "${shown}": containers keep Docker's default seccomp, AppArmor and SELinux confinement. ${NEVER}`,
    );
  }
  if (host.MaskedPaths != null || host.ReadonlyPaths != null) {
    return refuse(
      "no-security-opt-unconfined",
      `Refused MaskedPaths/ReadonlyPaths: they unmask the host's /proc and /sys. ${NEVER}`,
    );
  }
  return null;
};

const noSysctls: Rule = (body) =>
  Object.keys(body.HostConfig?.Sysctls ?? {}).length > 0
    ? refuse("no-sysctls", `Refused kernel parameters (Sysctls). ${NEVER}`)
    : null;

const imageAllowed: Rule = (body, policy) => {
  const image = body.Image ?? "";
  const denied = policy.deniedImages?.find((pattern) => imageMatches(image, pattern));
  if (denied !== undefined) {
    return refuse(
      "image-allowed",
      `Refused image "${image}": the owner denies "${denied}" in ${POLICY_FILE}.`,
    );
  }
  const allowed = policy.allowedImages;
  if (allowed !== undefined && !allowed.some((pattern) => imageMatches(image, pattern))) {
    return refuse(
      "image-allowed",
      `Refused image "${image}": it matches none of "allowedImages". The owner can add it in ${POLICY_FILE}.`,
    );
  }
  return null;
};

/**
 * Settings with no bearing on isolation; any other `HostConfig` key with a value is refused, so
 * a field that a newer Docker adds cannot open a hole the rules above do not know about.
 */
const HARMLESS_HOST_CONFIG = words(
  "AutoRemove BlkioWeight CapDrop ConsoleSize CpuPeriod CpuQuota CpuShares CpusetCpus " +
    "CpusetMems Dns DnsOptions DnsSearch ExtraHosts GroupAdd Init Isolation LogConfig " +
    "MemoryReservation MemorySwap MemorySwappiness ReadonlyRootfs RestartPolicy ShmSize Tmpfs " +
    "Ulimits",
);
const CHECKED_HOST_CONFIG = words(
  "Privileged CapAdd Capabilities NetworkMode PidMode IpcMode UTSMode UsernsMode " +
    "CgroupnsMode Cgroup CgroupParent Binds Mounts VolumesFrom Links Devices " +
    "DeviceCgroupRules DeviceRequests Runtime PortBindings PublishAllPorts NanoCpus Memory " +
    "PidsLimit OomKillDisable OomScoreAdj SecurityOpt MaskedPaths ReadonlyPaths Sysctls",
);
const KNOWN_TOP_LEVEL = words(
  "Image Cmd Entrypoint Env Labels WorkingDir User ExposedPorts HostConfig NetworkingConfig " +
    "Tty OpenStdin StdinOnce AttachStdin AttachStdout AttachStderr Hostname Domainname " +
    "StopSignal StopTimeout Healthcheck Volumes NetworkDisabled Shell ArgsEscaped",
);

const knownSettings: Rule = (body) => {
  const unknownKey = (object: Record<string, unknown>, known: (key: string) => boolean) =>
    Object.keys(object).find((key) =>
      object[key] !== undefined && object[key] !== null && !known(key)
    );
  const top = unknownKey(body, (key) => KNOWN_TOP_LEVEL.has(key));
  const host = unknownKey(
    body.HostConfig ?? {},
    (key) => HARMLESS_HOST_CONFIG.has(key) || CHECKED_HOST_CONFIG.has(key),
  );
  const field = top ?? (host === undefined ? undefined : `HostConfig.${host}`);
  return field === undefined ? null : refuse(
    "known-settings",
    `Refused setting ${field}: this agent does not know it to be safe. Update the agent if the server needs it.`,
  );
};

/** Every rule, in the order their refusals are reported. */
export const RULES: Rule[] = [
  noPrivileged,
  noCapAdd,
  noHostNamespace,
  noDockerSocket,
  noHostMounts,
  managedVolumesOnly,
  noDevices,
  knownRuntime,
  localhostPorts,
  limitsRequired,
  noSecurityOptUnconfined,
  noSysctls,
  imageAllowed,
  knownSettings,
];

/** Why a volume driver and its options could reach host paths, or null. */
export function volumeDriverProblem(
  driver: string | undefined,
  options: Record<string, string> | undefined,
): string | null {
  if (driver && driver !== "local") {
    return `volume driver "${driver}" is not allowed; only Docker's "local" driver is. ${NEVER}`;
  }
  const keys = Object.keys(options ?? {});
  if (keys.length > 0) {
    // The local driver's options (type, o, device) mount arbitrary host paths: o=bind,device=/.
    const shown = keys.map((k) => `${k}=${options![k]}`).join(", ");
    return `driver options (${shown}) can mount host paths. ${NEVER}`;
  }
  return null;
}
