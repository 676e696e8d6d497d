import assert from "node:assert/strict";
import {
  applyStreamEvent,
  replicaCounts,
  resourcesLabel,
  statusTone,
  unplacedRows,
  type WorkloadDto,
} from "./view.ts";

function dto(id: string, createdAt: string, extra: Partial<WorkloadDto> = {}): WorkloadDto {
  return {
    id,
    name: id,
    owner: { id: "u", email: "u@example.com" },
    spec: { replicas: 2 } as WorkloadDto["spec"],
    generation: 1,
    desired: "running",
    status: "running",
    statusReason: null,
    unplaced: null,
    deployFailures: 0,
    allocations: [],
    createdAt,
    updatedAt: createdAt,
    ...extra,
  };
}

function alloc(slot: number, state: string, desired = "running") {
  return { slot, state, desired } as WorkloadDto["allocations"][number];
}

Deno.test("replicaCounts() counts running slots once and wants none of a stopped workload", () => {
  const w = dto("a", "2024-01-01T00:00:00Z", {
    allocations: [
      alloc(0, "running"),
      alloc(0, "running"),
      alloc(1, "pending"),
      alloc(1, "running", "removed"),
    ],
  });
  assert.deepEqual(replicaCounts(w), { running: 1, wanted: 2 });
  assert.deepEqual(replicaCounts({ ...w, desired: "stopped" }), { running: 1, wanted: 0 });
});

Deno.test("statusTone() colours each status, unknown ones neutral", () => {
  assert.deepEqual(
    ["running", "scheduled", "pending", "stopped", "failed", "lost", "odd"].map(statusTone),
    ["ok", "info", "warn", "neutral", "bad", "bad", "neutral"],
  );
});

Deno.test("unplacedRows() says, most first, how many nodes each filter turned away", () => {
  assert.deepEqual(unplacedRows({ memory: 3, online: 1, cpu: 0, pool: 3 }).map((r) => r.text), [
    "3 nodes lack free memory",
    "3 nodes are in another pool",
    "1 node is offline",
  ]);
  assert.equal(
    unplacedRows({ antiAffinitySelf: 1 })[0].text,
    "1 node already runs a replica of it",
  );
  assert.equal(
    unplacedRows({ constraints: 1 })[0].text,
    "1 node does not match the label constraints",
  );
  assert.deepEqual(unplacedRows(null), []);
});

Deno.test("applyStreamEvent() keeps the list newest first with one entry per workload", () => {
  const a = dto("a", "2024-01-01T00:00:00Z");
  const b = dto("b", "2024-01-02T00:00:00Z");
  let list = applyStreamEvent([], { event: "snapshot", data: { workloads: [b, a] } });
  const c = dto("c", "2024-01-03T00:00:00Z");
  list = applyStreamEvent(list, { event: "workload", data: c });
  assert.deepEqual(list.map((w) => w.id), ["c", "b", "a"]);
  list = applyStreamEvent(list, { event: "workload", data: { ...a, status: "stopped" } });
  assert.deepEqual(list.map((w) => `${w.id}:${w.status}`), ["c:running", "b:running", "a:stopped"]);
  list = applyStreamEvent(list, { event: "deleted", data: { id: "b" } });
  assert.deepEqual(list.map((w) => w.id), ["c", "a"]);
});

Deno.test("resourcesLabel() reads one replica's resources", () => {
  assert.equal(
    resourcesLabel({ cpuMillicores: 250, memoryMiB: 256, diskGiB: 1, gpus: 0 }),
    "0.25 CPU · 256 MiB · 1 GiB disk",
  );
  assert.equal(
    resourcesLabel({ cpuMillicores: 2000, memoryMiB: 1024, diskGiB: 0, gpus: 2 }),
    "2 CPU · 1 GiB · 0 GiB disk · 2 GPUs",
  );
});
