// Where a later start-up's time goes: each step of buildControlPlane timed on its own, in a
// fresh process, against a data dir that already exists. Not part of `deno task bench`.
//
//   deno run -A bench/experiments/startup_parts.ts <existing LATTICE_DATA_DIR>
const t0 = performance.now();
const marks: [string, number][] = [];
let last = t0;
const mark = (name: string) => {
  const now = performance.now();
  marks.push([name, now - last]);
  last = now;
};

const { PGlite } = await import("@electric-sql/pglite");
mark("import @electric-sql/pglite");
const { OpenAPIHono } = await import("@hono/zod-openapi");
void OpenAPIHono;
mark("import @hono/zod-openapi (+ zod, hono)");
const { buildAssets } = await import("../../lib/web/assets.ts");
const { APP_DIRS } = await import("../../lib/server.ts");
mark("import lib/server.ts (the rest of the app's static imports)");
const { migrate, readMigrations } = await import("../../db/migrate.ts");
const { wrapPglite } = await import("../../db/pglite.ts");

const dataDir = Deno.args[0];
if (!dataDir) throw new Error("usage: startup_parts.ts <existing data dir>");
const pg = new PGlite(`${dataDir}/pg`);
await pg.waitReady;
mark("PGlite open (waitReady)");
const db = wrapPglite(pg);
await migrate(db, await readMigrations());
mark("migrate (nothing to apply)");
const kv = await Deno.openKv(`${dataDir}/kv.sqlite3`);
mark("Deno.openKv");
const assets = await buildAssets(APP_DIRS);
mark("buildAssets (Deno.bundle of islands + static/)");
const { mountRoutes } = await import("../../lib/web/router.ts");
const app = new OpenAPIHono();
// deno-lint-ignore no-explicit-any
await mountRoutes(app as any, { ...APP_DIRS, assets });
mark("mountRoutes (import routes/ and islands/, register)");
kv.close();
await pg.close();
mark("close");

for (const [name, t] of marks) console.log(`${t.toFixed(0).padStart(6)} ms  ${name}`);
console.log(`${(performance.now() - t0).toFixed(0).padStart(6)} ms  total after process start-up`);
