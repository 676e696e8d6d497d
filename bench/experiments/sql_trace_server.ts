// main.ts with every SQL statement timed: the control plane built by buildControlPlane over a
// Db wrapper that counts statements by their text and estimates each one's execution time
// (PGlite runs one statement at a time, so a statement's own time is from when it started, or
// the previous one ended, to its end). SIGUSR1 starts counting afresh; SIGUSR2 writes the table
// to $SQL_TRACE_FILE. A tool for explaining bench/workloads_e2e.ts (`--trace-sql`), not part of
// any benchmark.
import { loadConfig } from "../../lib/config.ts";
import { createLogger, createStdoutSink } from "../../lib/log.ts";
import { buildControlPlane } from "../../lib/server.ts";
import { openDb } from "../../db/open.ts";
import type { Db, Queryable } from "../../db/db.ts";

const config = loadConfig(Deno.env.toObject());
const sink = createStdoutSink();
const log = createLogger({ level: config.logLevel, sink });
const stats = new Map<string, { n: number; ms: number; wallMs: number }>();
let lastEnd = 0;

function key(sql: string): string {
  return sql.replace(/\s+/g, " ").trim().slice(0, 110);
}

function traced(q: Queryable): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]) {
      const start = performance.now();
      try {
        return await q.query<T>(sql, params);
      } finally {
        const end = performance.now();
        const s = stats.get(key(sql)) ?? { n: 0, ms: 0, wallMs: 0 };
        s.n++;
        s.ms += end - Math.max(start, lastEnd);
        s.wallMs += end - start;
        stats.set(key(sql), s);
        lastEnd = end;
      }
    },
    exec: (sql: string) => q.exec(sql),
  };
}

const inner = await openDb(config);
const db: Db = {
  kind: inner.kind,
  ...traced(inner),
  transaction: (fn) => inner.transaction((tx) => fn(traced(tx))),
  close: () => inner.close(),
};
const plane = await buildControlPlane(config, { log, db });
const server = Deno.serve(
  { port: config.port, hostname: config.hostname, onListen: () => {} },
  plane.fetch,
);

async function dump(): Promise<void> {
  const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((a, [, s]) => a + s.ms, 0);
  const lines = [
    `total estimated statement time ${total.toFixed(0)} ms`,
    "| ms (own) | share | count | µs each | wall ms | statement |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.slice(0, 40).map(([sql, s]) =>
      `| ${s.ms.toFixed(0)} | ${(s.ms / total * 100).toFixed(1)}% | ${s.n} | ${
        (s.ms / s.n * 1000).toFixed(0)
      } | ${s.wallMs.toFixed(0)} | \`${sql}\` |`
    ),
  ];
  await Deno.writeTextFile(Deno.env.get("SQL_TRACE_FILE") ?? "/tmp/sql_trace.md", lines.join("\n"));
}

Deno.addSignalListener("SIGUSR1", () => stats.clear());
Deno.addSignalListener("SIGUSR2", () => void dump());
Deno.addSignalListener("SIGTERM", async () => {
  plane.endStreams();
  await server.shutdown();
  await plane.close();
  sink.flush();
  Deno.exit(0);
});
