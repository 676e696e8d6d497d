import assert from "node:assert/strict";
import {
  createMetricsSampler,
  isHostInterface,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
} from "./metrics.ts";
import type { RunCommand } from "./command.ts";

const STAT_1 = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\nintr 1 2 3\n";
const STAT_2 = "cpu  160 0 70 900 70 0 0 0 0 0\ncpu0 80 0 35 440 35 0 0 0 0 0\nintr 1 2 3\n";
const MEMINFO = "MemTotal:       16384000 kB\nMemFree:         1000000 kB\n" +
  "MemAvailable:    4096000 kB\nBuffers:          200000 kB\nCached:          3000000 kB\n";
const NETDEV = (eth: [number, number], docker: [number, number]) =>
  "Inter-|   Receive                                                |  Transmit\n" +
  " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
  `    lo: 5000 50 0 0 0 0 0 0 5000 50 0 0 0 0 0 0\n` +
  `  eth0: ${eth[0]} 10 0 0 0 0 0 0 ${eth[1]} 10 0 0 0 0 0 0\n` +
  `docker0: ${docker[0]} 10 0 0 0 0 0 0 ${docker[1]} 10 0 0 0 0 0 0\n` +
  `vethab12: 9 1 0 0 0 0 0 0 9 1 0 0 0 0 0 0\n`;

Deno.test("parseProcStat() counts iowait as idle and the rest as busy", () => {
  assert.deepEqual(parseProcStat(STAT_1), { busy: 150, total: 1000 });
  assert.equal(parseProcStat("intr 1 2\n"), null);
});

Deno.test("parseMeminfo() reports MemTotal − MemAvailable in bytes", () => {
  assert.deepEqual(parseMeminfo(MEMINFO), {
    usedBytes: (16384000 - 4096000) * 1024,
    totalBytes: 16384000 * 1024,
  });
  const old = "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 100 kB\nCached: 300 kB\n";
  assert.deepEqual(parseMeminfo(old), { usedBytes: 500 * 1024, totalBytes: 1000 * 1024 });
  assert.equal(parseMeminfo(""), null);
});

Deno.test("parseNetDev() reads receive and transmit bytes of every interface", () => {
  const counters = parseNetDev(NETDEV([1000, 2000], [7, 8]));
  assert.deepEqual(counters.get("eth0"), { rxBytes: 1000, txBytes: 2000 });
  assert.deepEqual(counters.get("docker0"), { rxBytes: 7, txBytes: 8 });
  assert.deepEqual([...counters.keys()], ["lo", "eth0", "docker0", "vethab12"]);
});

Deno.test("isHostInterface() leaves out loopback and Docker's interfaces", () => {
  assert.deepEqual(
    ["lo", "eth0", "wlp2s0", "docker0", "veth1a2b", "br-5f3c", "enp0s31f6"].filter(isHostInterface),
    ["eth0", "wlp2s0", "enp0s31f6"],
  );
});

Deno.test("createMetricsSampler() reports rates since the previous sample", async () => {
  const files = new Map([
    ["/proc/stat", STAT_1],
    ["/proc/meminfo", MEMINFO],
    ["/proc/net/dev", NETDEV([1000, 2000], [0, 0])],
  ]);
  let clock = 10_000;
  const df: RunCommand = () =>
    Promise.resolve({ success: true, code: 0, stdout: "size avail\n1000 400\n", stderr: "" });
  const sampler = createMetricsSampler({
    readFile: (path) => Promise.resolve(files.get(path)!),
    run: df,
    now: () => clock,
  });

  const first = await sampler.sample();
  assert.deepEqual(first, {
    cpuPercent: 0,
    memory: { usedBytes: (16384000 - 4096000) * 1024, totalBytes: 16384000 * 1024 },
    disk: { usedBytes: 600, totalBytes: 1000 },
    network: { rxBps: 0, txBps: 0 },
  });

  files.set("/proc/stat", STAT_2);
  files.set("/proc/net/dev", NETDEV([3000, 6000], [1e9, 1e9]));
  clock += 2000;
  const second = await sampler.sample();
  // busy 150 → 230 of total 1000 → 1200: 80 / 200.
  assert.equal(second.cpuPercent, 40);
  // eth0 only: +2000 rx and +4000 tx over 2 s; docker0's gigabyte is not the host's traffic.
  assert.deepEqual(second.network, { rxBps: 1000, txBps: 2000 });
});

Deno.test("createMetricsSampler() degrades to zeros and Deno's memory figures without /proc", async () => {
  const sampler = createMetricsSampler({
    readFile: () => Promise.reject(new Deno.errors.NotFound("no /proc")),
    run: () => Promise.reject(new Deno.errors.NotFound("no df")),
  });
  await sampler.sample();
  const sample = await sampler.sample();
  assert.equal(sample.cpuPercent, 0);
  assert.deepEqual(sample.network, { rxBps: 0, txBps: 0 });
  assert.deepEqual(sample.disk, { usedBytes: 0, totalBytes: 0 });
  assert.ok(sample.memory.totalBytes >= sample.memory.usedBytes);
});

Deno.test({
  name: "createMetricsSampler() gives plausible figures for this Linux machine",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const sampler = createMetricsSampler({ diskPath: "/" });
    const started = performance.now();
    await sampler.sample();
    // Burn some CPU so the delta is not empty.
    const until = performance.now() + 150;
    while (performance.now() < until) Math.sqrt(Math.random());
    const sample = await sampler.sample();
    assert.ok(performance.now() - started < 2000);
    assert.ok(sample.cpuPercent >= 0 && sample.cpuPercent <= 100, `cpu ${sample.cpuPercent}`);
    assert.ok(sample.memory.totalBytes > 64 * 1024 * 1024);
    assert.ok(sample.memory.usedBytes > 0 && sample.memory.usedBytes < sample.memory.totalBytes);
    assert.ok(sample.disk.totalBytes > 0 && sample.disk.usedBytes <= sample.disk.totalBytes);
    assert.ok(sample.network.rxBps >= 0 && sample.network.txBps >= 0);
    assert.ok(Number.isInteger(sample.network.rxBps));
  },
});
