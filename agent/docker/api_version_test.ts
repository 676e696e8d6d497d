import assert from "node:assert/strict";
import { negotiateApiVersion } from "./api_version.ts";
import { isDockerError } from "./errors.ts";

const cases: { daemon: string; want: string | "api_too_old" }[] = [
  { daemon: "1.41", want: "1.41" },
  { daemon: "1.43", want: "1.43" },
  { daemon: "1.45", want: "1.45" },
  { daemon: "1.53", want: "1.45" },
  { daemon: "1.100", want: "1.45" },
  { daemon: "1.40", want: "api_too_old" },
  { daemon: "1.9", want: "api_too_old" },
  { daemon: "", want: "api_too_old" },
  { daemon: "garbage", want: "api_too_old" },
];

for (const c of cases) {
  Deno.test(`negotiateApiVersion() answers ${c.want} for a daemon speaking "${c.daemon}"`, () => {
    if (c.want === "api_too_old") {
      assert.throws(() => negotiateApiVersion(c.daemon), (e) => isDockerError(e, "api_too_old"));
    } else {
      assert.equal(negotiateApiVersion(c.daemon), c.want);
    }
  });
}
