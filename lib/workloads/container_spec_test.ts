import assert from "node:assert/strict";
import { buildCreateBody } from "../../agent/container_body.ts";
import { checkContainer, checkVolume, defaultPolicy, LocalPolicy } from "../../agent/policy.ts";
import { ContainerSpec, LABELS } from "../protocol.ts";
import { defaultVolumeName, toContainerSpec } from "./container_spec.ts";
import { WorkloadSpec, type WorkloadSpecInput } from "./spec.ts";
import { expandTemplate } from "./templates.ts";

const workloadId = "0f8fad5b-d9cb-469f-a165-70867728950e";
const allocationId = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const dockerCtx = { dockerRuntimes: ["runc"] };

function containerFor(input: WorkloadSpecInput, ids = { workloadId, allocationId }) {
  const spec = WorkloadSpec.parse(input);
  const expanded = expandTemplate(spec, { workloadId: ids.workloadId });
  return { spec, expanded, container: toContainerSpec(expanded, spec, ids) };
}

const EVERY_TEMPLATE: [string, WorkloadSpecInput][] = [
  ["postgres", { name: "shop-db", template: "postgres" }],
  ["redis", { name: "cache", template: "redis", command: ["--maxmemory", "64mb"] }],
  ["minio", { name: "s3", template: "minio", resources: { memoryMiB: 1024 } }],
  ["custom", {
    name: "web",
    image: "ghcr.io/acme/web:2",
    env: { PORT: "8080" },
    command: ["serve"],
    ports: [{ container: 8080 }, { container: 5353, protocol: "udp" }],
    volumes: [
      { name: "uploads", mountPath: "/srv/uploads" },
      { name: "tmp", mountPath: "/tmp/work", stateful: false },
    ],
    resources: { cpuMillicores: 250, memoryMiB: 64 },
    restart: "on-failure",
    labels: { app: "web", "example.com/team": "shop" },
  }],
];

Deno.test("toContainerSpec() output parses as a ContainerSpec and the default node policy accepts it", () => {
  for (const [template, input] of EVERY_TEMPLATE) {
    const { container } = containerFor(input);
    assert.deepEqual(ContainerSpec.parse(container), container, template);
    const hostPorts = container.ports.map((_, i) => 40_000 + i);
    const { body, volumes } = buildCreateBody(container, {
      nodeId: "node-1",
      allocationId,
      workloadId,
      hostPorts,
    });
    assert.equal(checkContainer(body, defaultPolicy(), dockerCtx), null, template);
    for (const volume of volumes) {
      assert.equal(checkVolume(volume, defaultPolicy()), null, `${template}: ${volume.Name}`);
    }
    for (const bindings of Object.values(body.HostConfig.PortBindings)) {
      assert.ok(bindings.every((b) => b.HostIp === "127.0.0.1"), template);
    }
  }
});

Deno.test("toContainerSpec() sets CPU, memory, process and GPU limits from the spec", () => {
  const cases: [WorkloadSpecInput, ContainerSpec["resources"]][] = [
    [{ name: "db", template: "postgres" }, {
      cpus: 1,
      memoryBytes: 512 * 2 ** 20,
      pids: 1024,
      gpus: 0,
    }],
    [{ name: "c", template: "redis" }, {
      cpus: 0.25,
      memoryBytes: 256 * 2 ** 20,
      pids: 512,
      gpus: 0,
    }],
    [
      {
        name: "ml",
        image: "pytorch/pytorch",
        resources: { cpuMillicores: 3500, memoryMiB: 16_384, gpus: 2 },
      },
      { cpus: 3.5, memoryBytes: 16 * 2 ** 30, pids: 512, gpus: 2 },
    ],
    [
      { name: "tiny", image: "busybox", resources: { cpuMillicores: 10, memoryMiB: 16 } },
      { cpus: 0.01, memoryBytes: 16 * 2 ** 20, pids: 512, gpus: 0 },
    ],
  ];
  for (const [input, resources] of cases) {
    assert.deepEqual(containerFor(input).container.resources, resources, input.name);
  }
});

Deno.test("toContainerSpec() asks for GPUs, which only a node that offers GPUs accepts", () => {
  const { container } = containerFor({
    name: "ml",
    image: "pytorch/pytorch",
    resources: { gpus: 1 },
  });
  const { body } = buildCreateBody(container, { nodeId: "n", allocationId, hostPorts: [] });
  const offering = LocalPolicy.parse({ gpus: { offer: true } });
  assert.equal(checkContainer(body, offering, dockerCtx), null);
  assert.equal(checkContainer(body, defaultPolicy(), dockerCtx)?.rule, "no-devices");
});

Deno.test("toContainerSpec() carries the template's image, env, command, ports and restart policy", () => {
  const { expanded, container } = containerFor({ name: "shop-db", template: "postgres" });
  assert.equal(container.image, "postgres:16");
  assert.deepEqual(container.env, expanded.env);
  assert.equal(container.command, undefined);
  assert.deepEqual(container.ports, [{ container: 5432, protocol: "tcp", hostIp: "127.0.0.1" }]);
  assert.deepEqual(container.volumes, [{
    name: "lattice-0f8fad5b-data",
    target: "/var/lib/postgresql/data",
    readOnly: false,
  }]);
  assert.equal(container.restart, "unless-stopped");
  assert.equal(container.labels, undefined);
  assert.equal(container.privileged, undefined);
});

Deno.test("toContainerSpec() passes the user's labels, and the agent adds Lattice's beside them", () => {
  const { container } = containerFor(EVERY_TEMPLATE[3][1]);
  assert.deepEqual(container.labels, { app: "web", "example.com/team": "shop" });
  const { body } = buildCreateBody(container, {
    nodeId: "node-1",
    allocationId,
    workloadId,
    hostPorts: [1, 2],
  });
  assert.equal(body.Labels.app, "web");
  assert.equal(body.Labels[LABELS.workload], workloadId);
});

Deno.test("toContainerSpec() never lets two workloads share a volume they both call data", () => {
  const other = "a1b2c3d4-0000-4000-8000-000000000000";
  const first = containerFor({ name: "a", template: "postgres" }).container.volumes[0].name;
  const second = containerFor({ name: "b", template: "postgres" }, {
    workloadId: other,
    allocationId,
  }).container.volumes[0].name;
  assert.equal(first, "lattice-0f8fad5b-data");
  assert.equal(second, "lattice-a1b2c3d4-data");
});

Deno.test("defaultVolumeName() keeps stateful volumes per workload and stateless ones per allocation", () => {
  const ids = { workloadId, allocationId };
  const cases: [{ name: string; stateful: boolean }, string][] = [
    [{ name: "data", stateful: true }, "lattice-0f8fad5b-data"],
    [{ name: "scratch", stateful: false }, "lattice-7c9e6679-scratch"],
  ];
  for (const [volume, expected] of cases) assert.equal(defaultVolumeName(ids, volume), expected);
  const nextAllocation = { workloadId, allocationId: "11111111-2222-4333-8444-555555555555" };
  assert.equal(defaultVolumeName(nextAllocation, cases[0][0]), "lattice-0f8fad5b-data");
  assert.equal(defaultVolumeName(nextAllocation, cases[1][0]), "lattice-11111111-scratch");
  assert.equal(
    defaultVolumeName({ workloadId: "W_1", allocationId }, cases[0][0]),
    "lattice-wx1-data",
  );
});

Deno.test("toContainerSpec() uses the volume names the caller chooses", () => {
  const spec = WorkloadSpec.parse({ name: "s3", template: "minio" });
  const expanded = expandTemplate(spec, { workloadId });
  const container = toContainerSpec(expanded, spec, {
    workloadId,
    allocationId,
    volumeNames: (volume) => `lattice-restored-${volume.name}`,
  });
  assert.deepEqual(container.volumes.map((v) => v.name), ["lattice-restored-data"]);
});
