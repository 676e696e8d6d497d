import assert from "node:assert/strict";
import { safeNext } from "./forms.ts";

Deno.test("safeNext() keeps same-site paths and refuses anything that leaves the site", () => {
  assert.equal(safeNext("/settings?tab=1"), "/settings?tab=1");
  assert.equal(safeNext(undefined), "/");
  assert.equal(safeNext(""), "/");
  assert.equal(safeNext("https://evil.example/"), "/");
  assert.equal(safeNext("//evil.example/"), "/");
  assert.equal(safeNext("/\\evil.example"), "/");
  assert.equal(safeNext("javascript:alert(1)"), "/");
});
