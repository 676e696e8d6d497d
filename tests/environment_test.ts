// The real parts the suite relies on. These fail, loudly, when a part is missing: run the
// suite with `deno task test`, which installs and starts them.
import assert from "node:assert/strict";
import { openPostgres } from "../db/postgres.ts";
import { testDatabaseUrl } from "./helpers/databases.ts";

Deno.test("the PostgreSQL server answers", async () => {
  const db = await openPostgres(testDatabaseUrl(), { max: 1 });
  try {
    const [row] = await db.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    assert.match(row.v, /^\d+/);
  } finally {
    await db.close();
  }
});

Deno.test("the Docker Engine answers on its socket", async () => {
  const sock = Deno.env.get("LATTICE_TEST_DOCKER_SOCK");
  assert.ok(sock, "LATTICE_TEST_DOCKER_SOCK is not set: run the suite with `deno task test`");
  using client = Deno.createHttpClient({ proxy: { transport: "unix", path: sock } });
  // The dom lib's RequestInit does not know Deno's `client` option.
  const res = await fetch("http://localhost/_ping", { client } as RequestInit);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "OK");
  assert.match(res.headers.get("api-version") ?? "", /^1\.\d+$/);
});

Deno.test("Chromium is installed for the browser tests", async () => {
  const path = Deno.env.get("LATTICE_TEST_CHROMIUM");
  assert.ok(path, "LATTICE_TEST_CHROMIUM is not set: run the suite with `deno task test`");
  const out = await new Deno.Command(path, { args: ["--version"], stdout: "piped" }).output();
  assert.equal(out.code, 0);
  assert.match(new TextDecoder().decode(out.stdout), /Chromium \d+/);
});
