import assert from "node:assert/strict";
import type { CommandOutput, RunCommand } from "./command.ts";
import {
  parseCpuModel,
  parseDfBytes,
  parseDfPosix,
  parseNvidiaSmi,
  parseOsRelease,
  probeDisk,
  probeGpus,
  probeHost,
} from "./probes.ts";

const ok = (stdout: string): CommandOutput => ({ success: true, code: 0, stdout, stderr: "" });
const failed = (stderr: string): CommandOutput => ({ success: false, code: 1, stdout: "", stderr });
const missing: RunCommand = () => Promise.reject(new Deno.errors.NotFound("no such binary"));

Deno.test("parseCpuModel() reads the x86 model name and ARM's alternatives", () => {
  const x86 = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 85\n" +
    "model name\t: Intel(R) Xeon(R)   Gold 6148 CPU @ 2.40GHz\n";
  assert.equal(parseCpuModel(x86), "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz");
  const pi =
    "processor\t: 0\nBogoMIPS\t: 108.00\n\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n";
  assert.equal(parseCpuModel(pi), "Raspberry Pi 4 Model B Rev 1.4");
  assert.equal(parseCpuModel(""), null);
});

Deno.test("parseOsRelease() unquotes PRETTY_NAME", () => {
  assert.equal(
    parseOsRelease(
      'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n',
    ),
    "Debian GNU/Linux 12 (bookworm)",
  );
  assert.equal(parseOsRelease("PRETTY_NAME=Alpine\n"), "Alpine");
  assert.equal(parseOsRelease("ID=arch\n"), null);
});

Deno.test("probeHost() falls back to Deno's own knowledge without /proc or /etc", async () => {
  const host = await probeHost(() => Promise.reject(new Deno.errors.NotFound("x")));
  assert.equal(host.cpu.model, "unknown");
  assert.equal(host.os, Deno.build.os);
  assert.equal(host.arch, Deno.build.arch);
  assert.ok(host.cpu.cores >= 1);
});

Deno.test({
  name: "probeHost() describes this Linux machine plausibly",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const host = await probeHost();
    assert.ok(host.cpu.cores >= 1 && host.cpu.cores <= 4096);
    assert.notEqual(host.cpu.model, "");
    assert.ok(host.memoryBytes > 64 * 1024 * 1024, `memory ${host.memoryBytes}`);
    assert.notEqual(host.kernel, "unknown");
    assert.ok(host.os.length > 0);
  },
});

Deno.test("parseDfBytes() reads GNU df's byte output", () => {
  assert.deepEqual(parseDfBytes("   1B-blocks       Avail\n270553174016 83235319808\n"), {
    totalBytes: 270553174016,
    freeBytes: 83235319808,
  });
  assert.equal(parseDfBytes("df: /nope: No such file or directory\n"), null);
});

Deno.test("parseDfPosix() reads POSIX df output in KiB, even with spaces in names", () => {
  const out = "Filesystem 1024-blocks Used Available Capacity Mounted on\n" +
    "/dev/disk1s1 488245288 401234567 86000000 83% /System/Volumes/My Data\n";
  assert.deepEqual(parseDfPosix(out), { totalBytes: 488245288 * 1024, freeBytes: 86000000 * 1024 });
  assert.equal(parseDfPosix("garbage"), null);
});

Deno.test("probeDisk() falls back to POSIX df, then to zeros", async () => {
  const calls: string[][] = [];
  const macos: RunCommand = (_cmd, args) => {
    calls.push(args);
    return Promise.resolve(
      args[0] === "-B1"
        ? failed("df: illegal option -- B")
        : ok("Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x 100 40 60 40% /\n"),
    );
  };
  assert.deepEqual(await probeDisk("/var", macos), {
    path: "/var",
    totalBytes: 102400,
    freeBytes: 61440,
  });
  assert.deepEqual(calls, [["-B1", "--output=size,avail", "/var"], ["-Pk", "/var"]]);
  assert.deepEqual(await probeDisk("C:\\", missing), { path: "C:\\", totalBytes: 0, freeBytes: 0 });
});

Deno.test({
  name: "probeDisk() measures a real file system",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const disk = await probeDisk("/");
    assert.ok(disk.totalBytes > 0 && disk.freeBytes <= disk.totalBytes, JSON.stringify(disk));
  },
});

Deno.test("parseNvidiaSmi() turns CSV lines into GPUs with memory in bytes", () => {
  const out = "0, NVIDIA GeForce RTX 3090, 24576\n1, Tesla T4, 15360\n\n2, Odd, Name, [N/A]\n";
  assert.deepEqual(parseNvidiaSmi(out), [
    { index: 0, model: "NVIDIA GeForce RTX 3090", memoryBytes: 24576 * 1024 * 1024 },
    { index: 1, model: "Tesla T4", memoryBytes: 15360 * 1024 * 1024 },
    { index: 2, model: "Odd, Name", memoryBytes: 0 },
  ]);
  assert.deepEqual(parseNvidiaSmi(""), []);
});

Deno.test("probeGpus() reports no GPUs when nvidia-smi is missing, without an error", async () => {
  const errors: unknown[] = [];
  assert.deepEqual(await probeGpus(missing, (_p, e) => errors.push(e)), []);
  assert.deepEqual(errors, []);
});

Deno.test("probeGpus() reports no GPUs and the error when the driver does not answer", async () => {
  const errors: string[] = [];
  const broken: RunCommand = () => Promise.resolve(failed("NVIDIA-SMI has failed"));
  assert.deepEqual(await probeGpus(broken, (probe, e) => errors.push(`${probe}: ${e}`)), []);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^gpus: .*NVIDIA-SMI has failed/);
});

Deno.test("probeGpus() asks nvidia-smi for index, name and memory as bare CSV", async () => {
  let asked: string[] = [];
  const smi: RunCommand = (cmd, args) => {
    asked = [cmd, ...args];
    return Promise.resolve(ok("0, A100, 81920\n"));
  };
  assert.deepEqual(await probeGpus(smi), [{
    index: 0,
    model: "A100",
    memoryBytes: 81920 * 1024 * 1024,
  }]);
  assert.deepEqual(asked, [
    "nvidia-smi",
    "--query-gpu=index,name,memory.total",
    "--format=csv,noheader,nounits",
  ]);
});
