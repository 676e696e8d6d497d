/**
 * The onboarding page's weekly hours grid: 7 days × 24 hours of on/off cells, turned into the
 * control plane's `Schedule` (one window per run of consecutive hours) and back. Pure.
 */
import type { Schedule, ScheduleWindow } from "../../scheduler/types.ts";

/** `grid[day][hour]`: day 0 = Sunday … 6 = Saturday (as `Date.getDay()`), hour 0 … 23. */
export type HoursGrid = boolean[][];

const DAYS = 7;
const HOURS = 24;

/** A grid with every cell set to `on`. */
export function fullGrid(on: boolean): HoursGrid {
  return Array.from({ length: DAYS }, () => Array<boolean>(HOURS).fill(on));
}

function clock(hour: number): string {
  return `${String(hour).padStart(2, "0")}:00`;
}

function minutes(text: string): number {
  const [h, m] = text.split(":").map(Number);
  return h * 60 + m;
}

/** Check the shape: 7 rows of 24 booleans. */
export function isHoursGrid(value: unknown): value is HoursGrid {
  return Array.isArray(value) && value.length === DAYS &&
    value.every((row) =>
      Array.isArray(row) && row.length === HOURS && row.every((c) => typeof c === "boolean")
    );
}

/**
 * The schedule a grid stands for: null when every hour is on (no limit). A run of hours that
 * reaches midnight is one window per day (ending 24:00), so windows never cross days. An empty
 * grid is a schedule without windows: the node takes no new work.
 */
export function gridToSchedule(grid: HoursGrid, timezone: string): Schedule | null {
  if (!isHoursGrid(grid)) throw new TypeError("the hours grid must be 7 rows of 24 booleans");
  if (grid.every((row) => row.every(Boolean))) return null;
  const windows: ScheduleWindow[] = [];
  for (let day = 0; day < DAYS; day++) {
    let start = -1;
    for (let hour = 0; hour <= HOURS; hour++) {
      const on = hour < HOURS && grid[day][hour];
      if (on && start < 0) start = hour;
      if (!on && start >= 0) {
        windows.push({ day, start: clock(start), end: hour === HOURS ? "24:00" : clock(hour) });
        start = -1;
      }
    }
  }
  return { timezone, windows };
}

/**
 * The grid for a schedule: a cell is on when any window covers part of its hour. No schedule
 * means always. Windows that cross midnight continue on the next day (Saturday into Sunday).
 */
export function scheduleToGrid(schedule: Schedule | null | undefined): HoursGrid {
  if (!schedule) return fullGrid(true);
  const grid = fullGrid(false);
  for (const w of schedule.windows) {
    const start = minutes(w.start);
    let end = minutes(w.end);
    if (end <= start) end += 24 * 60; // crosses midnight (equal: a whole day)
    for (let hour = Math.floor(start / 60); hour * 60 < end; hour++) {
      const day = (w.day + Math.floor(hour / HOURS)) % DAYS;
      grid[day][hour % HOURS] = true;
    }
  }
  return grid;
}

function gridWhere(on: (day: number, hour: number) => boolean): HoursGrid {
  return Array.from({ length: DAYS }, (_, d) => Array.from({ length: HOURS }, (_, h) => on(d, h)));
}

const weekend = (day: number) => day === 0 || day === 6;

/** One-click starting points for the grid. */
export const HOURS_PRESETS: { id: string; label: string; grid: HoursGrid }[] = [
  { id: "always", label: "Always", grid: fullGrid(true) },
  {
    id: "evenings-weekends",
    label: "Evenings (18:00–08:00) and weekends",
    grid: gridWhere((d, h) => weekend(d) || h >= 18 || h < 8),
  },
  { id: "nights", label: "Nights (00:00–07:00)", grid: gridWhere((_d, h) => h < 7) },
  { id: "weekends", label: "Weekends", grid: gridWhere((d) => weekend(d)) },
];
