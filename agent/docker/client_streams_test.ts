// Integration tests of the streaming endpoints against the real Docker Engine: logs, stats,
// events and exec. They fail, never skip, when Docker is unreachable.

import assert from "node:assert/strict";
import {
  collect,
  create,
  eventually,
  exited,
  MiB,
  RUN,
  texts,
  TIMESTAMP,
  uniqueName,
  withDocker,
} from "./test_helpers.ts";
import type { DockerEvent } from "./types.ts";

Deno.test("containerLogs() keeps stdout and stderr apart, with and without timestamps, and honours tail", async () => {
  await withDocker(async (docker, image, cleanup) => {
    // The pause keeps the last lines after stderr's in the log (the daemon reads the two pipes separately).
    const script = "echo out1; echo err1 >&2; printf 'żółw\\n'; echo err2 >&2; sleep 0.3; " +
      "echo line1; echo line2; printf 'no newline'";
    const id = await create(docker, cleanup, { Image: image, Cmd: ["sh", "-c", script] });
    await docker.containerStart(id);
    assert.equal(await exited(docker, id), 0);

    const plain = await collect(docker.containerLogs(id, {}));
    assert.deepEqual(texts(plain, "stdout"), ["out1", "żółw", "line1", "line2", "no newline"]);
    assert.deepEqual(texts(plain, "stderr"), ["err1", "err2"]);
    assert.ok(plain.every((l) => l.ts === undefined));

    const stamped = await collect(docker.containerLogs(id, { timestamps: true, tty: false }));
    assert.deepEqual(texts(stamped, "stdout"), texts(plain, "stdout"));
    assert.deepEqual(texts(stamped, "stderr"), texts(plain, "stderr"));
    for (const line of stamped) assert.match(line.ts ?? "", TIMESTAMP);

    const tail = await collect(docker.containerLogs(id, { tail: 2 }));
    assert.deepEqual(tail, [
      { stream: "stdout", text: "line2" },
      { stream: "stdout", text: "no newline" },
    ]);
  });
});

Deno.test("containerLogs() with follow yields a line printed after following began", async () => {
  await withDocker(async (docker, image, cleanup) => {
    const script =
      "echo ready; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo after-follow; sleep 60";
    const id = await create(docker, cleanup, { Image: image, Cmd: ["sh", "-c", script] });
    await docker.containerStart(id);
    const seen: string[] = [];
    for await (const line of docker.containerLogs(id, { follow: true })) {
      seen.push(line.text);
      if (line.text === "ready") {
        const exec = await docker.execCreate(id, { Cmd: ["touch", "/tmp/go"] });
        await docker.execStart(exec.id);
      }
      if (line.text === "after-follow") break;
    }
    assert.deepEqual(seen, ["ready", "after-follow"]);
  });
});

Deno.test("containerStats() and containerStatsStream() report CPU % and memory", async () => {
  await withDocker(async (docker, image, cleanup) => {
    const id = await create(docker, cleanup, {
      Image: image,
      Cmd: ["sh", "-c", "while true; do :; done"],
      HostConfig: { NanoCpus: 200_000_000, Memory: 64 * MiB },
    });
    await docker.containerStart(id);
    const first = await docker.containerStats(id);
    assert.equal(first.cpuPercent, null, "a first one-shot sample has no baseline");
    assert.ok(first.memoryBytes > 0);
    assert.equal(first.memoryLimitBytes, 64 * MiB);
    const second = await eventually("a one-shot sample with a baseline", async () => {
      const s = await docker.containerStats(id);
      return s.cpuPercent === null ? undefined : s;
    });
    assert.ok(Number.isFinite(second.cpuPercent) && second.cpuPercent! >= 0);

    const stop = new AbortController();
    const samples = [];
    for await (const s of docker.containerStatsStream(id, { signal: stop.signal })) {
      samples.push(s);
      if (samples.length === 2) stop.abort();
    }
    assert.equal(samples.length, 2);
    for (const s of samples) {
      assert.ok(Number.isFinite(s.cpuPercent) && s.cpuPercent >= 0, `cpu ${s.cpuPercent}`);
      assert.ok(s.memoryBytes > 0);
      assert.equal(s.memoryLimitBytes, 64 * MiB);
    }
  });
});

Deno.test("events() filtered by label sees start and die of our container and nothing of an unlabelled one", async () => {
  await withDocker(async (docker, image, cleanup) => {
    const since = Date.now() / 1000 - 1;
    const stop = new AbortController();
    const timeout = setTimeout(() => stop.abort(), 20_000);
    const seen: DockerEvent[] = [];
    let labelledId = "";
    const watching = (async () => {
      const stream = docker.events({
        labels: { "dev.lattice.test": RUN },
        type: ["container"],
        since,
        signal: stop.signal,
      });
      for await (const event of stream) {
        seen.push(event);
        if (event.Actor.ID === labelledId && event.Action === "die") stop.abort();
      }
    })();
    try {
      const { id: unlabelled } = await docker.containerCreate(uniqueName("plain"), {
        Image: image,
        Cmd: ["true"],
      });
      cleanup.push(unlabelled);
      await docker.containerStart(unlabelled);
      await exited(docker, unlabelled);
      labelledId = await create(docker, cleanup, { Image: image, Cmd: ["sleep", "60"] });
      await docker.containerStart(labelledId);
      await docker.containerKill(labelledId);
      await watching;
      const ours = seen.filter((e) => e.Actor.ID === labelledId).map((e) => e.Action);
      assert.deepEqual(ours.filter((a) => ["create", "start", "die"].includes(a)), [
        "create",
        "start",
        "die",
      ]);
      assert.equal(seen.filter((e) => e.Actor.ID === unlabelled).length, 0);
      assert.ok(seen.every((e) => e.Actor.Attributes["dev.lattice.test"] === RUN));
    } finally {
      clearTimeout(timeout);
      stop.abort();
      await watching;
    }
  });
});

Deno.test("exec runs a command in a running container and reports its output and exit code", async () => {
  await withDocker(async (docker, image, cleanup) => {
    const id = await create(docker, cleanup, { Image: image, Cmd: ["sleep", "60"] });
    await docker.containerStart(id);
    const exec = await docker.execCreate(id, {
      Cmd: ["sh", "-c", 'echo "x=$X"; echo oops >&2; exit 3'],
      Env: ["X=42"],
    });
    assert.deepEqual(await docker.execStart(exec.id), { stdout: "x=42\n", stderr: "oops\n" });
    assert.deepEqual(await docker.execInspect(exec.id), { running: false, exitCode: 3 });

    const tty = await docker.execCreate(id, {
      Cmd: ["sh", "-c", "echo on-tty; echo err >&2"],
      Tty: true,
    });
    const out = await docker.execStart(tty.id);
    assert.equal(out.stderr, "");
    assert.equal(out.stdout.replaceAll("\r\n", "\n"), "on-tty\nerr\n");
  });
});
