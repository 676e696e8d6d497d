import type { Context } from "hono";
import type { z } from "zod";
import type { AppEnv } from "../app_context.ts";

/** A form submission checked against a schema: data, or messages by field name. */
export type FormResult<T> =
  | { ok: true; data: T; values: Record<string, string> }
  | { ok: false; errors: Record<string, string>; values: Record<string, string> };

/** Read a urlencoded or multipart form and validate its string fields with `schema`. */
export async function readForm<T extends z.ZodType>(
  c: Context<AppEnv>,
  schema: T,
): Promise<FormResult<z.infer<T>>> {
  const body = await c.req.parseBody();
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") values[k] = v;
  const parsed = schema.safeParse(values);
  if (parsed.success) return { ok: true, data: parsed.data, values };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? "_form");
    errors[field] ??= issue.message;
  }
  return { ok: false, errors, values };
}

/** A same-site path to go to after signing in, or "/" when `next` is absent or unsafe. */
export function safeNext(next: string | undefined | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}
