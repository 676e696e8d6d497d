import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, jsonResponse } from "@/lib/api/schemas.ts";
import { authenticateNodeRequest } from "@/lib/agents/node_auth.ts";
import { ForbiddenError } from "@/lib/errors.ts";

/** Largest download a node may ask for: enough to time, small enough to be harmless. */
const MAX_BYTES = 4 * 1024 * 1024;
// Incompressible filler, made once: bandwidth tests must not be flattered by compression.
let filler: Uint8Array<ArrayBuffer> | null = null;

export const handler = {
  GET: apiRoute({
    access: "public",
    summary: "Download test for an approved node's bandwidth estimate (signed with the node key)",
    tags: ["agents"],
    request: {
      query: z.object({ bytes: z.coerce.number().int().min(1).max(MAX_BYTES).default(262_144) }),
    },
    responses: {
      200: { description: "application/octet-stream of the requested size" },
      ...errorResponses(401, 403, 422),
    },
  }, async (c) => {
    const node = await authenticateNodeRequest(c.get("app").db, c.req.raw);
    if (node.approval === "rejected" || node.approval === "revoked") {
      throw new ForbiddenError(`Node ${node.id} is ${node.approval}`);
    }
    const { bytes } = c.req.valid("query");
    if (!filler) {
      filler = new Uint8Array(MAX_BYTES);
      for (let i = 0; i < MAX_BYTES; i += 65536) {
        crypto.getRandomValues(filler.subarray(i, i + 65536));
      }
    }
    return new Response(filler.slice(0, bytes), {
      headers: { "content-type": "application/octet-stream", "cache-control": "no-store" },
    }) as never;
  }),
  POST: apiRoute({
    access: "public",
    summary: "Upload test: the server reads the body and says how long it took",
    tags: ["agents"],
    responses: {
      200: jsonResponse(z.object({ bytes: z.number(), ms: z.number() }), "Bytes received"),
      ...errorResponses(401, 403, 413),
    },
  }, async (c) => {
    const node = await authenticateNodeRequest(c.get("app").db, c.req.raw);
    if (node.approval === "rejected" || node.approval === "revoked") {
      throw new ForbiddenError(`Node ${node.id} is ${node.approval}`);
    }
    const t0 = performance.now();
    const body = await c.req.arrayBuffer();
    return c.json({ bytes: body.byteLength, ms: performance.now() - t0 }, 200);
  }),
};
