// Many nodes at once, written straight into the database (set-based SQL), for page tests and
// the Nodes page benchmark. These are rows, not agents: nothing is connected to them.
import type { Queryable } from "../../db/db.ts";

const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";

/**
 * Insert `n` nodes named `<prefix>0001`… with a pattern the tests rely on, for i = 1…n:
 * - approval `pending` when i % 25 = 0, else `approved`; status `offline` when i % 10 = 0,
 *   else `online`;
 * - labels {zone: "z<i % 4>", rack: "r<i % 10>"}; rank (i · 37) % 1001 with its parts,
 *   ranked now;
 * - computation hours Mon–Fri 09:00–17:00 in Europe/Berlin when i % 5 = 0, else always;
 * - `metricsSeconds` of heartbeats every `intervalSeconds` (received up to now), CPU varying
 *   with i and time, 2–6 GiB of 8 GiB memory used.
 * Returns the ids, in name order.
 */
export async function seedNodes(
  db: Queryable,
  n: number,
  options: { prefix?: string; metricsSeconds?: number; intervalSeconds?: number } = {},
): Promise<string[]> {
  const prefix = options.prefix ?? "node-";
  const caps = {
    cpu: { cores: 8, model: "Seeded CPU" },
    memoryBytes: 8 * 1024 ** 3,
    disk: { path: "/var/lib/docker", totalBytes: 200 * 1024 ** 3, freeBytes: 120 * 1024 ** 3 },
    os: "Debian GNU/Linux 12",
    arch: "x86_64",
    kernel: "6.1.0-seed",
    docker: { version: "24.0.7", apiVersion: "1.43", runtimes: ["runc"] },
    gpus: [],
    network: { downloadBps: 12_500_000, uploadBps: 5_000_000 },
    agentVersion: "0.1.0",
  };
  const schedule = {
    timezone: "Europe/Berlin",
    windows: [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:00" })),
  };
  const rows = await db.query(
    `INSERT INTO nodes (id, name, public_key, approval, approved_at, pool_id, labels, capabilities,
       agent_version, status, docker_healthy, last_seen_at, connected_at, last_metrics, rank,
       rank_parts, rank_updated_at, schedule)
     SELECT gen_random_uuid(), $1 || lpad(i::text, 4, '0'), 'seed-' || $1 || i || '-' || md5(random()::text),
       CASE WHEN i % 25 = 0 THEN 'pending' ELSE 'approved' END,
       CASE WHEN i % 25 = 0 THEN NULL ELSE now() END,
       $2::uuid,
       jsonb_build_object('zone', 'z' || (i % 4), 'rack', 'r' || (i % 10)),
       $3::text::jsonb, '0.1.0',
       CASE WHEN i % 10 = 0 THEN 'offline' ELSE 'online' END, true,
       now(), now() - interval '1 hour',
       jsonb_build_object(
         'cpuPercent', (i * 7) % 100,
         'memory', jsonb_build_object('usedBytes', (2 + i % 5) * 1073741824::bigint,
           'totalBytes', 8589934592::bigint),
         'disk', jsonb_build_object('usedBytes', 80 * 1073741824::bigint,
           'totalBytes', 200 * 1073741824::bigint),
         'network', jsonb_build_object('rxBps', 1000 * i, 'txBps', 500 * i),
         'docker', jsonb_build_object('healthy', true, 'containers', 0, 'running', 0),
         'containers', '[]'::jsonb),
       (i * 37) % 1001,
       jsonb_build_object('availability', ((i * 37) % 1001) / 1000.0, 'jobSuccess', 0.9,
         'resources', 0.5, 'heartbeatStability', 1, 'tenure', (i % 10) / 10.0),
       now(),
       CASE WHEN i % 5 = 0 THEN $4::text::jsonb END
     FROM generate_series(1, $5::int) AS i
     RETURNING id, name`,
    [prefix, DEFAULT_POOL, JSON.stringify(caps), JSON.stringify(schedule), n],
  );
  const ids = rows.sort((a, b) => String(a.name).localeCompare(String(b.name)))
    .map((r) => r.id as string);
  const seconds = options.metricsSeconds ?? 0;
  const interval = options.intervalSeconds ?? 5;
  if (seconds > 0) {
    await db.query(
      `INSERT INTO node_metrics (node_id, seq, at, received_at, cpu_percent, memory_used,
         memory_total, disk_used, disk_total, rx_bps, tx_bps, docker_healthy, containers)
       SELECT n.id, s, now() - (($2::int - s) * $3::int) * interval '1 second',
         now() - (($2::int - s) * $3::int) * interval '1 second',
         (50 + 40 * sin(s / 6.0 + n.rank))::real,
         (2 + (n.rank % 5)) * 1073741824::bigint, 8589934592::bigint,
         80 * 1073741824::bigint, 200 * 1073741824::bigint,
         (100000 + 50000 * sin(s / 4.0))::bigint, (40000 + 20000 * cos(s / 5.0))::bigint,
         true, 0
       FROM nodes n, generate_series(1, $2::int) AS s
       WHERE n.name LIKE $1 || '%'`,
      [prefix, Math.floor(seconds / interval), interval],
    );
  }
  return ids;
}
