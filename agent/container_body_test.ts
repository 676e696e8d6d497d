import assert from "node:assert/strict";
import { ContainerSpec, type ContainerSpecInput, LABELS } from "../lib/protocol.ts";
import { buildCreateBody, containerName, volumeName } from "./container_body.ts";
import { checkContainer, checkVolume, defaultPolicy, LocalPolicy } from "./policy.ts";

const allocationId = "0f8fad5b-d9cb-469f-a165-70867728950e";
const ctx = { nodeId: "node-1", allocationId, workloadId: "w-1", hostPorts: [] as number[] };
const policyCtx = { dockerRuntimes: ["runc"] };

function spec(input: Partial<ContainerSpecInput> = {}): ContainerSpec {
  return ContainerSpec.parse({
    image: "postgres:16",
    resources: { cpus: 1.5, memoryBytes: 256 * 1024 * 1024 },
    ...input,
  });
}

Deno.test("buildCreateBody() turns a typical spec into a body the default policy accepts", () => {
  const { name, body, volumes } = buildCreateBody(
    spec({
      command: ["postgres", "-c", "fsync=off"],
      env: { POSTGRES_PASSWORD: "p=w", POSTGRES_DB: "app" },
      ports: [{ container: 5432 }],
      volumes: [{ name: "pgdata", target: "/var/lib/postgresql/data" }],
      labels: { team: "db" },
    }),
    { ...ctx, hostPorts: [15432] },
  );
  assert.equal(name, "lattice-0f8fad5b-postgres");
  assert.deepEqual(body.Cmd, ["postgres", "-c", "fsync=off"]);
  assert.deepEqual(body.Env, ["POSTGRES_PASSWORD=p=w", "POSTGRES_DB=app"]);
  assert.deepEqual(body.ExposedPorts, { "5432/tcp": {} });
  const host = body.HostConfig!;
  assert.deepEqual(host.PortBindings, {
    "5432/tcp": [{ HostIp: "127.0.0.1", HostPort: "15432" }],
  });
  assert.equal(host.NanoCpus, 1_500_000_000);
  assert.equal(host.Memory, 256 * 1024 * 1024);
  assert.equal(host.PidsLimit, 512);
  assert.deepEqual(host.RestartPolicy, { Name: "unless-stopped" });
  assert.deepEqual(host.SecurityOpt, ["no-new-privileges:true"]);
  assert.deepEqual(host.Mounts, [{
    Type: "volume",
    Source: "lattice-pgdata",
    Target: "/var/lib/postgresql/data",
    ReadOnly: false,
  }]);
  assert.equal(host.Privileged, undefined);
  assert.equal(host.DeviceRequests, undefined);
  assert.deepEqual(body.Labels, {
    team: "db",
    [LABELS.managed]: "true",
    [LABELS.allocation]: allocationId,
    [LABELS.workload]: "w-1",
    [LABELS.node]: "node-1",
  });
  assert.deepEqual(volumes, [{
    Name: "lattice-pgdata",
    Labels: {
      [LABELS.managed]: "true",
      [LABELS.allocation]: allocationId,
      [LABELS.workload]: "w-1",
      [LABELS.node]: "node-1",
    },
  }]);
  assert.equal(checkContainer(body, defaultPolicy(), policyCtx), null);
  assert.equal(checkVolume(volumes[0], defaultPolicy()), null);
});

Deno.test("buildCreateBody() is deterministic per allocation", () => {
  const a = buildCreateBody(spec({ ports: [{ container: 80 }] }), { ...ctx, hostPorts: [8080] });
  const b = buildCreateBody(spec({ ports: [{ container: 80 }] }), { ...ctx, hostPorts: [8080] });
  assert.deepEqual(a, b);
});

Deno.test("buildCreateBody() lets Lattice's labels win over the spec's", () => {
  const { body } = buildCreateBody(
    spec({ labels: { [LABELS.managed]: "false", [LABELS.node]: "other", "dev.lattice.x": "1" } }),
    { ...ctx, workloadId: null },
  );
  assert.deepEqual(body.Labels, {
    [LABELS.managed]: "true",
    [LABELS.allocation]: allocationId,
    [LABELS.node]: "node-1",
  });
});

Deno.test("buildCreateBody() binds every port entry to its chosen host port", () => {
  const { body } = buildCreateBody(
    spec({
      ports: [
        { container: 53, protocol: "udp" },
        { container: 53, protocol: "tcp" },
        { container: 80, hostIp: "0.0.0.0" },
      ],
    }),
    { ...ctx, hostPorts: [1053, 2053, 8080] },
  );
  assert.deepEqual(body.ExposedPorts, { "53/udp": {}, "53/tcp": {}, "80/tcp": {} });
  assert.deepEqual(body.HostConfig!.PortBindings, {
    "53/udp": [{ HostIp: "127.0.0.1", HostPort: "1053" }],
    "53/tcp": [{ HostIp: "127.0.0.1", HostPort: "2053" }],
    "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }],
  });
  assert.equal(checkContainer(body, defaultPolicy(), policyCtx)?.rule, "localhost-ports");
  const open = LocalPolicy.parse({ allowPublicPorts: true });
  assert.equal(checkContainer(body, open, policyCtx), null);
});

Deno.test("buildCreateBody() refuses a host port list that does not match the ports", () => {
  assert.throws(
    () => buildCreateBody(spec({ ports: [{ container: 80 }] }), ctx),
    /1 ports need 1 host ports, got 0/,
  );
});

Deno.test("buildCreateBody() retries on-failure five times and keeps other restart policies", () => {
  const restart = (r: ContainerSpecInput["restart"]) =>
    buildCreateBody(spec({ restart: r }), ctx).body.HostConfig!.RestartPolicy;
  assert.deepEqual(restart("on-failure"), { Name: "on-failure", MaximumRetryCount: 5 });
  assert.deepEqual(restart("no"), { Name: "no" });
  assert.deepEqual(restart("always"), { Name: "always" });
});

Deno.test("buildCreateBody() asks for GPUs by count or by device id", () => {
  const gpus = spec({ resources: { cpus: 1, memoryBytes: 1e8, gpus: 2 } });
  assert.deepEqual(buildCreateBody(gpus, ctx).body.HostConfig!.DeviceRequests, [
    { Driver: "nvidia", Count: 2, Capabilities: [["gpu"]] },
  ]);
  assert.deepEqual(
    buildCreateBody(gpus, { ...ctx, gpuDeviceIds: ["0", "3"] }).body.HostConfig!.DeviceRequests,
    [{ Driver: "nvidia", DeviceIDs: ["0", "3"], Capabilities: [["gpu"]] }],
  );
  const body = buildCreateBody(gpus, ctx).body;
  assert.equal(checkContainer(body, defaultPolicy(), policyCtx)?.rule, "no-devices");
  const offering = LocalPolicy.parse({ gpus: { offer: true } });
  assert.equal(checkContainer(body, offering, policyCtx), null);
});

Deno.test("buildCreateBody() keeps a volume's driver settings for the policy to judge", () => {
  const { body, volumes } = buildCreateBody(
    spec({
      volumes: [{
        name: "lattice-root",
        target: "/host",
        driver: "local",
        driverOpts: { type: "none", o: "bind", device: "/" },
      }],
    }),
    ctx,
  );
  assert.equal(volumes[0].Name, "lattice-root");
  assert.deepEqual(volumes[0].DriverOpts, { type: "none", o: "bind", device: "/" });
  assert.equal(checkVolume(volumes[0], defaultPolicy())?.rule, "no-host-mounts");
  assert.equal(checkContainer(body, defaultPolicy(), policyCtx)?.rule, "no-host-mounts");
});

const dangerous: [string, Partial<ContainerSpecInput>, string][] = [
  ["privileged", { privileged: true }, "no-privileged"],
  ["capAdd", { capAdd: ["SYS_ADMIN"] }, "no-cap-add"],
  ["networkMode", { networkMode: "host" }, "no-host-namespace"],
  ["pidMode", { pidMode: "host" }, "no-host-namespace"],
  ["ipcMode", { ipcMode: "host" }, "no-host-namespace"],
  ["utsMode", { utsMode: "host" }, "no-host-namespace"],
  ["usernsMode", { usernsMode: "host" }, "no-host-namespace"],
  ["binds", { binds: ["/:/host"] }, "no-host-mounts"],
  ["binds of the Docker socket", { binds: ["/var/run/docker.sock:/s"] }, "no-docker-socket"],
  [
    "mounts of type bind",
    { mounts: [{ type: "bind", source: "/etc", target: "/e" }] },
    "no-host-mounts",
  ],
  [
    "mounts with driver options",
    {
      mounts: [{
        type: "volume",
        source: "lattice-v",
        target: "/v",
        volumeOptions: { driverConfig: { options: { o: "bind", device: "/home" } } },
      }],
    },
    "no-host-mounts",
  ],
  ["devices", { devices: ["/dev/sda:/dev/xvda:r"] }, "no-devices"],
  ["runtime", { runtime: "kata-runtime" }, "known-runtime"],
  ["a public hostIp", { ports: [{ container: 22, hostIp: "0.0.0.0" }] }, "localhost-ports"],
  ["a foreign volume name through mounts", {
    mounts: [{ type: "volume", source: "db", target: "/d" }],
  }, "managed-volumes-only"],
];

for (const [field, input, rule] of dangerous) {
  Deno.test(`buildCreateBody() passes ${field} through so the policy refuses it as "${rule}"`, () => {
    const s = spec(input);
    const { body } = buildCreateBody(s, { ...ctx, hostPorts: s.ports.map(() => 20000) });
    assert.equal(checkContainer(body, defaultPolicy(), policyCtx)?.rule, rule);
  });
}

Deno.test("buildCreateBody() spells devices as Docker does, defaulting to rwm", () => {
  const { body } = buildCreateBody(spec({ devices: ["/dev/fuse", "/dev/sda:/dev/xvda:r"] }), ctx);
  assert.deepEqual(body.HostConfig!.Devices, [
    { PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" },
    { PathOnHost: "/dev/sda", PathInContainer: "/dev/xvda", CgroupPermissions: "r" },
  ]);
});

Deno.test("containerName() sanitises the image's base name", () => {
  assert.equal(containerName(allocationId, "docker.io/library/redis:7"), "lattice-0f8fad5b-redis");
  assert.equal(
    containerName(allocationId, "ghcr.io/Acme/My_App@sha256:ab"),
    "lattice-0f8fad5b-my_app",
  );
  assert.equal(containerName(allocationId, "localhost:5000/x"), "lattice-0f8fad5b-x");
  assert.equal(containerName(allocationId, "__"), "lattice-0f8fad5b-container");
  assert.match(containerName(allocationId, "a".repeat(300)), /^lattice-0f8fad5b-a{40}$/);
});

Deno.test("volumeName() adds the lattice- prefix once", () => {
  assert.equal(volumeName("data"), "lattice-data");
  assert.equal(volumeName("lattice-data"), "lattice-data");
});
