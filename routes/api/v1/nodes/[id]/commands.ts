import { issueDetails } from "@/lib/api/issues.ts";
import { z } from "@hono/zod-openapi";
import { stream } from "hono/streaming";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, IdParam, jsonBody, jsonResponse } from "@/lib/api/schemas.ts";
import { HttpError, ValidationError } from "@/lib/errors.ts";
import { Command, type LogChunk, type Result } from "@/lib/protocol.ts";
import { appendAudit } from "@/db/audit_log.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";

/** How long each action may take on the node before the API gives up waiting. */
const TIMEOUTS_MS: Record<string, number> = {
  deploy: 300_000,
  stop: 660_000,
  restart: 660_000,
};
const DEFAULT_TIMEOUT_MS = 60_000;

const CommandRequest = z.object({
  action: z.enum(["deploy", "start", "stop", "restart", "remove", "logs", "stats"]),
  allocationId: z.string().optional().openapi({
    description: "Which allocation the command is for; generated for a deploy when omitted",
  }),
}).loose().openapi("CommandRequest", {
  description: "A command for a node: the fields of the action (see the agent protocol)",
});

const CommandResult = z.object({
  id: z.string(),
  ok: z.boolean(),
  data: z.unknown().optional(),
}).openapi("CommandResult");

/** Agent error codes that are the caller's to fix, with their HTTP statuses. */
const STATUS_OF_CODE: Record<string, number> = {
  policy_refused: 422,
  invalid_spec: 422,
  not_found: 404,
  no_such_container: 404,
  no_such_image: 404,
  name_conflict: 409,
  port_allocated: 409,
  conflict: 409,
  node_disconnected: 503,
  docker_unavailable: 503,
  daemon_down: 503,
  timeout: 504,
};

export const handler = {
  POST: apiRoute({
    access: "admin",
    summary: "Send a command to a node and wait for its result",
    description: "deploy, start, stop, restart, remove, logs (tail, or follow as a stream of " +
      "JSON lines) or stats. Deploys are idempotent by allocationId.",
    tags: ["nodes"],
    request: { params: IdParam, body: jsonBody(CommandRequest) },
    responses: {
      200: jsonResponse(CommandResult, "The node's result"),
      ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
    },
  }, async (c) => {
    const app = c.get("app");
    const { id: nodeId } = c.req.valid("param");
    const raw = { ...c.req.valid("json") } as Record<string, unknown>;
    if (raw.action === "deploy" && raw.allocationId === undefined) {
      raw.allocationId = crypto.randomUUID();
    }
    const parsed = Command.safeParse(raw);
    if (!parsed.success) {
      throw new ValidationError(
        "The command does not match the schema: see details for each field",
        issueDetails(parsed.error),
      );
    }
    const command = parsed.data;
    const [exists] = await app.db.query(`SELECT 1 FROM nodes WHERE id = $1`, [nodeId]);
    if (!exists) throw new HttpError(404, "not_found", `No node ${nodeId}`);
    const principal = c.get("principal")!;
    const meta = requestMeta(c);
    await appendAudit(app.db, {
      actorId: principal.userId,
      actor: principal.email,
      action: `node.command.${command.action}`,
      outcome: "success",
      targetType: "node",
      targetId: nodeId,
      ip: meta.ip,
      requestId: meta.requestId,
      details: { allocation_id: command.allocationId },
    });

    if (command.action === "logs" && command.follow) {
      c.header("content-type", "application/x-ndjson");
      // A followed log is a stream of JSON lines, not the JSON body the schema describes.
      const res: Response = stream(c, async (s) => {
        const abort = new AbortController();
        s.onAbort(() => abort.abort());
        app.shutdown.addEventListener("abort", () => abort.abort(), { once: true });
        const write = (chunk: LogChunk) => {
          const text = chunk.lines.map((l) => JSON.stringify(l) + "\n").join("");
          if (text) void s.write(text).catch(() => abort.abort());
        };
        const result = await app.agents.command(nodeId, command, {
          onLogs: write,
          signal: abort.signal,
        });
        if (!result.ok) await s.write(JSON.stringify({ error: result.error }) + "\n");
      });
      return res as never;
    }

    const result: Result = await app.agents.command(nodeId, command, {
      timeoutMs: TIMEOUTS_MS[command.action] ?? DEFAULT_TIMEOUT_MS,
    });
    if (result.ok) return c.json({ id: result.id, ok: true, data: result.data }, 200);
    const status = STATUS_OF_CODE[result.error.code] ?? 502;
    throw new HttpError(status, result.error.code, result.error.message, {
      commandId: result.id,
      rule: result.error.rule ?? null,
      allocationId: command.allocationId,
    });
  }),
};
