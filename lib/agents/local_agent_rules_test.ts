import assert from "node:assert/strict";
import {
  absolutePath,
  AGENT_PERMISSIONS,
  agentArgs,
  childLogEntry,
  chooseDeno,
  decideAvailability,
  type DockerProbe,
  loopbackUrl,
  probeFromError,
} from "./local_agent_rules.ts";
import { DockerDaemonDown, DockerError } from "../../agent/docker/mod.ts";

const SOCK = "/var/run/docker.sock";

const AVAILABILITY: [string, Parameters<typeof decideAvailability>[0], RegExp | null][] = [
  ["Docker answers", { mode: "auto", docker: { kind: "ok" }, deno: "deno" }, null],
  ["it is off", { mode: "off", docker: { kind: "ok" }, deno: "deno" }, /LATTICE_LOCAL_AGENT=off/],
  [
    "there is no socket",
    { mode: "auto", docker: { kind: "no_socket", target: SOCK }, deno: "deno" },
    /^Docker is not running here \(there is no Docker socket at \/var\/run\/docker\.sock\)/,
  ],
  [
    "the socket refuses this user",
    { mode: "auto", docker: { kind: "permission_denied", target: SOCK }, deno: "deno" },
    /permission denied on \/var\/run\/docker\.sock.*docker group/,
  ],
  [
    "nothing answers",
    { mode: "auto", docker: { kind: "not_running", target: SOCK }, deno: "deno" },
    /^Docker is not running here \(nothing answers/,
  ],
  [
    "the server may not start programs",
    { mode: "auto", docker: { kind: "ok" }, deno: null },
    /--allow-run=deno/,
  ],
];

for (const [name, input, reason] of AVAILABILITY) {
  Deno.test(`decideAvailability() when ${name}`, () => {
    const got = decideAvailability(input);
    assert.equal(got.available, reason === null);
    if (reason === null) assert.equal(got.reason, null);
    else assert.match(got.reason ?? "", reason);
  });
}

Deno.test("probeFromError() tells a missing socket, a refusal and a stopped daemon apart", () => {
  const cases: [unknown, DockerProbe["kind"]][] = [
    [new Deno.errors.NotFound("no such file"), "no_socket"],
    [new Deno.errors.PermissionDenied("denied"), "permission_denied"],
    [
      new DockerError("permission_denied", "Permission denied on the Docker socket"),
      "permission_denied",
    ],
    [new DockerDaemonDown("Cannot reach Docker"), "not_running"],
    [new DockerError("api_too_old", "Docker is too old"), "unusable"],
  ];
  for (const [err, kind] of cases) assert.equal(probeFromError(err, SOCK).kind, kind, String(err));
});

Deno.test("loopbackUrl() turns wildcard listen addresses into loopback", () => {
  assert.equal(loopbackUrl("0.0.0.0", 8000), "http://127.0.0.1:8000");
  assert.equal(loopbackUrl("::", 8000), "http://[::1]:8000");
  assert.equal(loopbackUrl("127.0.0.1", 9001), "http://127.0.0.1:9001");
  assert.equal(loopbackUrl("::1", 9001), "http://[::1]:9001");
  assert.equal(loopbackUrl("localhost", 80), "http://localhost:80");
});

Deno.test("chooseDeno() prefers this executable, then deno on the PATH, else nothing", () => {
  const exe = "/usr/lib/deno/deno";
  assert.equal(chooseDeno(exe, () => true), exe);
  assert.equal(chooseDeno(exe, (c) => c === "deno"), "deno");
  assert.equal(chooseDeno(exe, () => false), null);
});

Deno.test("agentArgs() builds the join and run command lines without the token", () => {
  const paths = { script: "/d/local-agent/lattice-agent.js", stateDir: "/d/local-agent" };
  assert.deepEqual(agentArgs({ command: "join", serverUrl: "http://127.0.0.1:8000" }, paths), [
    "run",
    "--no-config",
    ...AGENT_PERMISSIONS,
    "/d/local-agent/lattice-agent.js",
    "join",
    "--server",
    "http://127.0.0.1:8000",
    "--state-dir",
    "/d/local-agent",
  ]);
  assert.deepEqual(agentArgs({ command: "run" }, paths).slice(-4), [
    "/d/local-agent/lattice-agent.js",
    "run",
    "--state-dir",
    "/d/local-agent",
  ]);
  assert.deepEqual([...AGENT_PERMISSIONS], [
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-sys",
  ]);
});

Deno.test("childLogEntry() keeps the agent's JSON fields and level, and wraps plain lines", () => {
  const json = childLogEntry(
    JSON.stringify({ time: "t", level: "warn", msg: "docker down", component: "agent", x: 1 }),
    "stdout",
  );
  assert.deepEqual(json, { level: "warn", msg: "docker down", fields: { x: 1, stream: "stdout" } });
  assert.deepEqual(childLogEntry("lattice-agent: join failed", "stderr"), {
    level: "warn",
    msg: "lattice-agent: join failed",
    fields: { stream: "stderr" },
  });
  assert.equal(childLogEntry("{not json", "stdout").msg, "{not json");
  assert.equal(
    childLogEntry("Connected to http://127.0.0.1:8000 as node x.", "stderr").level,
    "info",
  );
});

Deno.test("absolutePath() resolves a relative data dir against the working dir", () => {
  assert.equal(absolutePath("./data", "/srv/lattice"), "/srv/lattice/data");
  assert.equal(absolutePath("data", "/srv/lattice/"), "/srv/lattice/data");
  assert.equal(absolutePath("/var/lib/lattice", "/srv"), "/var/lib/lattice");
});
