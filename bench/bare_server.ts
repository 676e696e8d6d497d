// The baseline: a bare Deno.serve hello-world that also answers /readyz. Nothing else runs,
// so its start-up time and throughput are what Deno alone costs on this machine.
const port = Number(Deno.env.get("BARE_PORT") ?? "8001");
const READY = JSON.stringify({ status: "ready" });

Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (req) => {
  // A suffix test, not new URL(): the baseline should cost as little as Deno allows.
  if (req.url.endsWith("/readyz")) {
    return new Response(READY, { headers: { "content-type": "application/json" } });
  }
  return new Response("Hello, world!");
});
