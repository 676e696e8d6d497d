/**
 * Which nodes are leaving: their stateless replicas move to other nodes before they go. A node
 * leaves when an admin drains it, or — when its owner asked for evacuation — when its
 * computation hours end within the lead time (or have already ended). Pure: the orchestrator
 * passes the clock.
 */
import { formatLocalTime, localTime, scheduleIncludes } from "../../scheduler/hours.ts";
import type { Schedule } from "../../scheduler/types.ts";

/** What decides whether a node is leaving. */
export interface LeavingInput {
  drained: boolean;
  evacuateOutsideHours: boolean;
  schedule: Schedule | null;
}

/** Step between the moments checked inside the lead time. */
const STEP_MS = 60_000;

/**
 * Why the node is leaving at `now`, or null when it stays. With evacuation on, every minute
 * from now to `now + leadMs` is checked, so a gap between two windows inside the lead time
 * counts too.
 */
export function leavingReason(node: LeavingInput, now: number, leadMs: number): string | null {
  if (node.drained) return "the node is drained";
  const schedule = node.schedule;
  if (!node.evacuateOutsideHours || schedule === null) return null;
  for (let t = now; t <= now + leadMs; t += STEP_MS) {
    const at = localTime(new Date(t), schedule.timezone);
    if (at === null) return null;
    if (!scheduleIncludes(schedule, at)) {
      return t === now
        ? `the node is outside its computation hours (${
          formatLocalTime(at)
        } in ${schedule.timezone})`
        : `the node's computation hours end at ${formatLocalTime(at)} (${schedule.timezone})`;
    }
  }
  return null;
}
