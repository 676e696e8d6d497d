// The baseline of bench/workloads_e2e.ts: a bare Deno.serve whose POST stores the request body
// as one row in one INSERT, on the same database driver Lattice uses (db/open.ts: PGlite under
// BARE_DATA_DIR, or the PostgreSQL server at DATABASE_URL). No validation, authentication,
// audit, events, queue or scheduling: what "accepting a workload" costs at the very least here.
import { openDb } from "../db/open.ts";

const port = Number(Deno.env.get("BARE_PORT") ?? "8002");
const dataDir = Deno.env.get("BARE_DATA_DIR") ?? "/tmp/lattice-bare-db";
const databaseUrl = Deno.env.get("DATABASE_URL") || undefined;
if (!databaseUrl) await Deno.mkdir(dataDir, { recursive: true });
const db = await openDb({ databaseUrl, dataDir });
await db.exec(
  `CREATE TABLE IF NOT EXISTS bench_workloads (id uuid PRIMARY KEY, name text NOT NULL,
     spec jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
);
const READY = JSON.stringify({ status: "ready" });

Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
  if (req.url.endsWith("/readyz")) {
    return new Response(READY, { headers: { "content-type": "application/json" } });
  }
  if (req.method !== "POST") return new Response("not found", { status: 404 });
  const body = await req.json() as { name?: string };
  const id = crypto.randomUUID();
  await db.query(
    `INSERT INTO bench_workloads (id, name, spec) VALUES ($1, $2, $3::text::jsonb)`,
    [id, String(body.name ?? ""), JSON.stringify(body)],
  );
  return new Response(JSON.stringify({ workload: { id } }), {
    status: 201,
    headers: { "content-type": "application/json" },
  });
});
