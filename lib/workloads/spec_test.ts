import assert from "node:assert/strict";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { ValidationError } from "../errors.ts";
import {
  applyWorkloadPatch,
  issueDetails,
  WorkloadPatch,
  WorkloadSpec,
  type WorkloadSpecInput,
} from "./spec.ts";

const base: WorkloadSpecInput = { name: "web", image: "nginx:1.27" };
const pg: WorkloadSpecInput = { name: "shop-db", template: "postgres" };

/** Every issue of a failed parse as `path: message`. */
function problems(input: unknown): string[] {
  const result = WorkloadSpec.safeParse(input);
  assert.equal(result.success, false, `expected ${JSON.stringify(input)} to be refused`);
  return issueDetails(result.error!).map((d) => `${d.path}: ${d.message}`);
}

// deno-fmt-ignore
const BAD_INPUTS: [string, unknown, string, RegExp][] = [
  // [case, input, field path, message]
  ["negative CPU", { ...base, resources: { cpuMillicores: -500 } }, "resources.cpuMillicores", /from 10 to 64000/],
  ["fractional CPU", { ...base, resources: { cpuMillicores: 10.5 } }, "resources.cpuMillicores", /whole number/],
  ["CPU as a string", { ...base, resources: { cpuMillicores: "1000" } }, "resources.cpuMillicores", /whole number/],
  ["absurd memory", { ...base, resources: { memoryMiB: 1e12 } }, "resources.memoryMiB", /16 to 262144 MiB/],
  ["negative disk", { ...base, resources: { diskGiB: -1 } }, "resources.diskGiB", /0 to 10000 GiB/],
  ["a thousand GPUs", { ...base, resources: { gpus: 1000 } }, "resources.gpus", /0 to 16/],
  ["an unknown template", { ...base, template: "mysql" }, "template", /one of postgres, redis, minio, custom/],
  ["replicas 0", { ...base, replicas: 0 }, "replicas", /from 1 to 100/],
  ["replicas 10,000", { ...base, replicas: 10_000 }, "replicas", /from 1 to 100/],
  ["a 10 MiB env", { ...base, env: { BLOB: "x".repeat(10 * 2 ** 20) } }, "env", /64 KiB in total.*10\.0 MiB/],
  ["many env values over 64 KiB", { ...base, env: Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`V${i}`, "x".repeat(1000)])) }, "env", /64 KiB/],
  ["an env name with a space", { ...base, env: { "MY VAR": "1" } }, "env.MY VAR", /environment variable name/],
  ["an env name starting with a digit", { ...base, env: { "1X": "1" } }, "env.1X", /not starting with a digit/],
  ["a NUL in an env value", { ...base, env: { A: "a\0b" } }, "env.A", /NUL/],
  ["a name with spaces", { ...base, name: "my app" }, "name", /must be a DNS label: lowercase letters, digits and '-'/],
  ["an upper-case name", { ...base, name: "MyApp" }, "name", /DNS label/],
  ["a name starting with '-'", { ...base, name: "-app" }, "name", /DNS label/],
  ["a 64-character name", { ...base, name: "a".repeat(64) }, "name", /1 to 63 characters/],
  ["an empty name", { ...base, name: "" }, "name", /DNS label/],
  ["no name", { image: "nginx" }, "name", /expected string/],
  ["a constraint with an unknown operator", { ...base, constraints: [{ label: "region", operator: "~=", value: "eu" }] }, "constraints.0.operator", /one of =, !=, in, exists/],
  ["`in` without values", { ...base, constraints: [{ label: "region", operator: "in" }] }, "constraints.0.values", /required for operator in/],
  ["`in` with an empty list", { ...base, constraints: [{ label: "region", operator: "in", values: [] }] }, "constraints.0.values", /at least one value/],
  ["`in` with a single value", { ...base, constraints: [{ label: "region", operator: "in", value: "eu", values: ["eu"] }] }, "constraints.0.value", /left out for operator in \(use values\)/],
  ["`=` without a value", { ...base, constraints: [{ label: "region", operator: "=" }] }, "constraints.0.value", /required for operator =/],
  ["`!=` with values", { ...base, constraints: [{ label: "region", operator: "!=", value: "eu", values: ["us"] }] }, "constraints.0.values", /left out for operator !=/],
  ["`exists` with a value", { ...base, constraints: [{ label: "gpu", operator: "exists", value: "yes" }] }, "constraints.0.value", /left out for operator exists/],
  ["a constraint on a malformed label", { ...base, constraints: [{ label: "no spaces", operator: "exists" }] }, "constraints.0.label", /label key/],
  ["21 constraints", { ...base, constraints: Array(21).fill({ label: "a", operator: "exists" }) }, "constraints", /at most 20/],
  ["custom without an image", { name: "web" }, "image", /required when template is custom/],
  ["an image with a space", { ...base, image: "nginx latest" }, "image", /image reference/],
  ["an upper-case image repository", { ...base, image: "Nginx:1" }, "image", /image reference/],
  ["port 0", { ...base, ports: [{ container: 0 }] }, "ports.0.container", /1 to 65535/],
  ["port 70000", { ...base, ports: [{ container: 70_000 }] }, "ports.0.container", /1 to 65535/],
  ["an sctp port", { ...base, ports: [{ container: 80, protocol: "sctp" }] }, "ports.0.protocol", /tcp or udp/],
  ["a repeated port", { ...base, ports: [{ container: 80 }, { container: 80, protocol: "tcp" }] }, "ports.1.container", /repeats port 80/],
  ["21 ports", { ...base, ports: Array.from({ length: 21 }, (_, i) => ({ container: 1000 + i })) }, "ports", /at most 20/],
  ["a relative mount path", { ...base, volumes: [{ name: "data", mountPath: "data" }] }, "volumes.0.mountPath", /absolute path/],
  ["a mount on /", { ...base, volumes: [{ name: "data", mountPath: "/" }] }, "volumes.0.mountPath", /not \//],
  ["a mount path with '..'", { ...base, volumes: [{ name: "data", mountPath: "/a/../etc" }] }, "volumes.0.mountPath", /'\.\.'/],
  ["an upper-case volume name", { ...base, volumes: [{ name: "Data", mountPath: "/data" }] }, "volumes.0.name", /DNS label/],
  ["a repeated volume name", { ...base, volumes: [{ name: "d", mountPath: "/a" }, { name: "d", mountPath: "/b" }] }, "volumes.1.name", /repeats volume name "d"/],
  ["a repeated mount path", { ...base, volumes: [{ name: "a", mountPath: "/d" }, { name: "b", mountPath: "/d" }] }, "volumes.1.mountPath", /repeats mount path/],
  ["11 volumes", { ...base, volumes: Array.from({ length: 11 }, (_, i) => ({ name: `v${i}`, mountPath: `/v${i}` })) }, "volumes", /at most 10/],
  ["postgres with too little memory", { ...pg, resources: { memoryMiB: 64 } }, "resources.memoryMiB", /at least 256 MiB for the postgres template/],
  ["postgres with an empty password", { ...pg, env: { POSTGRES_PASSWORD: "" } }, "env.POSTGRES_PASSWORD", /at least 12 characters/],
  ["minio with a short password", { name: "s3", template: "minio", env: { MINIO_ROOT_PASSWORD: "abc" } }, "env.MINIO_ROOT_PASSWORD", /at least 12/],
  ["postgres with a user name holding a quote", { ...pg, env: { POSTGRES_USER: "bob'--" } }, "env.POSTGRES_USER", /lowercase letters/],
  ["redis that replaces its password", { name: "cache", template: "redis", command: ["--requirepass", ""] }, "command.0", /must not set --requirepass/],
  ["redis that adds a passwordless user", { name: "cache", template: "redis", command: ["--USER", "default on nopass"] }, "command.0", /--user/],
  ["stateful replicas allowed on one node", { ...pg, replicas: 2, antiAffinitySelf: false }, "antiAffinitySelf", /share their data/],
  ["a reserved label", { ...base, labels: { "dev.lattice.workload": "x" } }, "labels.dev.lattice.workload", /must not start with dev\.lattice\./],
  ["33 labels", { ...base, labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, "x"])) }, "labels", /at most 32 labels/],
  ["an unknown affinity type", { ...base, affinity: [{ workloadLabel: { key: "app", value: "db" }, type: "near" }] }, "affinity.0.type", /affinity or anti-affinity/],
  ["a preference of weight 0", { ...base, nodePreferences: [{ label: "ssd", value: "yes", weight: 0 }] }, "nodePreferences.0.weight", /1 to 100/],
  ["an unknown restart policy", { ...base, restart: "sometimes" }, "restart", /no, on-failure, unless-stopped, always/],
  ["an unknown strategy", { ...base, strategy: "random" }, "strategy", /binpack or spread/],
  ["a pool name with spaces", { ...base, pool: "My Pool" }, "pool", /DNS label/],
  ["a misspelt field", { ...base, replica: 2 }, "", /Unrecognized key: "replica"/],
  ["a body that is not an object", ["web"], "", /expected object/],
];

Deno.test("WorkloadSpec refuses bad input with the field's path and a readable message", () => {
  for (const [what, input, path, message] of BAD_INPUTS) {
    const found = problems(input);
    assert.ok(
      found.some((p) => p.startsWith(`${path}: `) && message.test(p)),
      `${what}: expected "${path}: ${message}", got ${JSON.stringify(found)}`,
    );
  }
});

Deno.test("WorkloadSpec reports every bad field of a request at once", () => {
  const found = problems({
    name: "my app",
    template: "nope",
    replicas: 0,
    resources: { cpuMillicores: -1 },
  });
  assert.deepEqual(found.map((p) => p.split(":")[0]), [
    "name",
    "template",
    "resources.cpuMillicores",
    "replicas",
  ]);
});

Deno.test("WorkloadSpec fills every default of a custom workload", () => {
  assert.deepEqual(WorkloadSpec.parse(base), {
    name: "web",
    template: "custom",
    image: "nginx:1.27",
    env: {},
    ports: [],
    volumes: [],
    resources: { cpuMillicores: 500, memoryMiB: 256, diskGiB: 1, gpus: 0 },
    replicas: 1,
    constraints: [],
    affinity: [],
    nodePreferences: [],
    antiAffinitySelf: true,
    restart: "unless-stopped",
    strategy: "spread",
    labels: {},
  });
});

Deno.test("WorkloadSpec takes a template's image and resources for what the spec leaves out", () => {
  const cases: [WorkloadSpecInput, string, number, number][] = [
    [pg, "postgres:16", 1000, 512],
    [
      { ...pg, image: "postgres:15-alpine", resources: { memoryMiB: 2048 } },
      "postgres:15-alpine",
      1000,
      2048,
    ],
    [{ name: "cache", template: "redis" }, "redis:7", 250, 256],
    [
      { name: "s3", template: "minio", resources: { cpuMillicores: 2000 } },
      "minio/minio",
      2000,
      512,
    ],
  ];
  for (const [input, image, cpu, memory] of cases) {
    const spec = WorkloadSpec.parse(input);
    assert.equal(spec.image, image);
    assert.deepEqual(spec.resources, {
      cpuMillicores: cpu,
      memoryMiB: memory,
      diskGiB: 1,
      gpus: 0,
    });
  }
});

Deno.test("WorkloadSpec accepts a full spec and fills nested defaults", () => {
  const spec = WorkloadSpec.parse({
    ...base,
    image: "ghcr.io/acme/shop-api:1.4.2@sha256:" + "a".repeat(64),
    name: "a".repeat(63),
    env: { DATABASE_URL: "postgres://x", _private: "1" },
    command: ["serve", "--port", "8080"],
    ports: [{ container: 8080, name: "http" }, { container: 8080, protocol: "udp" }],
    volumes: [{ name: "cache", mountPath: "/var/cache/app", stateful: false, sizeGiB: 5 }, {
      name: "uploads",
      mountPath: "/srv/uploads",
    }],
    resources: { cpuMillicores: 10, memoryMiB: 16, diskGiB: 0, gpus: 16 },
    replicas: 100,
    pool: "gpu-eu",
    constraints: [
      { label: "region", operator: "in", values: ["eu-west", "eu-central"] },
      { label: "kubernetes.io/arch", operator: "=", value: "amd64" },
      { label: "flaky", operator: "!=", value: "true" },
      { label: "ssd", operator: "exists" },
    ],
    affinity: [{ workloadLabel: { key: "app", value: "shop-db" }, type: "affinity" }],
    nodePreferences: [{ label: "tier", value: "fast", weight: 100 }],
    restart: "on-failure",
    strategy: "binpack",
    labels: { app: "shop", "example.com/team": "payments" },
  });
  assert.deepEqual(spec.ports, [
    { container: 8080, protocol: "tcp", name: "http" },
    { container: 8080, protocol: "udp" },
  ]);
  assert.equal(spec.volumes[1].stateful, true);
  assert.equal(spec.affinity[0].hard, false);
  assert.equal(spec.replicas, 100);
});

Deno.test("WorkloadSpec lets replicas without stateful volumes share a node", () => {
  const spec = WorkloadSpec.parse({
    ...base,
    replicas: 3,
    antiAffinitySelf: false,
    volumes: [{ name: "scratch", mountPath: "/tmp/scratch", stateful: false }],
  });
  assert.equal(spec.antiAffinitySelf, false);
  const cache = WorkloadSpec.parse({
    name: "cache",
    template: "redis",
    replicas: 2,
    antiAffinitySelf: false,
    volumes: [{ name: "data", mountPath: "/data", stateful: false }],
  });
  assert.equal(cache.replicas, 2);
});

Deno.test("WorkloadSpec accepts an env just under 64 KiB and a templated password of its own", () => {
  const value = "x".repeat(64 * 1024 - "BIG".length - 2);
  assert.equal(WorkloadSpec.parse({ ...base, env: { BIG: value } }).env.BIG, value);
  const own = WorkloadSpec.parse({ ...pg, env: { POSTGRES_PASSWORD: "a long passphrase" } });
  assert.equal(own.env.POSTGRES_PASSWORD, "a long passphrase");
});

Deno.test("WorkloadSpec parses its own output to the same spec", () => {
  for (const input of [base, pg, { name: "cache", template: "redis", replicas: 3 }]) {
    const once = WorkloadSpec.parse(input);
    assert.deepEqual(WorkloadSpec.parse(once), once);
  }
});

Deno.test("WorkloadPatch accepts only image, env, resources and replicas, at least one", () => {
  const cases: [unknown, string | null][] = [
    [{ replicas: 3 }, null],
    [{ image: "nginx:1.28", env: {} }, null],
    [{ resources: { memoryMiB: 1024 } }, null],
    [{}, ": must change at least one of image, env, resources, replicas"],
    [{ name: "other" }, ': Unrecognized key: "name"'],
    [{ replicas: 0 }, "replicas: must be a whole number from 1 to 100"],
    [
      { resources: { cpuMillicores: -1 } },
      "resources.cpuMillicores: must be a whole number from 10 to 64000 (1000 is one CPU)",
    ],
    [
      { env: { "BAD KEY": "1" } },
      "env.BAD KEY: must be an environment variable name: letters, digits and '_', not starting with a digit",
    ],
  ];
  for (const [input, expected] of cases) {
    const result = WorkloadPatch.safeParse(input);
    const found = result.success
      ? null
      : issueDetails(result.error).map((d) => `${d.path}: ${d.message}`)[0];
    assert.equal(found, expected, JSON.stringify(input));
  }
});

Deno.test("applyWorkloadPatch() merges resources, replaces env and checks the result again", () => {
  const current = WorkloadSpec.parse({ ...pg, env: { TZ: "UTC" } });
  const next = applyWorkloadPatch(
    current,
    WorkloadPatch.parse({ resources: { memoryMiB: 1024 }, env: { LANG: "C" }, replicas: 2 }),
  );
  assert.deepEqual(next.resources, { cpuMillicores: 1000, memoryMiB: 1024, diskGiB: 1, gpus: 0 });
  assert.deepEqual(next.env, { LANG: "C" });
  assert.equal(next.replicas, 2);
  assert.equal(next.image, "postgres:16");

  assert.throws(
    () => applyWorkloadPatch(current, WorkloadPatch.parse({ resources: { memoryMiB: 128 } })),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.status, 422);
      assert.match(err.message, /Cannot apply the change to workload "shop-db"/);
      assert.deepEqual(err.details, [{
        path: "resources.memoryMiB",
        code: "custom",
        message: "must be at least 256 MiB for the postgres template",
      }]);
      return true;
    },
  );
});

Deno.test("WorkloadSpec and WorkloadPatch appear as named schemas in the OpenAPI document", () => {
  const app = new OpenAPIHono();
  app.openapi(
    createRoute({
      method: "post",
      path: "/workloads",
      request: { body: { content: { "application/json": { schema: WorkloadSpec } } } },
      responses: { 204: { description: "ok" } },
    }),
    (c) => c.body(null, 204),
  );
  app.openapi(
    createRoute({
      method: "patch",
      path: "/workloads/x",
      request: { body: { content: { "application/json": { schema: WorkloadPatch } } } },
      responses: { 204: { description: "ok" } },
    }),
    (c) => c.body(null, 204),
  );
  const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
  const schemas = doc.components?.schemas ?? {};
  for (const name of ["WorkloadSpec", "WorkloadPatch", "WorkloadPort", "NodeConstraint"]) {
    assert.ok(name in schemas, `${name} missing from ${Object.keys(schemas)}`);
  }
});
