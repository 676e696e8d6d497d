// The client against a scripted fake daemon on a unix socket: the failure paths a healthy
// Docker Engine will not produce on demand (old API, errors inside a pull stream, the daemon
// vanishing mid-stream, a hung daemon).

import assert from "node:assert/strict";
import { DockerClient } from "./client.ts";
import { DockerDaemonDown, isDockerError } from "./errors.ts";
import type { DockerEvent } from "./types.ts";

type Handler = (req: Request, url: URL) => Response | Promise<Response>;

/** Serve `handler` on a fresh unix socket; /_ping answers with `apiVersion` unless handled. */
async function withFakeDaemon(
  apiVersion: string,
  handler: Handler,
  fn: (socketPath: string, seen: string[]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lattice-fake-docker-" });
  const socketPath = `${dir}/docker.sock`;
  const seen: string[] = [];
  const server = Deno.serve({ path: socketPath, onListen() {} }, (req) => {
    const url = new URL(req.url);
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === "/_ping") {
      return new Response("OK", { headers: { "Api-Version": apiVersion, "Ostype": "linux" } });
    }
    return handler(req, url);
  });
  try {
    await fn(socketPath, seen);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

const EVENT: DockerEvent = {
  Type: "container",
  Action: "start",
  Actor: { ID: "abc", Attributes: { name: "web" } },
  time: 1,
  timeNano: 1_000_000_000,
};

function ndjsonStream(lines: unknown[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const line of lines) controller.enqueue(enc.encode(JSON.stringify(line) + "\n"));
      controller.close();
    },
  });
}

Deno.test("DockerClient.connect() speaks the daemon's version when it is between 1.41 and 1.45", async () => {
  await withFakeDaemon(
    "1.43",
    () => Response.json({ Version: "24.0.0" }),
    async (socketPath, seen) => {
      const docker = await DockerClient.connect({ socketPath });
      try {
        assert.equal(docker.apiVersion, "1.43");
        assert.equal((await docker.version()).Version, "24.0.0");
        assert.deepEqual(seen, ["GET /_ping", "GET /v1.43/version"]);
      } finally {
        docker.close();
      }
    },
  );
});

Deno.test("DockerClient.connect() caps a newer daemon at API 1.45", async () => {
  await withFakeDaemon("1.53", () => new Response(null, { status: 404 }), async (socketPath) => {
    const docker = await DockerClient.connect({ socketPath });
    docker.close();
    assert.equal(docker.apiVersion, "1.45");
  });
});

Deno.test("DockerClient.connect() refuses a daemon older than API 1.41", async () => {
  await withFakeDaemon("1.40", () => new Response(null, { status: 404 }), async (socketPath) => {
    await assert.rejects(
      DockerClient.connect({ socketPath }),
      (e) => isDockerError(e, "api_too_old") && /1\.40.*1\.41/.test(e.message),
    );
  });
});

Deno.test("events() throws DockerDaemonDown when the daemon ends the stream", async () => {
  const handler = () => new Response(ndjsonStream([EVENT]));
  await withFakeDaemon("1.41", handler, async (socketPath, seen) => {
    const docker = await DockerClient.connect({ socketPath });
    const got: DockerEvent[] = [];
    try {
      await assert.rejects(async () => {
        for await (const e of docker.events({ labels: { "dev.lattice.managed": "true" } })) {
          got.push(e);
        }
      }, DockerDaemonDown);
    } finally {
      docker.close();
    }
    assert.deepEqual(got, [EVENT]);
    const filters = JSON.stringify({ label: ["dev.lattice.managed=true"] });
    assert.equal(seen[1], `GET /v1.41/events?filters=${encodeURIComponent(filters)}`);
  });
});

/**
 * A raw HTTP/1.1 daemon on a unix socket that answers /_ping, then starts a chunked /events
 * response with one event and drops the connection without finishing it, as a killed dockerd does.
 */
async function withDyingDaemon(fn: (socketPath: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lattice-dying-docker-" });
  const socketPath = `${dir}/docker.sock`;
  const listener = Deno.listen({ transport: "unix", path: socketPath });
  const enc = new TextEncoder();
  const serveConn = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(4096);
    let pending = "";
    try {
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
        pending += new TextDecoder().decode(buf.subarray(0, n));
        for (let end = pending.indexOf("\r\n\r\n"); end >= 0; end = pending.indexOf("\r\n\r\n")) {
          // Deno sends the absolute form over a unix proxy: "GET http://docker/_ping HTTP/1.1".
          const path = new URL(pending.slice(0, end).split(" ")[1], "http://docker").pathname;
          pending = pending.slice(end + 4);
          if (path === "/_ping") {
            await conn.write(
              enc.encode("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK"),
            );
            continue;
          }
          const event = JSON.stringify(EVENT) + "\n";
          await conn.write(enc.encode(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
              `${enc.encode(event).length.toString(16)}\r\n${event}\r\n`,
          ));
          return;
        }
      }
    } finally {
      conn.close();
    }
  };
  const conns: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) conns.push(serveConn(conn));
  })();
  try {
    await fn(socketPath);
  } finally {
    listener.close();
    await accepting;
    await Promise.all(conns);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("events() throws DockerDaemonDown when the connection breaks mid-stream", async () => {
  await withDyingDaemon(async (socketPath) => {
    const docker = await DockerClient.connect({ socketPath });
    const got: DockerEvent[] = [];
    try {
      await assert.rejects(async () => {
        for await (const e of docker.events({})) got.push(e);
      }, (e) => isDockerError(e, "daemon_down") && e.message.includes(socketPath));
    } finally {
      docker.close();
    }
    assert.deepEqual(got, [EVENT]);
  });
});

Deno.test("imagePull() throws pull_failed with Docker's message from inside the progress stream", async () => {
  const progress = [
    { status: "Pulling from library/x", id: "1" },
    { status: "Downloading", id: "abc", progressDetail: { current: 50, total: 200 } },
    { errorDetail: { message: "unauthorized: authentication required" }, error: "unauthorized" },
  ];
  const handler = () => new Response(ndjsonStream(progress));
  await withFakeDaemon("1.41", handler, async (socketPath, seen) => {
    const docker = await DockerClient.connect({ socketPath });
    const steps: unknown[] = [];
    try {
      await assert.rejects(
        docker.imagePull("registry.example:5000/x/y:2", { onProgress: (p) => steps.push(p) }),
        (e) =>
          isDockerError(e, "pull_failed") && e.message === "unauthorized: authentication required",
      );
    } finally {
      docker.close();
    }
    assert.deepEqual(steps, [
      { status: "Pulling from library/x", id: "1" },
      { status: "Downloading", id: "abc", progress: 0.25 },
    ]);
    assert.equal(
      seen[1],
      "POST /v1.41/images/create?fromImage=registry.example%3A5000%2Fx%2Fy&tag=2",
    );
  });
});

Deno.test("a request the daemon never answers fails with a timeout error", async () => {
  const { promise: released, resolve: release } = Promise.withResolvers<void>();
  const handler = async () => {
    await released;
    return Response.json({});
  };
  await withFakeDaemon("1.41", handler, async (socketPath) => {
    const docker = await DockerClient.connect({ socketPath, timeoutMs: 200 });
    try {
      await assert.rejects(docker.info(), (e) => isDockerError(e, "timeout"));
    } finally {
      release();
      docker.close();
    }
  });
});

Deno.test("a tcp:// DOCKER_HOST is spoken to as plain HTTP", async () => {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    seen.push(new URL(req.url).pathname);
    return new Response("OK", { headers: { "Api-Version": "1.44" } });
  });
  try {
    const docker = await DockerClient.connect({
      dockerHost: `tcp://127.0.0.1:${server.addr.port}`,
    });
    docker.close();
    assert.equal(docker.socketPath, null);
    assert.equal(docker.apiVersion, "1.44");
    assert.deepEqual(seen, ["/_ping"]);
  } finally {
    await server.shutdown();
  }
});

/** A body that sends one event and then stays open until the client goes away. */
function endlessEvents(cancelled: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(JSON.stringify(EVENT) + "\n"));
    },
    cancel: cancelled,
  });
}

Deno.test("events() ends quietly when its signal aborts and lets go of the response", async () => {
  const { promise: gone, resolve: cancelled } = Promise.withResolvers<void>();
  await withFakeDaemon("1.41", () => new Response(endlessEvents(cancelled)), async (socketPath) => {
    const docker = await DockerClient.connect({ socketPath });
    const stop = new AbortController();
    const got: DockerEvent[] = [];
    try {
      for await (const e of docker.events({ signal: stop.signal })) {
        got.push(e);
        stop.abort();
      }
      await gone;
    } finally {
      docker.close();
    }
    assert.deepEqual(got, [EVENT]);
  });
});

Deno.test("breaking out of events() early cancels the response", async () => {
  const { promise: gone, resolve: cancelled } = Promise.withResolvers<void>();
  await withFakeDaemon("1.41", () => new Response(endlessEvents(cancelled)), async (socketPath) => {
    const docker = await DockerClient.connect({ socketPath });
    try {
      for await (const _ of docker.events({})) break;
      await gone;
    } finally {
      docker.close();
    }
  });
});
