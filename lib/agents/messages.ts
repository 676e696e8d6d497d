import {
  type AgentMessage,
  AgentMessage as AgentMessageSchema,
  CLOSE,
  MAX_MESSAGE_BYTES,
} from "../protocol.ts";

/** A frame that could not become an AgentMessage: why, and the close code to use. */
export interface FrameError {
  code: typeof CLOSE.policy | typeof CLOSE.tooBig;
  reason: string;
}

/**
 * Parse one WebSocket frame from an agent. Binary frames, frames over 1 MiB, invalid JSON and
 * messages that fail the schema are errors; nothing here throws.
 */
export function parseAgentFrame(
  data: unknown,
): { ok: true; message: AgentMessage } | { ok: false; error: FrameError } {
  if (typeof data !== "string") {
    return {
      ok: false,
      error: { code: CLOSE.policy, reason: "binary frames are not part of the protocol" },
    };
  }
  // A UTF-16 length over the limit is always too many bytes; the exact check is cheap enough
  // only near the limit.
  if (
    data.length > MAX_MESSAGE_BYTES || (data.length * 3 > MAX_MESSAGE_BYTES &&
      new TextEncoder().encode(data).length > MAX_MESSAGE_BYTES)
  ) {
    return { ok: false, error: { code: CLOSE.tooBig, reason: "message larger than 1 MiB" } };
  }
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, error: { code: CLOSE.policy, reason: "message is not valid JSON" } };
  }
  const parsed = AgentMessageSchema.safeParse(json);
  if (!parsed.success) {
    const type = typeof json === "object" && json !== null && "type" in json
      ? String((json as { type: unknown }).type).slice(0, 40)
      : "(none)";
    const first = parsed.error.issues[0];
    const where = first ? `${first.path.join(".") || "message"}: ${first.message}` : "invalid";
    return {
      ok: false,
      error: { code: CLOSE.policy, reason: `invalid ${type} message (${where})`.slice(0, 120) },
    };
  }
  return { ok: true, message: parsed.data };
}
