/**
 * The owner's computation hours, enforced on the machine itself: the control plane's scheduler
 * already avoids a node outside its hours, but the volunteer's machine comes first, so the
 * agent refuses to create or start a workload outside the hours its owner set, whatever the
 * server sends. Pure: the clock is a parameter.
 */
import type { Command, CommandError } from "../lib/protocol.ts";
import { formatLocalTime, localTime, scheduleIncludes } from "../scheduler/hours.ts";
import type { Schedule } from "../scheduler/types.ts";
import { describeSchedule } from "./settings_flags.ts";

/** The policy rule a refusal outside the hours names. */
export const HOURS_RULE = "computation-hours";

/** Actions that start work and so wait for the owner's hours; stop, remove and logs never do. */
const STARTS_WORK = new Set<Command["action"]>(["deploy", "start"]);

/**
 * Why `action` may not run at `now` under the owner's `schedule`, or null when it may (no
 * schedule, an action that does not start work, or inside a window).
 */
export function hoursRefusal(
  action: Command["action"],
  schedule: Schedule | null | undefined,
  now: Date,
): CommandError | null {
  if (!schedule || !STARTS_WORK.has(action)) return null;
  const at = localTime(now, schedule.timezone);
  // An unknown zone cannot be checked; the settings file was validated, so this is a platform
  // without that zone's data: refuse rather than guess, the message says why.
  if (at && scheduleIncludes(schedule, at)) return null;
  const when = at ? `it is ${formatLocalTime(at)} in ${schedule.timezone}` : "the time zone " +
    `"${schedule.timezone}" is unknown on this machine`;
  return {
    code: "policy_refused",
    rule: HOURS_RULE,
    message: `Refused to ${action} outside this machine's computation hours (${when}; hours: ` +
      `${describeSchedule(schedule)}). The owner sets them with ` +
      "`lattice-agent run --hours …`.",
  };
}
