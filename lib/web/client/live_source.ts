/// <reference lib="dom" />
// A server-sent-events subscription for islands: reconnects with capped, jittered backoff when
// the browser gives up, and says "signed-out" when the session is gone.

/** The state an island shows next to live data. */
export type LiveState = "connecting" | "live" | "reconnecting" | "signed-out";

/** Labels for LiveState, as the dashboard's live dots say them. */
export const LIVE_LABELS: Record<LiveState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  "signed-out": "Signed out: reload to sign in",
};

/**
 * Subscribe to `url`, calling `handlers[event]` with each event's parsed JSON. Returns the
 * function that closes the subscription.
 */
export function openLiveSource(
  url: string,
  handlers: Record<string, (data: unknown) => void>,
  onState: (state: LiveState) => void,
): () => void {
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let closed = false;
  const open = () => {
    if (closed) return;
    source = new EventSource(url);
    for (const [event, handle] of Object.entries(handlers)) {
      source.addEventListener(event, (e) => {
        attempt = 0;
        onState("live");
        handle(JSON.parse((e as MessageEvent).data));
      });
    }
    source.onerror = async () => {
      if (source?.readyState !== EventSource.CLOSED) {
        onState("reconnecting");
        return;
      }
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
    closed = true;
    source?.close();
    clearTimeout(retry);
  };
}
