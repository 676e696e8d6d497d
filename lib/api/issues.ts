/**
 * zod issues → the `details` of a 422 answer: one entry per problem, with a dotted `path`.
 * A record key that fails its own schema names the key and the key schema's message ("invalid
 * label key …") instead of zod's generic "Invalid key in record".
 */
import type { z } from "zod";

/** One field's problem, as the API answers it. */
export interface IssueDetail {
  path: string;
  code: string;
  message: string;
}

/** The details of every issue of `error`. */
export function issueDetails(error: z.ZodError): IssueDetail[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    code: issue.code,
    message: messageOf(issue),
  }));
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key" && issue.issues.length > 0) {
    const key = String(issue.path.at(-1) ?? "");
    return `key "${key}": ${issue.issues.map((i) => i.message).join("; ")}`;
  }
  return issue.message;
}
