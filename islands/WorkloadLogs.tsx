import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { LogLine } from "@/lib/protocol.ts";
import { WORKLOAD_ASK_EVENT, WORKLOAD_EVENT, type WorkloadDto } from "@/lib/workloads/view.ts";

interface Props {
  workloadId: string;
  /** Whether a container runs now (the tail connects at once). */
  running: boolean;
}

/** Most lines kept on screen (older ones scroll away). */
const MAX_LINES = 2000;

type Phase = "waiting" | "connecting" | "live" | "error";

const PHASE_TEXT: Record<Phase, string> = {
  waiting: "Waiting for a running container…",
  connecting: "Connecting…",
  live: "Following",
  error: "",
};

/**
 * The live tail of a workload's logs over server-sent events. Follow keeps the newest line in
 * view; Pause freezes the view while new lines wait, counted, until Resume.
 */
export default function WorkloadLogs(props: Props) {
  const lines = useSignal<LogLine[]>([]);
  const held = useSignal<LogLine[]>([]);
  const paused = useSignal(false);
  const follow = useSignal(true);
  const phase = useSignal<Phase>(props.running ? "connecting" : "waiting");
  const message = useSignal("");
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let source: EventSource | null = null;
    let running = props.running;
    // Lines arriving together are drawn together (a timer, not a frame: hidden tabs get no
    // frames, and their lines must not pile up unseen).
    let incoming: LogLine[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const draw = () => {
      timer = undefined;
      const batch = incoming;
      incoming = [];
      if (paused.value) held.value = [...held.value, ...batch].slice(-MAX_LINES);
      else lines.value = [...lines.value, ...batch].slice(-MAX_LINES);
    };
    const close = () => {
      source?.close();
      source = null;
    };
    const connect = () => {
      if (source) return;
      phase.value = "connecting";
      message.value = "";
      const s = new EventSource(
        `/api/v1/workloads/${encodeURIComponent(props.workloadId)}/logs?follow=true&tail=200`,
      );
      source = s;
      // The tail is sent again on every (re)connection: start over.
      s.addEventListener("allocation", () => {
        incoming = [];
        lines.value = [];
        held.value = [];
        phase.value = "live";
      });
      s.addEventListener("log", (e) => {
        incoming.push(JSON.parse((e as MessageEvent).data) as LogLine);
        timer ??= setTimeout(draw, 50);
      });
      s.addEventListener("error", (e) => {
        const data = (e as MessageEvent).data;
        if (typeof data === "string" && data) {
          // The node could not follow the logs; say why and wait for the next status change.
          close();
          phase.value = "error";
          message.value = (JSON.parse(data) as { message?: string }).message ?? "Logs ended";
          return;
        }
        if (s.readyState === EventSource.CLOSED) {
          close();
          phase.value = running ? "error" : "waiting";
          message.value = running
            ? "The node did not send logs; they are tried again when the status changes."
            : "";
        } else {
          phase.value = "connecting";
        }
      });
    };
    const onWorkload = (e: Event) => {
      const w = (e as CustomEvent<WorkloadDto>).detail;
      running = w.allocations.some((a) => a.state === "running");
      if (running && !source) connect();
    };
    document.addEventListener(WORKLOAD_EVENT, onWorkload);
    if (props.running) connect();
    else document.dispatchEvent(new Event(WORKLOAD_ASK_EVENT));
    return () => {
      document.removeEventListener(WORKLOAD_EVENT, onWorkload);
      clearTimeout(timer);
      close();
    };
  }, [props.workloadId]);

  useEffect(() => {
    if (follow.value && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines.value, follow.value]);

  const togglePause = () => {
    if (paused.value) {
      lines.value = [...lines.value, ...held.value].slice(-MAX_LINES);
      held.value = [];
    }
    paused.value = !paused.value;
  };

  const p = phase.value;
  return (
    <section class="panel workload-logs" aria-labelledby="logs-title" data-phase={p}>
      <header class="panel-header">
        <h2 id="logs-title">Logs</h2>
        <div class="log-controls">
          <label class="log-follow">
            <input
              type="checkbox"
              checked={follow.value}
              onChange={(e) => (follow.value = e.currentTarget.checked)}
            />
            Follow
          </label>
          <button
            type="button"
            class="button button-small log-pause"
            aria-pressed={paused.value}
            onClick={togglePause}
            data-testid="log-pause"
          >
            {paused.value ? `Resume (${held.value.length} new)` : "Pause"}
          </button>
        </div>
      </header>
      <p class="log-state muted" role="status" data-testid="log-state">
        {p === "error" ? message.value : PHASE_TEXT[p]}
        {paused.value && p === "live" ? " (paused)" : ""}
      </p>
      <pre
        class="log-tail"
        ref={box}
        tabIndex={0}
        aria-label="Log lines, newest last"
        data-testid="log-tail"
        data-lines={lines.value.length}
      >
        {lines.value.map((l, i) => (
          <span key={i} class={l.stream === "stderr" ? "log-stderr" : undefined}>
            {l.text}
            {"\n"}
          </span>
        ))}
      </pre>
      <noscript>
        <p class="muted">
          The log tail needs JavaScript; read the logs with{" "}
          <code>GET /api/v1/workloads/{props.workloadId}/logs</code>.
        </p>
      </noscript>
    </section>
  );
}
