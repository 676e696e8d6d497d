// The supervisor, with a stand-in agent script in place of the real bundle: real child
// processes, no server and no Docker.
import assert from "node:assert/strict";
import { LocalAgent, type LocalAgentDeps } from "./local_agent.ts";
import { ConflictError, ForbiddenError } from "../errors.ts";
import { createLogger, createMemorySink } from "../log.ts";
import type { Principal } from "../auth/principal.ts";
import type { Node } from "../../db/nodes.ts";

const SOCK = "/var/run/docker.sock";

const NODE_ID = "2b1f0a52-3c44-4b8e-9a63-0f8f2a1d7c11";
const FAKE_AGENT = `
const [command, ...rest] = Deno.args;
const dir = rest[rest.indexOf("--state-dir") + 1];
if (command === "join") {
  if (Deno.env.get("LATTICE_JOIN_TOKEN") !== "ljt_good") {
    console.error("lattice-agent: join failed: This join token is not valid");
    Deno.exit(1);
  }
  Deno.writeTextFileSync(dir + "/state.json", JSON.stringify({
    version: 1, nodeId: "${NODE_ID}", serverUrl: "http://127.0.0.1:1", name: "here",
    labels: {}, joinedAt: new Date().toISOString(), publicKey: "${"A".repeat(43)}",
  }));
  console.log("Joined");
  Deno.exit(0);
}
console.log(JSON.stringify({ level: "info", msg: "agent starting", component: "agent" }));
let crash = false;
try { crash = Deno.readTextFileSync(dir + "/crash") === "yes"; } catch { /* none */ }
if (crash) { console.error("boom"); Deno.exit(1); }
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
setInterval(() => {}, 1000);
`;

const ADMIN: Principal = {
  userId: "u1",
  email: "admin@example.com",
  role: "admin",
  createdAt: new Date(0).toISOString(),
  method: "session",
  viaCookie: true,
  sessionId: "s1",
  tokenId: null,
};
const META = { ip: null, userAgent: null, requestId: null };

function harness(overrides: Partial<LocalAgentDeps> & { token?: string } = {}) {
  const sink = createMemorySink();
  const calls = { tokens: 0, approvals: [] as string[] };
  return {
    sink,
    calls,
    deps: async (dataDir?: string): Promise<LocalAgentDeps> => ({
      mode: "auto",
      dataDir: dataDir ?? await Deno.makeTempDir({ prefix: "lattice-local-agent-" }),
      serverUrl: "http://127.0.0.1:1",
      log: createLogger({ level: "debug", sink }),
      nodes: () => ({
        createJoinToken: () => {
          calls.tokens++;
          return Promise.resolve({ secret: overrides.token ?? "ljt_good" });
        },
        decideNode: (_p, id) => {
          calls.approvals.push(id);
          return Promise.resolve(null);
        },
      }),
      getNode: () =>
        Promise.resolve({ name: "here", approval: "approved", status: "online" } as Node),
      bundle: () => Promise.resolve(new TextEncoder().encode(FAKE_AGENT)),
      probeDocker: () => Promise.resolve({ kind: "ok" }),
      deno: () => Deno.execPath(),
      restart: { baseMs: 10, capMs: 20 },
      ...overrides,
    }),
  };
}

async function until<T>(check: () => Promise<T | null | false> | T | null | false, what: string) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

Deno.test("LocalAgent.add() joins once, approves the node and runs the agent until close()", async () => {
  const h = harness();
  const agent = new LocalAgent(await h.deps());
  try {
    const first = await agent.add(ADMIN, {}, META);
    assert.equal(first.state, "starting");
    const running = await until(async () => {
      const s = await agent.status();
      return s.state === "running" && s.pid !== null && s;
    }, "running");
    assert.equal(running.nodeId, NODE_ID);
    assert.deepEqual(h.calls.approvals, [NODE_ID]);
    const again = await agent.add(ADMIN, {}, META);
    assert.equal(again.pid, running.pid, "a second click starts nothing new");
    assert.equal(h.calls.tokens, 1);
    await until(
      () =>
        h.sink.lines.some((l) => {
          const r = JSON.parse(l);
          return r.component === "local-agent" && r.msg === "agent starting";
        }),
      "the child's lines logged under component local-agent",
    );
    await agent.close();
    assert.equal(alive(running.pid!), false, "the agent process is gone after close()");
    assert.equal((await agent.status()).state, "stopped");
  } finally {
    await agent.close();
  }
});

Deno.test("LocalAgent.add() refuses non-admins and unavailable machines", async () => {
  const h = harness({ probeDocker: () => Promise.resolve({ kind: "not_running", target: SOCK }) });
  const agent = new LocalAgent(await h.deps());
  await assert.rejects(agent.add({ ...ADMIN, role: "user" }, {}, META), ForbiddenError);
  await assert.rejects(agent.add(ADMIN, {}, META), (err: unknown) => {
    assert.ok(err instanceof ConflictError);
    assert.match(String((err.details as { reason: string }).reason), /Docker is not running/);
    return true;
  });
  assert.equal(h.calls.tokens, 0);
  await agent.close();
});

Deno.test("LocalAgent reports a failed join with the agent's own message", async () => {
  const h = harness({ token: "ljt_bad" });
  const agent = new LocalAgent(await h.deps());
  try {
    await agent.add(ADMIN, {}, META);
    const failed = await until(async () => {
      const s = await agent.status();
      return s.state === "failed" && s;
    }, "failed");
    assert.match(failed.lastError ?? "", /join failed: This join token is not valid/);
    assert.deepEqual(h.calls.approvals, []);
  } finally {
    await agent.close();
  }
});

Deno.test("LocalAgent restarts a crashed agent, and resume() starts a joined one again", async () => {
  const h = harness();
  const deps = await h.deps();
  const agent = new LocalAgent(deps);
  let pid: number;
  try {
    await agent.add(ADMIN, {}, META);
    pid = (await until(async () => (await agent.status()).pid, "first run"))!;
    await Deno.writeTextFile(`${agent.dir}/crash`, "yes");
    Deno.kill(pid, "SIGKILL");
    await until(() => h.sink.lines.filter((l) => l.includes("restarting")).length >= 2, "restarts");
    const s = await agent.status();
    assert.match(s.lastError ?? "", /exited with code 1: boom/);
    await Deno.remove(`${agent.dir}/crash`);
    await until(async () => (await agent.status()).state === "running", "running again");
  } finally {
    await agent.close();
  }
  const next = new LocalAgent(await harness().deps(deps.dataDir));
  try {
    await next.resume();
    const resumed = await until(async () => {
      const s = await next.status();
      return s.state === "running" && s.pid !== null && s;
    }, "resumed");
    assert.equal(resumed.nodeId, NODE_ID);
    assert.notEqual(resumed.pid, pid);
    await next.remove();
    assert.equal((await next.status()).state, "stopped");
  } finally {
    await next.close();
  }
  const afterRemove = new LocalAgent(await harness().deps(deps.dataDir));
  await afterRemove.resume();
  assert.equal((await afterRemove.status()).state, "stopped", "a removed agent stays stopped");
  await afterRemove.close();
});
