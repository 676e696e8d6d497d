import assert from "node:assert/strict";
import {
  checkContainer,
  checkVolume,
  defaultPolicy,
  type DockerCreateBodyLike,
  findViolations,
  imageMatches,
  loadAgentPolicy,
  loadPolicy,
  LocalPolicy,
  normaliseImageReference,
  type PolicyContext,
} from "./policy.ts";

const ctx = { dockerRuntimes: ["runc", "nvidia", "runsc"] };

/** A body that every rule accepts under the default policy. */
function cleanBody(): DockerCreateBodyLike {
  return {
    Image: "postgres:16",
    Cmd: ["postgres"],
    Env: ["POSTGRES_PASSWORD=secret"],
    Labels: { "dev.lattice.managed": "true" },
    ExposedPorts: { "5432/tcp": {} },
    HostConfig: {
      PortBindings: { "5432/tcp": [{ HostIp: "127.0.0.1", HostPort: "15432" }] },
      RestartPolicy: { Name: "unless-stopped" },
      NanoCpus: 1_000_000_000,
      Memory: 512 * 1024 * 1024,
      PidsLimit: 512,
      Mounts: [
        { Type: "volume", Source: "lattice-pgdata", Target: "/var/lib/postgresql/data" },
        { Type: "tmpfs", Target: "/tmp" },
      ],
      SecurityOpt: ["no-new-privileges:true"],
      CapDrop: ["NET_RAW"],
      LogConfig: { Type: "json-file", Config: { "max-size": "10m" } },
    },
  };
}

type HostConfig = NonNullable<DockerCreateBodyLike["HostConfig"]>;

/** The clean body with some HostConfig fields replaced. */
function withHost(host: HostConfig, top: Partial<DockerCreateBodyLike> = {}): DockerCreateBodyLike {
  const body = cleanBody();
  return { ...body, ...top, HostConfig: { ...body.HostConfig, ...host } };
}

Deno.test("checkContainer() lets a clean body through under the default policy", () => {
  assert.equal(checkContainer(cleanBody(), defaultPolicy(), ctx), null);
  assert.deepEqual(findViolations(cleanBody(), defaultPolicy(), ctx), []);
});

const refusals: [string, DockerCreateBodyLike, string, PolicyContext?][] = [
  ["privileged mode", withHost({ Privileged: true }), "no-privileged"],
  ["an added capability", withHost({ CapAdd: ["SYS_ADMIN"] }), "no-cap-add"],
  ["CapAdd ALL", withHost({ CapAdd: ["ALL"] }), "no-cap-add"],
  ["a replaced capability set", withHost({ Capabilities: ["CAP_SYS_ADMIN"] }), "no-cap-add"],
  ["the host network", withHost({ NetworkMode: "host" }), "no-host-namespace"],
  ["another container's network", withHost({ NetworkMode: "container:abc" }), "no-host-namespace"],
  ["an owner's network", withHost({ NetworkMode: "myapp_default" }), "no-host-namespace"],
  ["the host PID namespace", withHost({ PidMode: "host" }), "no-host-namespace"],
  ["the host IPC namespace", withHost({ IpcMode: "host" }), "no-host-namespace"],
  ["another container's IPC", withHost({ IpcMode: "container:db" }), "no-host-namespace"],
  ["the host UTS namespace", withHost({ UTSMode: "host" }), "no-host-namespace"],
  ["the host user namespace", withHost({ UsernsMode: "host" }), "no-host-namespace"],
  ["the host cgroup namespace", withHost({ CgroupnsMode: "host" }), "no-host-namespace"],
  ["links", withHost({ Links: ["portainer:p"] }), "no-host-namespace"],
  [
    "the host network through EndpointsConfig",
    withHost({}, { NetworkingConfig: { EndpointsConfig: { host: {} } } }),
    "no-host-namespace",
  ],
  ["a bind of /", withHost({ Binds: ["/:/host"] }), "no-host-mounts"],
  ["a named volume through Binds", withHost({ Binds: ["data:/data"] }), "no-host-mounts"],
  [
    "a bind through Mounts",
    withHost({ Mounts: [{ Type: "bind", Source: "/", Target: "/h" }] }),
    "no-host-mounts",
  ],
  [
    "an npipe mount",
    withHost({ Mounts: [{ Type: "npipe", Source: "x", Target: "/x" }] }),
    "no-host-mounts",
  ],
  [
    "a mount without a type",
    withHost({ Mounts: [{ Source: "/etc", Target: "/x" }] }),
    "no-host-mounts",
  ],
  [
    "a volume mount with the local driver's bind trick",
    withHost({
      Mounts: [{
        Type: "volume",
        Source: "lattice-x",
        Target: "/x",
        VolumeOptions: {
          DriverConfig: { Name: "local", Options: { type: "none", o: "bind", device: "/" } },
        },
      }],
    }),
    "no-host-mounts",
  ],
  [
    "a volume mount with a plugin driver",
    withHost({
      Mounts: [{
        Type: "volume",
        Source: "lattice-x",
        Target: "/x",
        VolumeOptions: { DriverConfig: { Name: "local-persist" } },
      }],
    }),
    "no-host-mounts",
  ],
  ["VolumesFrom", withHost({ VolumesFrom: ["portainer"] }), "no-host-mounts"],
  [
    "an owner's volume",
    withHost({ Mounts: [{ Type: "volume", Source: "portainer_data", Target: "/x" }] }),
    "managed-volumes-only",
  ],
  [
    "the Docker socket through Binds",
    withHost({ Binds: ["/var/run/docker.sock:/var/run/docker.sock"] }),
    "no-docker-socket",
  ],
  [
    "the Docker socket through Mounts",
    withHost({ Mounts: [{ Type: "bind", Source: "/run/docker.sock", Target: "/s" }] }),
    "no-docker-socket",
  ],
  [
    "the Docker socket through a volume's device option",
    withHost({
      Mounts: [{
        Type: "volume",
        Source: "lattice-s",
        Target: "/s",
        VolumeOptions: { DriverConfig: { Options: { o: "bind", device: "/var/run/docker.sock" } } },
      }],
    }),
    "no-docker-socket",
  ],
  [
    "the Windows engine pipe",
    withHost({ Mounts: [{ Type: "npipe", Source: "\\\\.\\pipe\\docker_engine", Target: "x" }] }),
    "no-docker-socket",
  ],
  [
    "a host device",
    withHost({ Devices: [{ PathOnHost: "/dev/sda", PathInContainer: "/dev/sda" }] }),
    "no-devices",
  ],
  ["device cgroup rules", withHost({ DeviceCgroupRules: ["b 8:* rmw"] }), "no-devices"],
  [
    "GPUs on a node that does not offer them",
    withHost({ DeviceRequests: [{ Driver: "nvidia", Count: 1, Capabilities: [["gpu"]] }] }),
    "no-devices",
  ],
  ["an unlisted runtime", withHost({ Runtime: "kata" }), "known-runtime"],
  ["a runtime Docker lacks", withHost({ Runtime: "runc" }), "known-runtime", {
    dockerRuntimes: [],
  }],
  [
    "a public port",
    withHost({ PortBindings: { "22/tcp": [{ HostIp: "0.0.0.0", HostPort: "22" }] } }),
    "localhost-ports",
  ],
  [
    "an empty HostIp",
    withHost({ PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "8080" }] } }),
    "localhost-ports",
  ],
  [
    "a missing HostIp",
    withHost({ PortBindings: { "80/tcp": [{ HostPort: "8080" }] } }),
    "localhost-ports",
  ],
  ["PublishAllPorts", withHost({ PublishAllPorts: true }), "localhost-ports"],
  ["a missing NanoCpus", withHost({ NanoCpus: undefined }), "limits-required"],
  ["a zero memory limit", withHost({ Memory: 0 }), "limits-required"],
  ["a missing pids limit", withHost({ PidsLimit: null }), "limits-required"],
  ["an unlimited pids limit", withHost({ PidsLimit: -1 }), "limits-required"],
  ["more pids than the owner allows", withHost({ PidsLimit: 100_000 }), "limits-required"],
  ["OomKillDisable", withHost({ OomKillDisable: true }), "limits-required"],
  ["a CgroupParent", withHost({ CgroupParent: "/" }), "limits-required"],
  ["a negative OomScoreAdj", withHost({ OomScoreAdj: -1000 }), "limits-required"],
  [
    "seccomp=unconfined",
    withHost({ SecurityOpt: ["seccomp=unconfined"] }),
    "no-security-opt-unconfined",
  ],
  [
    "apparmor=unconfined",
    withHost({ SecurityOpt: ["apparmor=unconfined"] }),
    "no-security-opt-unconfined",
  ],
  ["label:disable", withHost({ SecurityOpt: ["label:disable"] }), "no-security-opt-unconfined"],
  [
    "no-new-privileges:false",
    withHost({ SecurityOpt: ["no-new-privileges:false"] }),
    "no-security-opt-unconfined",
  ],
  [
    "a custom seccomp profile",
    withHost({ SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] }),
    "no-security-opt-unconfined",
  ],
  ["unmasked /proc paths", withHost({ MaskedPaths: [] }), "no-security-opt-unconfined"],
  ["sysctls", withHost({ Sysctls: { "net.ipv4.ip_forward": "1" } }), "no-sysctls"],
  ["an unknown HostConfig setting", withHost({ KernelMemoryTCP: 1 }), "known-settings"],
  [
    "an unknown top-level setting",
    withHost({}, { MacAddress: "02:42:ac:11:00:02" }),
    "known-settings",
  ],
];

for (const [what, body, rule, context = ctx] of refusals) {
  Deno.test(`checkContainer() refuses ${what} with rule "${rule}"`, () => {
    const violation = checkContainer(body, defaultPolicy(), context);
    assert.equal(violation?.rule, rule, violation?.message);
    assert.match(violation.message, /^Refused /);
  });
}

Deno.test("checkContainer() tells the owner how to lift refusals they can lift", () => {
  const ports = withHost({ PortBindings: { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "80" }] } });
  assert.match(checkContainer(ports, defaultPolicy(), ctx)!.message, /"allowPublicPorts": true/);
  assert.match(
    checkContainer(withHost({ Privileged: true }), defaultPolicy(), ctx)!.message,
    /never/,
  );
});

Deno.test("checkContainer() allows public ports, GPUs and more runtimes when the owner says so", () => {
  const policy = LocalPolicy.parse({
    allowPublicPorts: true,
    allowedRuntimes: ["runc", "nvidia"],
    gpus: { offer: true, maxPerContainer: 2 },
  });
  const body = withHost({
    Runtime: "nvidia",
    PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "80" }] },
    DeviceRequests: [{ Driver: "nvidia", Count: 2, Capabilities: [["gpu"]] }],
  });
  assert.equal(checkContainer(body, policy, ctx), null);
  const tooMany = withHost({
    DeviceRequests: [{ Driver: "nvidia", Count: 3, Capabilities: [["gpu"]] }],
  });
  assert.equal(checkContainer(tooMany, policy, ctx)?.rule, "no-devices");
  const all = withHost({
    DeviceRequests: [{ Driver: "nvidia", Count: -1, Capabilities: [["gpu"]] }],
  });
  assert.equal(checkContainer(all, policy, ctx)?.rule, "no-devices");
  const byId = withHost({
    DeviceRequests: [{ Driver: "nvidia", DeviceIDs: ["0", "1"], Capabilities: [["gpu"]] }],
  });
  assert.equal(checkContainer(byId, policy, ctx), null);
  const other = withHost({
    DeviceRequests: [{ Driver: "fpga", Count: 1, Capabilities: [["fpga"]] }],
  });
  assert.equal(checkContainer(other, policy, ctx)?.rule, "no-devices");
});

Deno.test("checkContainer() holds containers to the owner's CPU and memory maxima", () => {
  const policy = LocalPolicy.parse({ maxCpusPerContainer: 2, maxMemoryBytesPerContainer: 1e9 });
  assert.equal(checkContainer(withHost({ NanoCpus: 2e9, Memory: 1e9 }), policy, ctx), null);
  assert.match(
    checkContainer(withHost({ NanoCpus: 3e9 }), policy, ctx)!.message,
    /maxCpusPerContainer/,
  );
  assert.match(
    checkContainer(withHost({ Memory: 2 ** 62 }), policy, ctx)!.message,
    /maxMemoryBytes/,
  );
});

Deno.test("checkContainer() refuses a default runtime the owner has not allowed", () => {
  const policy = LocalPolicy.parse({ allowedRuntimes: ["runsc"] });
  assert.equal(checkContainer(cleanBody(), policy, ctx)?.rule, "known-runtime");
  assert.equal(checkContainer(withHost({ Runtime: "runsc" }), policy, ctx), null);
  assert.equal(checkContainer(cleanBody(), policy, { ...ctx, defaultRuntime: "runsc" }), null);
});

Deno.test("checkContainer() applies denied and allowed image patterns", () => {
  const policy = LocalPolicy.parse({
    allowedImages: ["postgres:*", "docker.io/library/redis*", "ghcr.io/acme/*"],
    deniedImages: ["postgres:9*"],
  });
  const image = (name: string) =>
    checkContainer(withHost({}, { Image: name }), policy, ctx)?.rule ?? "ok";
  assert.equal(image("postgres:16"), "ok");
  assert.equal(image("docker.io/library/postgres:16"), "ok");
  assert.equal(image("redis"), "ok");
  assert.equal(image("ghcr.io/acme/api:1"), "ok");
  assert.equal(image("postgres:9.6"), "image-allowed");
  assert.equal(image("mysql:8"), "image-allowed");
  assert.equal(image("evil.io/postgres:16"), "image-allowed");
  assert.equal(image("ghcr.io/other/api:1"), "image-allowed");
});

Deno.test("checkContainer() reports the most fundamental rule first, findViolations() all", () => {
  const body = withHost({ Privileged: true, Binds: ["/:/h"], Memory: 0 });
  assert.equal(checkContainer(body, defaultPolicy(), ctx)?.rule, "no-privileged");
  assert.deepEqual(
    findViolations(body, defaultPolicy(), ctx).map((v) => v.rule),
    ["no-privileged", "no-host-mounts", "limits-required"],
  );
});

Deno.test("checkVolume() allows plain local volumes and refuses driver options and plugins", () => {
  const policy = defaultPolicy();
  assert.equal(checkVolume({ Name: "lattice-data" }, policy), null);
  assert.equal(
    checkVolume({ Name: "lattice-data", Driver: "local", DriverOpts: {} }, policy),
    null,
  );
  const bind = { type: "none", o: "bind", device: "/" };
  assert.equal(
    checkVolume({ Name: "lattice-x", DriverOpts: bind }, policy)?.rule,
    "no-host-mounts",
  );
  assert.equal(
    checkVolume({ Name: "lattice-x", Driver: "rexray" }, policy)?.rule,
    "no-host-mounts",
  );
  const socket = { type: "none", o: "bind", device: "/var/run/docker.sock" };
  assert.equal(
    checkVolume({ Name: "lattice-x", DriverOpts: socket }, policy)?.rule,
    "no-docker-socket",
  );
});

Deno.test("normaliseImageReference() spells out Docker Hub's implicit parts", () => {
  assert.equal(normaliseImageReference("redis"), "docker.io/library/redis:latest");
  assert.equal(normaliseImageReference("bitnami/redis:7"), "docker.io/bitnami/redis:7");
  assert.equal(normaliseImageReference("localhost:5000/x"), "localhost:5000/x:latest");
  assert.equal(normaliseImageReference("ghcr.io/a/b@sha256:ab"), "ghcr.io/a/b@sha256:ab");
});

Deno.test("imageMatches() treats * as any text and anchors both ends", () => {
  assert.ok(imageMatches("postgres:16", "postgres:*"));
  assert.ok(imageMatches("postgres", "postgres:*"));
  assert.ok(imageMatches("postgres@sha256:ab", "postgres:*"));
  assert.ok(imageMatches("anything/at:all", "*"));
  assert.ok(imageMatches("redis:7", "redis"));
  assert.ok(!imageMatches("redis-evil:7", "redis"));
  assert.ok(!imageMatches("xpostgres:16", "postgres:*"));
  assert.ok(!imageMatches("postgres.evil.com/x:1", "postgres:*"));
  assert.ok(!imageMatches("a.b", "a?b"));
});

Deno.test("loadPolicy() returns the defaults without a file", async () => {
  const { policy, source } = await loadPolicy(null);
  assert.equal(source, "default");
  assert.equal(policy.allowPublicPorts, false);
  assert.deepEqual(policy.allowedRuntimes, ["runc"]);
  assert.deepEqual(policy.gpus, { offer: false });
  assert.equal(policy.maxPidsPerContainer, 4096);
  assert.equal(policy.allowedImages, undefined);
});

Deno.test("loadPolicy() reads the owner's file and keeps defaults for what it omits", async () => {
  const read = () => Promise.resolve('{"allowPublicPorts": true, "gpus": {"offer": true}}');
  const { policy, source } = await loadPolicy("/etc/p.json", read);
  assert.equal(source, "/etc/p.json");
  assert.equal(policy.allowPublicPorts, true);
  assert.equal(policy.gpus.offer, true);
  assert.equal(policy.maxPidsPerContainer, 4096);
});

Deno.test("loadPolicy() names the file and the field when the file is wrong", async () => {
  const from = (text: string) => loadPolicy("/p.json", () => Promise.resolve(text));
  await assert.rejects(from("{nope"), /Cannot parse policy file "\/p.json": it is not valid JSON/);
  await assert.rejects(
    from('{"gpus": {"offer": "yes"}}'),
    /Invalid policy file "\/p.json": gpus.offer/,
  );
  await assert.rejects(from('{"allowPublicPort": true}'), /allowPublicPort/);
  await assert.rejects(from("[]"), /Invalid policy file/);
  const missing = () => Promise.reject(new Deno.errors.NotFound("gone"));
  await assert.rejects(
    loadPolicy("/p.json", missing),
    /Cannot read policy file "\/p.json": no such file/,
  );
});

Deno.test("loadAgentPolicy() prefers --policy, then the state dir's policy.json, then defaults", async () => {
  const files: Record<string, string> = { "/state/policy.json": '{"maxPidsPerContainer": 100}' };
  const read = (path: string) =>
    path in files ? Promise.resolve(files[path]) : Promise.reject(new Deno.errors.NotFound(path));
  const fromState = await loadAgentPolicy({ stateDir: "/state/" }, read);
  assert.equal(fromState.source, "/state/policy.json");
  assert.equal(fromState.policy.maxPidsPerContainer, 100);
  assert.equal((await loadAgentPolicy({ stateDir: "/empty" }, read)).source, "default");
  await assert.rejects(
    loadAgentPolicy({ stateDir: "/state", policyFile: "/nope.json" }, read),
    /no such file/,
  );
});
