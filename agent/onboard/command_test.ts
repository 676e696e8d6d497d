import assert from "node:assert/strict";
import { onboardCommand, openCommand } from "./command.ts";

Deno.test("the browser is opened with each OS's own command", () => {
  const url = "http://127.0.0.1:1234/?t=abc";
  assert.deepEqual(openCommand("linux", url), ["xdg-open", url]);
  assert.deepEqual(openCommand("darwin", url), ["open", url]);
  assert.deepEqual(openCommand("windows", url), ["cmd", "/c", "start", "", url]);
});

Deno.test("onboard refuses a bad --server or --port before listening", async () => {
  const err: string[] = [];
  const io = { out: () => {}, err: (l: string) => err.push(l), env: { HOME: "/tmp" } };
  assert.equal(await onboardCommand(["--server", "not a url", "--no-open"], io), 2);
  assert.match(err.join("\n"), /--server must be a URL/);
  assert.equal(await onboardCommand(["--port", "70000", "--no-open"], io), 2);
  assert.match(err.join("\n"), /--port must be a number from 1 to 65535/);
});

Deno.test("onboard prints its one-time address and stops when told to", async () => {
  const dir = await Deno.makeTempDir();
  const out: string[] = [];
  const abort = new AbortController();
  try {
    const exit = onboardCommand(["--no-open", "--state-dir", `${dir}/state`], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      env: { HOME: dir },
      signal: abort.signal,
    });
    const line = out.find((l) => l.includes("/?t="));
    assert.ok(line, out.join("\n"));
    const url = line.trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?t=[\w-]{43}$/);
    const res = await fetch(url, { redirect: "manual" });
    await res.body?.cancel();
    assert.equal(res.status, 302);
    abort.abort();
    assert.equal(await exit, 0);
    assert.match(out.join("\n"), /Onboarding page closed/);
    await assert.rejects(fetch(url));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
