import assert from "node:assert/strict";
import { type Io, main } from "./cli.ts";

function io(env: Record<string, string> = {}, answer = false) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    confirm: () => Promise.resolve(answer),
    env,
  };
  return { io: value, out, err };
}

Deno.test("main() prints usage for no command and refuses unknown ones", async () => {
  const none = io();
  assert.equal(await main([], none.io), 2);
  assert.match(none.out.join("\n"), /Usage:/);
  const unknown = io();
  assert.equal(await main(["launch"], unknown.io), 2);
  assert.match(unknown.err.join("\n"), /unknown command "launch"/);
});

Deno.test("join explains what it needs and refuses malformed options", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string[], RegExp][] = [
      [["join", "--server", "http://x"], /needs --server URL and --token TOKEN/],
      [["join", "--server", "not a url", "--token", "t"], /--server must be a URL/],
      [["join", "--server", "http://x", "--token", "t", "--label", "novalue"], /key=value/],
      [["join", "--server", "http://x", "--token", "t", "--colour", "red"], /Unknown option/i],
      [
        ["join", "--server", "http://x", "--token", "t", "--hours", "mon-fry 18:00-08:00"],
        /--hours: "mon-fry": unknown day \(use mon…sun\)/,
      ],
      [["join", "--server", "http://x", "--token", "t", "--max-cpu", "150%"], /--max-cpu: "150%"/],
      [["join", "--server", "http://x", "--token", "t", "--max-memory", "4"], /--max-memory: "4"/],
    ];
    for (const [args, message] of cases) {
      const t = io({ LATTICE_AGENT_STATE_DIR: dir });
      assert.equal(await main(args, t.io), 2, args.join(" "));
      assert.match(t.err.join("\n"), message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("join against a server that is not there says so and saves nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const t = io({ LATTICE_AGENT_STATE_DIR: dir });
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const code = await main(
      ["join", "--server", `http://127.0.0.1:${port}`, "--token", "ljt_x"],
      t.io,
    );
    assert.equal(code, 1);
    assert.match(t.err.join("\n"), /cannot reach http:\/\/127\.0\.0\.1:\d+/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run and status on a machine that has not joined say how to join", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const command of ["run", "status"]) {
      const t = io({ LATTICE_AGENT_STATE_DIR: dir });
      assert.equal(await main([command], t.io), 1);
      assert.match(t.err.join("\n"), /has not joined.*lattice-agent join/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reset asks first and changes nothing when the answer is no", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/marker`, "x");
    const t = io({ LATTICE_AGENT_STATE_DIR: dir }, false);
    assert.equal(await main(["reset"], t.io), 1);
    assert.match(t.out.join("\n"), /Nothing changed/);
    assert.equal(await Deno.readTextFile(`${dir}/marker`), "x");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("version names the agent and protocol versions", async () => {
  const t = io();
  assert.equal(await main(["version"], t.io), 0);
  assert.match(t.out[0], /^lattice-agent \d+\.\d+\.\d+ \(protocol 1, deno /);
});

Deno.test("join saves the owner's hours and offer in settings.json", async () => {
  const dir = await Deno.makeTempDir();
  const nodeId = crypto.randomUUID();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      Response.json({
        nodeId,
        approval: "approved",
        poolId: crypto.randomUUID(),
        poolName: "default",
      }, { status: 201 }),
  );
  try {
    const t = io({ LATTICE_AGENT_STATE_DIR: dir });
    const code = await main([
      "join",
      "--server",
      `http://127.0.0.1:${server.addr.port}`,
      "--token",
      "ljt_x",
      "--hours",
      "mon-fri 18:00-08:00",
      "--timezone",
      "Europe/Paris",
      "--max-cpu",
      "50%",
      "--max-memory",
      "4GiB",
    ], t.io);
    assert.equal(code, 0, t.err.join("\n"));
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/settings.json`));
    assert.deepEqual(saved.offer, { cpuPercent: 50, memoryMiB: 4096 });
    assert.equal(saved.schedule.timezone, "Europe/Paris");
    assert.deepEqual(saved.schedule.windows[0], { day: 1, start: "18:00", end: "08:00" });
    assert.equal(saved.schedule.windows.length, 5);
    assert.match(t.out.join("\n"), /Offers: 50% CPU, 4096 MiB memory/);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
