/**
 * The agent WebSocket protocol, end to end over real sockets: join, approval, proofs,
 * heartbeats, refusals, ownership, bad frames and a fuzz run. Agents here are SimAgents (a
 * simulation of the protocol); the real agent with real Docker is tested in agent_e2e_test.ts.
 */
import assert from "node:assert/strict";
import { appTest, signUp, type TestApp } from "./helpers/app.ts";
import { createJoinToken, SimAgent, simKeys, simMetrics } from "./helpers/sim_agent.ts";
import { CLOSE, type InventoryItem } from "../lib/protocol.ts";
import { waitFor } from "./helpers/server.ts";

const FAST = { hub: { heartbeatIntervalMs: 200, sweepEveryMs: 50 } };

async function setup(app: TestApp) {
  const { token } = await signUp(app);
  const baseUrl = app.listen();
  const joinToken = await createJoinToken(baseUrl, token);
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}/api/v1${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        ...init.headers,
      },
    });
  const approve = async (nodeId: string) => {
    const res = await api(`/nodes/${nodeId}/approve`, { method: "POST", body: "{}" });
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
  };
  const node = async (nodeId: string) => {
    const res = await api(`/nodes/${nodeId}`);
    assert.equal(res.status, 200);
    return await res.json();
  };
  const onlineAgent = async (name = "sim") => {
    const agent = await SimAgent.join(baseUrl, joinToken, name);
    await approve(agent.nodeId);
    const answer = await agent.handshake();
    assert.equal(answer.type, "welcome", JSON.stringify(answer));
    return agent;
  };
  return { baseUrl, joinToken, api, approve, node, onlineAgent, adminToken: token };
}

function item(allocationId: string, containerId = "a".repeat(64)): InventoryItem {
  return {
    allocationId,
    workloadId: null,
    containerId,
    name: "lattice-test",
    image: "busybox",
    state: "running",
    exitCode: null,
    ports: [],
    startedAt: null,
  };
}

appTest(
  "a joined node waits as pending, goes online when approved, and its heartbeats are stored and acked",
  async (app) => {
    const { baseUrl, joinToken, approve, node } = await setup(app);
    const agent = await SimAgent.join(baseUrl, joinToken, "laptop");
    try {
      const first = await agent.handshake();
      assert.equal(first.type, "pending");
      assert.equal((await node(agent.nodeId)).node.status, "unknown");

      await approve(agent.nodeId);
      const welcome = await agent.next("welcome");
      assert.equal(welcome.nodeId, agent.nodeId);
      assert.equal(welcome.heartbeatIntervalMs, 200);
      assert.equal(welcome.ackedSeq, 0);
      await waitFor(async () => (await node(agent.nodeId)).node.status === "online", {
        timeoutMs: 5000,
      });

      const seq = agent.heartbeat(simMetrics(42));
      await agent.acked(seq);
      const rows = await app.db.query(
        `SELECT seq::int, cpu_percent FROM node_metrics WHERE node_id = $1`,
        [agent.nodeId],
      );
      assert.deepEqual(rows.map((r) => [r.seq, r.cpu_percent]), [[1, 42]]);
      const detail = await node(agent.nodeId);
      assert.equal(detail.node.lastMetrics.cpuPercent, 42);
      assert.equal(detail.node.capabilities.cpu.cores, 4);
      assert.deepEqual(detail.node.labels, { zone: "test" });
    } finally {
      agent.close();
    }
  },
  FAST,
);

appTest(
  "a reconnecting agent learns which records were stored, and replays are stored once",
  async (app) => {
    const { onlineAgent } = await setup(app);
    const agent = await onlineAgent();
    try {
      for (let i = 0; i < 5; i++) agent.heartbeat();
      await agent.acked(5);
      agent.close();
      await agent.next("close");
      const again = new SimAgent(agent.baseUrl, agent.keys);
      again.nodeId = agent.nodeId;
      const welcome = await again.handshake();
      assert.equal(welcome.type, "welcome");
      assert.equal((welcome as { ackedSeq: number }).ackedSeq, 5);
      // Replay 4 and 5 (as after a lost ack), then 6.
      again.seq = 3;
      again.heartbeat();
      again.heartbeat();
      again.heartbeat();
      await again.acked(6);
      const [{ n }] = await app.db.query(
        `SELECT count(*)::int AS n FROM node_metrics WHERE node_id = $1`,
        [
          agent.nodeId,
        ],
      );
      assert.equal(n, 6);
      again.close();
    } finally {
      agent.close();
    }
  },
  FAST,
);

appTest(
  "rejecting a pending node sends the reason, and the node is refused from then on",
  async (app) => {
    const { baseUrl, joinToken, api } = await setup(app);
    const agent = await SimAgent.join(baseUrl, joinToken);
    assert.equal((await agent.handshake()).type, "pending");
    const res = await api(`/nodes/${agent.nodeId}/reject`, {
      method: "POST",
      body: JSON.stringify({ reason: "not one of ours" }),
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const rejected = await agent.next("rejected");
    assert.equal(rejected.code, "rejected");
    assert.match(rejected.reason, /not one of ours/);
    assert.equal((await agent.next("close")).code, CLOSE.rejected);

    const again = new SimAgent(baseUrl, agent.keys);
    again.nodeId = agent.nodeId;
    const answer = await again.handshake();
    assert.equal(answer.type, "rejected");
    assert.match((answer as { reason: string }).reason, /not one of ours/);
    again.close();
  },
  FAST,
);

appTest("revoking an online node closes its session and refuses it afterwards", async (app) => {
  const { api, onlineAgent, node } = await setup(app);
  const agent = await onlineAgent();
  const res = await api(`/nodes/${agent.nodeId}/revoke`, {
    method: "POST",
    body: JSON.stringify({ reason: "laptop stolen" }),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const rejected = await agent.next("rejected");
  assert.equal(rejected.code, "revoked");
  await agent.next("close");
  await waitFor(async () => (await node(agent.nodeId)).node.status === "offline", {
    timeoutMs: 5000,
  });

  const again = new SimAgent(agent.baseUrl, agent.keys);
  again.nodeId = agent.nodeId;
  const answer = await again.handshake();
  assert.equal(answer.type, "rejected");
  assert.equal((answer as { code: string }).code, "revoked");
  again.close();
}, FAST);

appTest("a wrong signature, a replayed proof and an unknown node are refused", async (app) => {
  const { baseUrl, joinToken, approve } = await setup(app);
  const agent = await SimAgent.join(baseUrl, joinToken);
  await approve(agent.nodeId);

  // Signed with another key.
  await agent.open();
  agent.send(agent.hello());
  const challenge = await agent.next("challenge");
  const other = await simKeys();
  agent.send({ type: "proof", signature: await agent.sign(challenge.nonce, other.privateKey) });
  assert.equal((await agent.next("rejected")).code, "bad_proof");
  await agent.next("close");

  // A valid proof captured from one connection, replayed on the next.
  const first = new SimAgent(baseUrl, agent.keys);
  first.nodeId = agent.nodeId;
  await first.open();
  first.send(first.hello());
  const nonce = (await first.next("challenge")).nonce;
  const captured = await first.sign(nonce);
  first.close();
  const replay = new SimAgent(baseUrl, agent.keys);
  replay.nodeId = agent.nodeId;
  await replay.open();
  replay.send(replay.hello());
  await replay.next("challenge");
  replay.send({ type: "proof", signature: captured });
  assert.equal((await replay.next("rejected")).code, "bad_proof");

  // A second proof on one connection is out of order.
  const twice = new SimAgent(baseUrl, agent.keys);
  twice.nodeId = agent.nodeId;
  await twice.open();
  twice.send(twice.hello());
  const n2 = (await twice.next("challenge")).nonce;
  twice.send({ type: "proof", signature: await twice.sign(n2) });
  assert.equal((await twice.next("welcome")).nodeId, agent.nodeId);
  twice.send({ type: "proof", signature: await twice.sign(n2) });
  assert.equal((await twice.next("close")).code, CLOSE.policy);

  const stranger = new SimAgent(baseUrl, await simKeys());
  stranger.nodeId = crypto.randomUUID();
  await stranger.open();
  stranger.send(stranger.hello());
  assert.equal((await stranger.next("rejected")).code, "unknown_node");
  // Refusals are audited without holding up the answer: wait for the rows.
  await waitFor(async () => {
    const [{ n }] = await app.db.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'node.connect' AND outcome = 'denied'`,
    );
    return (n as number) >= 3;
  }, { timeoutMs: 5000, what: "three audited refusals" });
}, FAST);

appTest("old agents and other protocol versions are refused with what to do", async (app) => {
  const { onlineAgent } = await setup(app);
  const agent = await onlineAgent();
  agent.close();
  const old = new SimAgent(agent.baseUrl, agent.keys);
  old.nodeId = agent.nodeId;
  await old.open();
  old.send(old.hello({ agentVersion: "0.0.9" }));
  const tooOld = await old.next("rejected");
  assert.equal(tooOld.code, "agent_too_old");
  assert.match(tooOld.reason, /Upgrade lattice-agent/);

  const future = new SimAgent(agent.baseUrl, agent.keys);
  future.nodeId = agent.nodeId;
  await future.open();
  future.send(future.hello({ protocol: 99 }));
  const unsupported = await future.next("rejected");
  assert.equal(unsupported.code, "unsupported_protocol");
  assert.match(unsupported.reason, /protocol 1/);
}, FAST);

appTest(
  "malformed, unknown, oversized and early frames close only their own connection",
  async (app) => {
    const { onlineAgent, baseUrl } = await setup(app);
    const good = await onlineAgent("good");
    try {
      const frames: [string | Uint8Array<ArrayBuffer>, number][] = [
        ["{not json", CLOSE.policy],
        [JSON.stringify({ type: "launch_missiles" }), CLOSE.policy],
        [
          JSON.stringify({
            type: "heartbeat",
            seq: 1,
            at: new Date().toISOString(),
            metrics: simMetrics(),
          }),
          CLOSE.policy,
        ],
        ["x".repeat(1024 * 1024 + 10), CLOSE.tooBig],
        [new Uint8Array([1, 2, 3]), CLOSE.policy],
        [JSON.stringify({ type: "hello", protocol: 1 }), CLOSE.policy],
      ];
      for (const [frame, code] of frames) {
        const bad = new SimAgent(baseUrl, await simKeys());
        await bad.open();
        bad.socket!.send(frame);
        const closed = await bad.next("close");
        assert.equal(closed.code, code, `frame ${String(frame).slice(0, 40)}`);
      }
      const seq = good.heartbeat();
      await good.acked(seq);
      const health = await fetch(`${baseUrl}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
    } finally {
      good.close();
    }
  },
  FAST,
);

appTest("browser origins and plain HTTP requests cannot open an agent session", async (app) => {
  const { baseUrl } = await setup(app);
  const res = await fetch(`${baseUrl}/api/v1/agents/connect`, {
    headers: {
      origin: "https://evil.example",
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
    },
  });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error.code, "forbidden");
  const plain = await fetch(`${baseUrl}/api/v1/agents/connect`);
  assert.equal(plain.status, 426);
  assert.equal((await plain.json()).error.code, "upgrade_required");
});

appTest(
  "a node may not report on or claim another node's allocation, and the attempt is audited",
  async (app) => {
    const { onlineAgent } = await setup(app);
    const owner = await onlineAgent("owner");
    const thief = await onlineAgent("thief");
    try {
      const allocationId = crypto.randomUUID();
      owner.send({ type: "inventory", items: [item(allocationId)] });
      await waitFor(
        async () =>
          (await app.db.query(`SELECT 1 FROM node_containers WHERE allocation_id = $1`, [
            allocationId,
          ]))
            .length === 1,
        { timeoutMs: 5000 },
      );

      thief.send({ type: "inventory", items: [item(allocationId, "b".repeat(64))] });
      thief.send({
        type: "event",
        seq: ++thief.seq,
        at: new Date().toISOString(),
        event: {
          kind: "container",
          allocationId,
          containerId: "b".repeat(64),
          state: "exited",
          exitCode: 137,
          action: "die",
        },
      });
      await thief.acked(thief.seq);
      await waitFor(async () =>
        (await app.db.query(
          `SELECT 1 FROM audit_log WHERE action = 'node.claim_refused' AND target_id IN ($1, $2)`,
          [thief.nodeId, allocationId],
        )).length >= 2, { timeoutMs: 5000 });
      const [row] = await app.db.query(
        `SELECT node_id, container_id, state FROM node_containers WHERE allocation_id = $1`,
        [allocationId],
      );
      assert.deepEqual(row, {
        node_id: owner.nodeId,
        container_id: "a".repeat(64),
        state: "running",
      });
    } finally {
      owner.close();
      thief.close();
    }
  },
  FAST,
);

appTest("a node that stops sending heartbeats is offline after three intervals", async (app) => {
  const { onlineAgent, node } = await setup(app);
  const agent = await onlineAgent();
  const t0 = performance.now();
  // Silent but connected: the server must notice on its own.
  const closed = await agent.next("close", 5000);
  const elapsed = performance.now() - t0;
  assert.equal(closed.code, CLOSE.timeout);
  assert.ok(elapsed >= 550 && elapsed < 2000, `closed after ${Math.round(elapsed)} ms`);
  await waitFor(async () => (await node(agent.nodeId)).node.status === "offline", {
    timeoutMs: 5000,
  });
  const presence = await app.plane.ctx.kv.get(["presence", agent.nodeId]);
  assert.equal(presence.value, null);
}, FAST);

appTest(
  "thousands of random and mutated frames crash nothing and leak no other node's data",
  async (app) => {
    const { onlineAgent, baseUrl } = await setup(app);
    const victim = await onlineAgent("victim");
    const rng = seeded(20261122);
    const valid = [
      JSON.stringify(victim.hello()),
      JSON.stringify({ type: "proof", signature: "AAAA" }),
      JSON.stringify({
        type: "heartbeat",
        seq: 1,
        at: new Date().toISOString(),
        metrics: simMetrics(),
      }),
      JSON.stringify({ type: "result", id: crypto.randomUUID(), ok: true, data: null }),
      JSON.stringify({ type: "inventory", items: [item(crypto.randomUUID())] }),
    ];
    let frames = 0;
    const seen: string[] = [];
    try {
      const one = async () => {
        const fuzz = new SimAgent(baseUrl, await simKeys());
        await fuzz.open();
        for (let i = 0; i < 5 && fuzz.socket!.readyState === WebSocket.OPEN; i++) {
          fuzz.raw(mutate(valid[Math.floor(rng() * valid.length)], rng));
          frames++;
        }
        // A connection that is still open after its frames (all happened to be valid) is closed.
        await fuzz.nextOf(["close"], 1000).catch(() => fuzz.close());
        seen.push(...fuzz.received.map((m) => JSON.stringify(m)));
      };
      for (let batch = 0; batch < 25; batch++) {
        await Promise.all(Array.from({ length: 20 }, one));
      }
      assert.ok(frames >= 2000, `sent ${frames} frames`);
      // The victim's session is untouched and nothing about it reached the fuzzers.
      const seq = victim.heartbeat();
      await victim.acked(seq);
      for (const m of seen) assert.ok(!m.includes(victim.nodeId) || m.includes('"challenge"'), m);
      assert.ok(!app.logs.some((l) => l.includes('"status":500')), "no 500 in the logs");
      const health = await fetch(`${baseUrl}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
    } finally {
      victim.close();
    }
  },
  { hub: { heartbeatIntervalMs: 2000 } },
);

/** A small deterministic random source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mutate a frame: flip, insert, delete, truncate, or replace a value with a nasty one. */
function mutate(frame: string, rng: () => number): string {
  const nasty = [
    '"__proto__"',
    "1e309",
    "-1",
    '"\\u0000"',
    "null",
    "[]",
    "{}",
    '"' + "A".repeat(5000) + '"',
  ];
  const pos = Math.floor(rng() * frame.length);
  switch (Math.floor(rng() * 6)) {
    case 0:
      return frame.slice(0, pos) + String.fromCharCode(Math.floor(rng() * 128)) +
        frame.slice(pos + 1);
    case 1:
      return frame.slice(0, pos) + nasty[Math.floor(rng() * nasty.length)] + frame.slice(pos);
    case 2:
      return frame.slice(0, pos);
    case 3:
      return frame.replace(
        /:(\s*)("[^"]*"|\d+|true|false|null)/,
        `:${nasty[Math.floor(rng() * nasty.length)]}`,
      );
    case 4:
      return Array.from(
        { length: 1 + Math.floor(rng() * 200) },
        () => String.fromCharCode(Math.floor(rng() * 256)),
      )
        .join("");
    default:
      return frame;
  }
}
