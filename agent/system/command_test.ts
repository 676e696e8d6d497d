import assert from "node:assert/strict";
import { runCommand } from "./command.ts";

const posix = Deno.build.os !== "windows";

Deno.test({
  name: "runCommand() captures output and the exit code",
  ignore: !posix,
  fn: async () => {
    const out = await runCommand("sh", ["-c", "echo hi; echo err >&2; exit 3"]);
    assert.deepEqual(out, { success: false, code: 3, stdout: "hi\n", stderr: "err\n" });
  },
});

Deno.test("runCommand() rejects with NotFound for a missing binary", async () => {
  await assert.rejects(runCommand("lattice-no-such-binary-xyz", []), Deno.errors.NotFound);
});

Deno.test({
  name: "runCommand() stops a command that outlives its timeout",
  ignore: !posix,
  fn: async () => {
    const started = performance.now();
    await assert.rejects(runCommand("sleep", ["5"], { timeoutMs: 100 }), /within 100 ms/);
    assert.ok(performance.now() - started < 2000);
  },
});
