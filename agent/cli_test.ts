import assert from "node:assert/strict";
import { type Io, main } from "./cli.ts";
import { realServiceDeps, type ServiceDeps } from "./cli_service.ts";

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
      [["join", "--token", "t"], /join needs --server URL/],
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

/** A control plane that accepts any join and keeps the request bodies. */
function joinServer() {
  const bodies: { labels: Record<string, string> }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      bodies.push(await req.json());
      return Response.json({
        nodeId: crypto.randomUUID(),
        approval: "approved",
        poolId: crypto.randomUUID(),
        poolName: "default",
      }, { status: 201 });
    },
  );
  return { server, bodies, url: `http://127.0.0.1:${server.addr.port}` };
}

Deno.test("join --cluster sends the lattice.cluster label; --keep-awake is saved", async () => {
  const dir = await Deno.makeTempDir();
  const { server, bodies, url } = joinServer();
  try {
    const t = io({ LATTICE_AGENT_STATE_DIR: dir });
    const code = await main([
      "join",
      "--server",
      url,
      "--token",
      "ljt_x",
      "--label",
      "gpu=yes",
      "--cluster",
      "lab-3",
      "--keep-awake",
    ], t.io);
    assert.equal(code, 0, t.err.join("\n"));
    assert.deepEqual(bodies[0].labels, { gpu: "yes", "lattice.cluster": "lab-3" });
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/settings.json`));
    assert.deepEqual(saved, { keepAwake: true, cluster: "lab-3" });
    assert.match(t.out.join("\n"), /Cluster: lab-3/);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("join refuses a bad --cluster or --service before contacting the server", async () => {
  const dir = await Deno.makeTempDir();
  const { server, bodies, url } = joinServer();
  try {
    for (
      const [flag, value, message] of [
        ["--cluster", "Lab_3", /--cluster: "Lab_3": must be a DNS label/],
        ["--service", "start", /--service: "start": the only choice is --service install/],
      ] as const
    ) {
      const t = io({ LATTICE_AGENT_STATE_DIR: dir });
      assert.equal(await main(["join", "--server", url, "--token", "t", flag, value], t.io), 2);
      assert.match(t.err.join("\n"), message);
    }
    assert.equal(bodies.length, 0);
    assert.equal(await Deno.stat(`${dir}/state.json`).catch(() => null), null);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

/** systemctl stand-in (none runs in this container): records commands, answers `answer`. */
function serviceDeps(answer: (command: string[]) => { success: boolean; stderr: string }) {
  const ran: string[] = [];
  const deps: ServiceDeps = {
    ...realServiceDeps(),
    os: "linux",
    uid: 501,
    agentCommand: ["/opt/lattice-agent"],
    run: (command) => {
      ran.push(command.join(" "));
      const a = answer(command);
      return Promise.resolve({ code: a.success ? 0 : 1, stdout: "", ...a });
    },
  };
  return { deps, ran };
}

Deno.test("join --service install installs the service after joining", async () => {
  const home = await Deno.makeTempDir();
  const dir = `${home}/.lattice-agent`;
  const { server, url } = joinServer();
  try {
    const fake = serviceDeps(() => ({ success: true, stderr: "" }));
    const t = io({ LATTICE_AGENT_STATE_DIR: dir, HOME: home });
    t.io.serviceDeps = fake.deps;
    const code = await main(
      ["join", "--server", url, "--token", "t", "--service", "install"],
      t.io,
    );
    assert.equal(code, 0, t.err.join("\n"));
    assert.deepEqual(fake.ran, [
      "systemctl --user show-environment",
      "systemctl --user daemon-reload",
      "systemctl --user enable --now lattice-agent.service",
    ]);
    const unit = await Deno.readTextFile(`${home}/.config/systemd/user/lattice-agent.service`);
    assert.match(unit, /^ExecStart=\/opt\/lattice-agent run$/m);
    assert.match(t.out.join("\n"), /Joined .*\n[\s\S]*Installed and started service/);
  } finally {
    await server.shutdown();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("join --service install keeps the join and exits 0 when the service cannot be installed", async () => {
  const home = await Deno.makeTempDir();
  const dir = `${home}/.lattice-agent`;
  const { server, url } = joinServer();
  try {
    const fake = serviceDeps(() => ({
      success: false,
      stderr: "Failed to connect to bus: No medium found",
    }));
    const t = io({ LATTICE_AGENT_STATE_DIR: dir, HOME: home });
    t.io.serviceDeps = fake.deps;
    const code = await main(
      ["join", "--server", url, "--token", "t", "--service", "install"],
      t.io,
    );
    assert.equal(code, 0);
    const err = t.err.join("\n");
    assert.match(err, /cannot reach your user service manager .*No medium found/);
    assert.match(err, /join succeeded and is kept.*lattice-agent run --state-dir/);
    assert.ok(await Deno.stat(`${dir}/state.json`), "the join is kept");
    assert.deepEqual(fake.ran, ["systemctl --user show-environment"]);
  } finally {
    await server.shutdown();
    await Deno.remove(home, { recursive: true });
  }
});
