import assert from "node:assert/strict";
import { z } from "zod";
import { issueDetails } from "./issues.ts";

Deno.test("issueDetails: dotted paths, and a bad record key names the key and its rule", () => {
  const Schema = z.object({
    labels: z.record(z.string().regex(/^[a-z]+$/, "use lowercase letters"), z.string()),
    replicas: z.number().int().min(1, "at least 1"),
    nested: z.object({ list: z.array(z.string()) }),
  });
  const result = Schema.safeParse({
    labels: { "Bad Key": "x" },
    replicas: 0,
    nested: { list: [1] },
  });
  assert.equal(result.success, false);
  assert.deepEqual(issueDetails(result.error!), [
    {
      path: "labels.Bad Key",
      code: "invalid_key",
      message: 'key "Bad Key": use lowercase letters',
    },
    { path: "replicas", code: "too_small", message: "at least 1" },
    {
      path: "nested.list.0",
      code: "invalid_type",
      message: "Invalid input: expected string, received number",
    },
  ]);
});
