/**
 * Computation hours: whether a node's weekly schedule, in its own IANA time zone, includes a
 * moment. Wall-clock time comes from `Intl.DateTimeFormat`, so daylight-saving changes are
 * handled by the platform's time zone data.
 */
import type { Schedule, ScheduleWindow } from "./types.ts";

/** A moment as a node's wall clock shows it. */
export interface LocalTime {
  /** 0 = Sunday … 6 = Saturday. */
  day: number;
  /** Minutes since local midnight, 0…1439. */
  minute: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

// Building a DateTimeFormat costs tens of microseconds; a node view holds only a few dozen
// distinct zones, so one formatter per zone is kept for the life of the worker.
const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(timezone: string): Intl.DateTimeFormat | null {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat("en-US", {
        timeZone: timezone,
        weekday: "short",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      });
    } catch {
      formatter = null;
    }
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** The wall-clock day and minute at `now` in `timezone`, or null for an unknown zone. */
export function localTime(now: Date, timezone: string): LocalTime | null {
  const formatter = formatterFor(timezone);
  if (!formatter) return null;
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatter.formatToParts(now)) {
    if (part.type === "weekday") day = WEEKDAYS[part.value] ?? 0;
    else if (part.type === "hour") hour = Number(part.value) % 24;
    else if (part.type === "minute") minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

/** Minutes since midnight of an "HH:MM" clock ("24:00" is 1440). */
export function parseClock(clock: string): number {
  // Character arithmetic: this runs for every window of every scheduled node of a batch.
  const digit = (i: number) => clock.charCodeAt(i) - 48;
  return (digit(0) * 10 + digit(1)) * 60 + digit(3) * 10 + digit(4);
}

/** Whether one weekly window includes a local time; windows may cross midnight. */
export function windowIncludes(window: ScheduleWindow, at: LocalTime): boolean {
  const start = parseClock(window.start);
  const end = parseClock(window.end);
  if (end > start) return at.day === window.day && at.minute >= start && at.minute < end;
  // Crosses midnight: [start, 24:00) on its day and [00:00, end) on the next.
  if (at.day === window.day) return at.minute >= start;
  return at.day === (window.day + 1) % 7 && at.minute < end;
}

/** Whether any window of the schedule includes a local time. */
export function scheduleIncludes(schedule: Schedule, at: LocalTime): boolean {
  for (const window of schedule.windows) {
    if (windowIncludes(window, at)) return true;
  }
  return false;
}

/** A local time as "Tue 23:10", for messages. */
export function formatLocalTime(at: LocalTime): string {
  const hh = String(Math.floor(at.minute / 60)).padStart(2, "0");
  const mm = String(at.minute % 60).padStart(2, "0");
  return `${DAY_NAMES[at.day]} ${hh}:${mm}`;
}
