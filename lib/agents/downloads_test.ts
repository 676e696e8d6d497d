import assert from "node:assert/strict";
import {
  AGENT_TARGETS,
  binaryFile,
  BUNDLE_FILE,
  DownloadName,
  listDownloads,
  sha256Hex,
  sha256sums,
  targetFor,
} from "./downloads.ts";
import { agentBundle } from "./agent_bundle.ts";

const INSTALL_SH = new URL("./install/install.sh", import.meta.url).pathname;
const BUILD_SH = new URL("../../scripts/build_agent.sh", import.meta.url).pathname;

const PLATFORMS: [string, string, string | null][] = [
  ["Linux", "x86_64", "x86_64-unknown-linux-gnu"],
  ["linux", "amd64", "x86_64-unknown-linux-gnu"],
  ["Linux", "aarch64", "aarch64-unknown-linux-gnu"],
  ["Linux", "arm64", "aarch64-unknown-linux-gnu"],
  ["Darwin", "x86_64", "x86_64-apple-darwin"],
  ["Darwin", "arm64", "aarch64-apple-darwin"],
  ["darwin", "aarch64", "aarch64-apple-darwin"],
  ["windows", "x86_64", "x86_64-pc-windows-msvc"],
  ["Windows_NT", "AMD64", "x86_64-pc-windows-msvc"],
  ["MINGW64_NT-10.0-19045", "x86_64", "x86_64-pc-windows-msvc"],
  ["windows", "aarch64", null],
  ["Linux", "armv7l", null],
  ["Linux", "riscv64", null],
  ["FreeBSD", "amd64", null],
];

Deno.test("targetFor() maps uname and Deno.build names to the build targets", () => {
  for (const [os, arch, want] of PLATFORMS) {
    assert.equal(targetFor(os, arch), want, `${os} ${arch}`);
  }
  assert.equal(targetFor(Deno.build.os, Deno.build.arch) !== null, true, "this machine has one");
});

Deno.test("install.sh picks the same build as targetFor() for every platform", async () => {
  const script = await Deno.readTextFile(INSTALL_SH);
  const lines = script.trimEnd().split("\n");
  assert.equal(lines.at(-1), 'main "$@"', "the script ends by calling main");
  // Everything but the call to main defines functions; then ask the shell's table.
  const library = lines.slice(0, -1).join("\n");
  for (const [os, arch, want] of PLATFORMS) {
    const out = await new Deno.Command("sh", {
      args: ["-c", `${library}\nlattice_target "$1" "$2"`, "sh", os, arch],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const got = new TextDecoder().decode(out.stdout).trim();
    assert.equal(got, want ? binaryFile(want as never).slice("lattice-agent-".length) : "", os);
  }
});

Deno.test("AGENT_TARGETS are the targets scripts/build_agent.sh builds", async () => {
  const script = await Deno.readTextFile(BUILD_SH);
  const list = /^TARGETS=\(([^)]*)\)/m.exec(script)?.[1].trim().split(/\s+/);
  assert.deepEqual(list, [...AGENT_TARGETS]);
});

Deno.test("binaryFile() names Windows builds .exe and the others bare", () => {
  assert.equal(binaryFile("x86_64-pc-windows-msvc"), "lattice-agent-x86_64-pc-windows-msvc.exe");
  assert.equal(binaryFile("aarch64-apple-darwin"), "lattice-agent-aarch64-apple-darwin");
});

Deno.test("DownloadName accepts the files on offer and nothing else", () => {
  for (const ok of [BUNDLE_FILE, "SHA256SUMS", ...AGENT_TARGETS.map(binaryFile)]) {
    assert.ok(DownloadName.safeParse(ok).success, ok);
  }
  for (
    const bad of ["", "..", "../deno.json", "lattice-agent", "main.ts", "lattice-agent.js.map"]
  ) {
    assert.equal(DownloadName.safeParse(bad).success, false, bad);
  }
});

Deno.test("sha256sums() writes sha256sum's format", async () => {
  const a = await sha256Hex(new TextEncoder().encode("abc"));
  assert.equal(a, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(
    sha256sums([{ name: "x", sha256: a }, { name: "y.js", sha256: "00" }]),
    `${a}  x\n00  y.js\n`,
  );
});

Deno.test("sha256Hex() of a stream equals that of its bytes", async () => {
  const bytes = crypto.getRandomValues(new Uint8Array(50_000));
  const stream = new Blob([bytes.slice(0, 1000), bytes.slice(1000)]).stream();
  assert.equal(await sha256Hex(stream), await sha256Hex(bytes));
});

Deno.test("listDownloads() offers the binaries found in dist/ and always the bundle", async () => {
  const dist = await Deno.makeTempDir({ prefix: "lattice-dist-" });
  try {
    const bytes = new TextEncoder().encode("pretend binary");
    await Deno.writeFile(`${dist}/lattice-agent-aarch64-apple-darwin`, bytes);
    await Deno.writeFile(`${dist}/lattice-agent-x86_64-pc-windows-msvc.exe`, bytes);
    await Deno.writeFile(`${dist}/lattice-agent-unknown-target`, bytes);
    const list = await listDownloads(dist);
    assert.deepEqual(list.map((d) => d.name), [
      "lattice-agent-aarch64-apple-darwin",
      "lattice-agent-x86_64-pc-windows-msvc.exe",
      BUNDLE_FILE,
    ]);
    const binary = list[0];
    assert.equal(binary.sha256, await sha256Hex(bytes));
    assert.equal(binary.size, bytes.byteLength);
    const served = await new Response(await binary.open() as BodyInit).bytes();
    assert.deepEqual(served, bytes);

    const bundle = list.at(-1)!;
    assert.equal(bundle.sha256, await sha256Hex(await agentBundle()));
    assert.match(bundle.contentType, /^text\/javascript/);

    // A rebuilt binary (new size) gets a new checksum.
    const rebuilt = new TextEncoder().encode("pretend binary, version 2");
    await Deno.writeFile(`${dist}/lattice-agent-aarch64-apple-darwin`, rebuilt);
    const again = await listDownloads(dist);
    assert.equal(again[0].sha256, await sha256Hex(rebuilt));
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});
