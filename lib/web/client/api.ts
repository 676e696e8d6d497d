/// <reference lib="dom" />
// Islands' way to call the JSON API as the signed-in user: same-origin cookies plus the CSRF
// token the page carries in <meta name="csrf-token">. Validation failures come back as messages
// by field path ("name", "criteria.region"), ready to show next to their fields.

/** An API answer: the body on success, else the error with field messages. */
export type ApiResult<T> =
  | { ok: true; status: number; data: T }
  | {
    ok: false;
    status: number;
    code: string;
    message: string;
    /** Field path → message, from a 422's details. */
    fields: Record<string, string>;
  };

function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
}

/** Send `method path` with an optional JSON body. Never throws for HTTP errors. */
export async function callApi<T = unknown>(
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: {
        "x-csrf-token": csrfToken(),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return {
      ok: false,
      status: 0,
      code: "network",
      message: "The server did not answer: check your connection and try again",
      fields: {},
    };
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (res.ok) return { ok: true, status: res.status, data: parsed as T };
  const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } })
    ?.error;
  const fields: Record<string, string> = {};
  if (Array.isArray(error?.details)) {
    for (const d of error.details as { path?: string; message?: string }[]) {
      const key = d.path || "_form";
      fields[key] ??= d.message ?? "is not valid";
    }
  }
  return {
    ok: false,
    status: res.status,
    code: error?.code ?? "http_error",
    message: error?.message ?? `The server answered ${res.status}`,
    fields,
  };
}
