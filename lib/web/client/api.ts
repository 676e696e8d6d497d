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

/**
 * Follow an SSE stream with reconnects: `onEvent` gets each named event's parsed data;
 * `onState` reports "live", "reconnecting" or "signed-out". Returns the stop function.
 */
export function followStream(
  url: string,
  events: Record<string, (data: unknown) => void>,
  onState: (state: "live" | "reconnecting" | "signed-out") => void,
): () => void {
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let stopped = false;
  const open = () => {
    if (stopped) return;
    source = new EventSource(url);
    source.onopen = () => {
      attempt = 0;
      onState("live");
    };
    for (const [name, fn] of Object.entries(events)) {
      source.addEventListener(name, (e) => {
        onState("live");
        fn(JSON.parse((e as MessageEvent).data));
      });
    }
    source.onerror = async () => {
      if (source?.readyState !== EventSource.CLOSED) {
        onState("reconnecting");
        return;
      }
      // The browser gave up (for example the session expired): check why, then retry.
      source = null;
      const me = await fetch("/api/v1/me", { credentials: "same-origin" }).catch(() => null);
      if (me?.status === 401) return onState("signed-out");
      onState("reconnecting");
      const delay = Math.min(30_000, 1000 * 2 ** attempt++) * (0.5 + Math.random() / 2);
      retry = setTimeout(open, delay);
    };
  };
  open();
  return () => {
    stopped = true;
    source?.close();
    clearTimeout(retry);
  };
}
