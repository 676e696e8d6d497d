import assert from "node:assert/strict";
import {
  dockerProblemFix,
  dockerSetupFor,
  parseOsRelease,
  realStepRunner,
  runInstallSteps,
} from "./docker_install.ts";

const DEBIAN = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
`;
const MINT =
  `NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\nPRETTY_NAME="Linux Mint 21"\n`;
const FEDORA = `NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40"\n`;
const ARCH = `NAME="Arch Linux"\nID=arch\n`;

Deno.test("os-release is parsed with quoted and unquoted values", () => {
  assert.deepEqual(parseOsRelease(DEBIAN), {
    id: "debian",
    idLike: [],
    versionId: "12",
    prettyName: "Debian GNU/Linux 12 (bookworm)",
  });
  assert.deepEqual(parseOsRelease(MINT).idLike, ["ubuntu", "debian"]);
  assert.equal(parseOsRelease("").id, "linux");
});

Deno.test("Debian and its derivatives install the distribution's docker.io with sudo", () => {
  for (const text of [DEBIAN, MINT]) {
    const setup = dockerSetupFor("linux", parseOsRelease(text), "ada");
    assert.equal(setup.kind, "auto");
    if (setup.kind !== "auto") return;
    assert.deepEqual(setup.steps.map((s) => s.command.join(" ")), [
      "sudo apt-get update",
      "sudo apt-get install -y docker.io",
      "sudo systemctl enable --now docker",
      "sudo usermod -aG docker ada",
    ]);
    assert.match(setup.after, /log out and back in/);
  }
});

Deno.test("Fedora installs moby-engine; root needs neither sudo nor the docker group", () => {
  const setup = dockerSetupFor("linux", parseOsRelease(FEDORA), "root");
  assert.equal(setup.kind, "auto");
  if (setup.kind !== "auto") return;
  assert.deepEqual(setup.steps.map((s) => s.command.join(" ")), [
    "dnf install -y moby-engine",
    "systemctl enable --now docker",
  ]);
});

Deno.test("macOS, Windows and other Linux get instructions instead of commands", () => {
  const mac = dockerSetupFor("darwin", null, "ada");
  assert.equal(mac.kind, "manual");
  assert.match(JSON.stringify(mac), /colima start/);
  const win = dockerSetupFor("windows", null, "ada");
  assert.equal(win.kind, "manual");
  assert.match(JSON.stringify(win), /WSL 2/);
  const arch = dockerSetupFor("linux", parseOsRelease(ARCH), "ada");
  assert.equal(arch.kind, "manual");
  assert.match(JSON.stringify(arch), /usermod -aG docker ada/);
});

Deno.test("every problem has a fix with the command for the OS", () => {
  const debian = parseOsRelease(DEBIAN);
  assert.match(dockerProblemFix("linux", debian, "stopped"), /systemctl enable --now docker/);
  assert.match(dockerProblemFix("linux", debian, "permission", "ada"), /usermod -aG docker ada/);
  assert.match(dockerProblemFix("linux", debian, "missing"), /install it for you/);
  assert.match(dockerProblemFix("darwin", null, "stopped"), /colima start/);
  assert.match(dockerProblemFix("windows", null, "missing"), /Docker Desktop/);
  assert.match(dockerProblemFix("linux", null, "too_old"), /20\.10/);
});

Deno.test("install steps run in order with their output; the first failure stops the rest", async () => {
  const lines: string[] = [];
  const result = await runInstallSteps(
    [
      { command: ["sh", "-c", "echo one; echo warn >&2"], why: "first" },
      { command: ["sh", "-c", "printf 'two\\nthree'; exit 3"], why: "fails" },
      { command: ["sh", "-c", "echo never"], why: "skipped" },
    ],
    realStepRunner,
    (step, stream, line) => lines.push(`${step}:${stream}:${line}`),
  );
  assert.deepEqual(result, { ok: false, failedStep: 1, code: 3 });
  assert.deepEqual(lines.sort(), [
    "0:stderr:warn",
    "0:stdout:one",
    "1:stdout:three",
    "1:stdout:two",
  ]);
});

Deno.test("a command that does not exist fails its step with a message", async () => {
  const lines: string[] = [];
  const result = await runInstallSteps(
    [{ command: ["lattice-no-such-command"], why: "missing" }],
    realStepRunner,
    (_step, _stream, line) => lines.push(line),
  );
  assert.deepEqual(result, { ok: false, failedStep: 0, code: 127 });
  assert.match(lines[0], /cannot run lattice-no-such-command/);
});
