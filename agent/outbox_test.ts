import assert from "node:assert/strict";
import type { AgentEvent } from "../lib/protocol.ts";
import { Outbox, OUTBOX_FILES, type OutboxRecord } from "./outbox.ts";

const at = "2026-01-01T00:00:00.000Z";

function event(seq: number, message = `event ${seq}`): OutboxRecord {
  const payload: AgentEvent = { kind: "error", message };
  return { type: "event", seq, at, event: payload };
}

function heartbeat(seq: number): OutboxRecord {
  return {
    type: "heartbeat",
    seq,
    at,
    metrics: {
      cpuPercent: 1,
      memory: { usedBytes: 1, totalBytes: 2 },
      disk: { usedBytes: 1, totalBytes: 2 },
      network: { rxBps: 0, txBps: 0 },
      docker: { healthy: true, containers: 0, running: 0 },
      containers: [],
    },
  };
}

/** Append `count` events with freshly allocated sequence numbers; returns the seqs. */
function appendEvents(outbox: Outbox, count: number): number[] {
  return Array.from({ length: count }, () => {
    const seq = outbox.next();
    outbox.append(event(seq));
    return seq;
  });
}

const seqs = (outbox: Outbox) => outbox.pending().map((r) => r.seq);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "outbox_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Outbox keeps records in seq order across a reopen", () =>
  withDir(async (dir) => {
    const outbox = await Outbox.open(dir);
    const first = outbox.next();
    outbox.append(heartbeat(first));
    appendEvents(outbox, 4);
    assert.deepEqual(seqs(outbox), [1, 2, 3, 4, 5]);
    await outbox.close();

    const reopened = await Outbox.open(dir);
    assert.deepEqual(seqs(reopened), [1, 2, 3, 4, 5]);
    assert.deepEqual(reopened.pending()[0], heartbeat(1));
    assert.deepEqual(reopened.pending()[4], event(5));
    assert.equal(reopened.size, 5);
    await reopened.close();
  }));

Deno.test("Outbox.ack() trims what the server stored, and the trim survives a reopen", () =>
  withDir(async (dir) => {
    const outbox = await Outbox.open(dir);
    appendEvents(outbox, 6);
    outbox.ack(4);
    assert.deepEqual(seqs(outbox), [5, 6]);
    outbox.ack(2); // a stale ack changes nothing
    assert.deepEqual(seqs(outbox), [5, 6]);
    await outbox.close();
    const reopened = await Outbox.open(dir);
    assert.deepEqual(seqs(reopened), [5, 6]);
    await reopened.close();
  }));

Deno.test("Outbox compacts its file once most of it is acked", () =>
  withDir(async (dir) => {
    const outbox = await Outbox.open(dir);
    appendEvents(outbox, 100);
    await outbox.flush();
    const lines = async () =>
      (await Deno.readTextFile(`${dir}/${OUTBOX_FILES[0]}`)).split("\n").filter(Boolean).length;
    assert.equal(await lines(), 100);
    outbox.ack(90);
    await outbox.flush();
    assert.equal(await lines(), 10);
    await outbox.close();
  }));

Deno.test("Outbox drops the oldest records past its bound and reports the drop once", () =>
  withDir(async (dir) => {
    const outbox = await Outbox.open(dir, { maxRecords: 3 });
    appendEvents(outbox, 5);
    assert.deepEqual(seqs(outbox), [3, 4, 5]);
    assert.deepEqual(outbox.takeDropReport(), { count: 2, fromSeq: 1, toSeq: 2 });
    assert.equal(outbox.takeDropReport(), null);
    appendEvents(outbox, 2);
    assert.deepEqual(outbox.takeDropReport(), { count: 2, fromSeq: 3, toSeq: 4 });
    await outbox.close();

    const reopened = await Outbox.open(dir, { maxRecords: 3 });
    assert.deepEqual(seqs(reopened), [5, 6, 7]);
    assert.equal(reopened.takeDropReport(), null);
    await reopened.close();
  }));

Deno.test("Outbox keeps an untaken drop report across a restart", () =>
  withDir(async (dir) => {
    const outbox = await Outbox.open(dir, { maxRecords: 2 });
    appendEvents(outbox, 4);
    await outbox.close();
    const reopened = await Outbox.open(dir, { maxRecords: 2 });
    assert.deepEqual(reopened.takeDropReport(), { count: 2, fromSeq: 1, toSeq: 2 });
    assert.deepEqual(seqs(reopened), [3, 4]);
    await reopened.close();
  }));

Deno.test("Outbox bounds its bytes as well as its records", () =>
  withDir(async (dir) => {
    const outbox = await Outbox.open(dir, { maxBytes: 1000 });
    for (let i = 0; i < 5; i++) {
      const seq = outbox.next();
      outbox.append(event(seq, "x".repeat(300)));
    }
    assert.ok(outbox.size <= 2, `kept ${outbox.size}`);
    const report = outbox.takeDropReport()!;
    assert.equal(report.fromSeq, 1);
    assert.equal(report.toSeq, 5 - outbox.size);
    assert.equal(report.count, 5 - outbox.size);
    await outbox.close();
  }));

Deno.test("Outbox sequence numbers keep increasing across reopens without acks", () =>
  withDir(async (dir) => {
    const first = await Outbox.open(dir, { seqBlock: 10 });
    const used = [first.next(), first.next(), first.next()]; // allocated but never appended
    await first.close();
    const second = await Outbox.open(dir, { seqBlock: 10 });
    const afterRestart = second.next();
    assert.ok(afterRestart > Math.max(...used), `${afterRestart} after ${used}`);
    for (let i = 0; i < 25; i++) second.next(); // crosses two reserved blocks
    const last = second.next();
    await second.close();
    const third = await Outbox.open(dir, { seqBlock: 10 });
    assert.ok(third.next() > last);
    await third.close();
  }));

Deno.test("Outbox moves its sequence numbers past an ack from a server that saw more", () =>
  withDir(async (dir) => {
    const outbox = await Outbox.open(dir);
    appendEvents(outbox, 2);
    outbox.ack(5000);
    assert.equal(outbox.size, 0);
    assert.equal(outbox.next(), 5001);
    await outbox.close();
  }));

Deno.test("Outbox tolerates a last line cut short by a crash", () =>
  withDir(async (dir) => {
    const lines = [JSON.stringify(event(1)), JSON.stringify(event(2)), '{"type":"event","se'];
    await Deno.writeTextFile(`${dir}/${OUTBOX_FILES[0]}`, lines.join("\n"));
    const warnings: string[] = [];
    const outbox = await Outbox.open(dir, { warn: (m) => warnings.push(m) });
    assert.deepEqual(seqs(outbox), [1, 2]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /last line/);
    const seq = outbox.next();
    assert.equal(seq, 3);
    outbox.append(event(seq));
    await outbox.close();

    const reopened = await Outbox.open(dir, { warn: (m) => warnings.push(m) });
    assert.deepEqual(seqs(reopened), [1, 2, 3]);
    assert.equal(warnings.length, 1);
    await reopened.close();
  }));

Deno.test("Outbox skips a corrupt line in the middle and keeps the rest", () =>
  withDir(async (dir) => {
    const lines = [
      JSON.stringify(event(1)),
      "not json",
      '{"type":"nope","seq":2}',
      JSON.stringify(event(3)),
    ];
    await Deno.writeTextFile(`${dir}/${OUTBOX_FILES[0]}`, lines.join("\n") + "\n");
    const warnings: string[] = [];
    const outbox = await Outbox.open(dir, { warn: (m) => warnings.push(m) });
    assert.deepEqual(seqs(outbox), [1, 3]);
    assert.equal(warnings.length, 2);
    assert.equal(outbox.next(), 4);
    await outbox.close();
  }));

Deno.test("Outbox writes appends in batches, not one write per record", () =>
  withDir(async (dir) => {
    const outbox = await Outbox.open(dir, { flushIntervalMs: 50 });
    appendEvents(outbox, 3);
    const path = `${dir}/${OUTBOX_FILES[0]}`;
    const exists = () => Deno.stat(path).then(() => true, () => false);
    assert.equal(await exists(), false);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal((await Deno.readTextFile(path)).split("\n").filter(Boolean).length, 3);
    await outbox.close();
  }));

Deno.test("Outbox keeps records appended out of seq order sorted", () =>
  withDir(async (dir) => {
    const outbox = await Outbox.open(dir);
    const [a, b, c] = [outbox.next(), outbox.next(), outbox.next()];
    outbox.append(event(c));
    outbox.append(event(a));
    outbox.append(event(b));
    outbox.append(event(b)); // a duplicate is ignored
    assert.deepEqual(seqs(outbox), [a, b, c]);
    await outbox.close();
    const reopened = await Outbox.open(dir);
    assert.deepEqual(seqs(reopened), [a, b, c]);
    await reopened.close();
  }));

Deno.test("Outbox refuses records after close", () =>
  withDir(async (dir) => {
    const outbox = await Outbox.open(dir);
    await outbox.close();
    assert.throws(() => outbox.next(), /closed/);
    assert.throws(() => outbox.append(event(1)), /closed/);
  }));
