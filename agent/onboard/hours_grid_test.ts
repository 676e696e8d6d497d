import assert from "node:assert/strict";
import { Schedule } from "../../scheduler/types.ts";
import { parseHours } from "../settings_flags.ts";
import { fullGrid, gridToSchedule, HOURS_PRESETS, scheduleToGrid } from "./hours_grid.ts";

Deno.test("a full grid is no limit; an empty grid is no hours at all", () => {
  assert.equal(gridToSchedule(fullGrid(true), "UTC"), null);
  assert.deepEqual(gridToSchedule(fullGrid(false), "UTC"), { timezone: "UTC", windows: [] });
});

Deno.test("runs of hours become windows; a run to midnight ends at 24:00", () => {
  const grid = fullGrid(false);
  for (let h = 18; h < 24; h++) grid[1][h] = true;
  for (let h = 0; h < 8; h++) grid[2][h] = true;
  grid[3][9] = true;
  grid[3][11] = true;
  const schedule = gridToSchedule(grid, "Europe/Berlin")!;
  assert.deepEqual(schedule, {
    timezone: "Europe/Berlin",
    windows: [
      { day: 1, start: "18:00", end: "24:00" },
      { day: 2, start: "00:00", end: "08:00" },
      { day: 3, start: "09:00", end: "10:00" },
      { day: 3, start: "11:00", end: "12:00" },
    ],
  });
  assert.ok(Schedule.safeParse(schedule).success);
});

Deno.test("grid → schedule → grid gives the same grid for every preset and a random grid", () => {
  const random = fullGrid(false).map((row) => row.map(() => Math.random() < 0.4));
  for (const grid of [...HOURS_PRESETS.map((p) => p.grid), random]) {
    const schedule = gridToSchedule(grid, "UTC");
    assert.deepEqual(scheduleToGrid(schedule), grid);
  }
});

Deno.test("schedules from --hours map onto the grid, crossing midnight into the next day", () => {
  const grid = scheduleToGrid(parseHours("sat 22:00-02:00", "UTC"));
  assert.equal(grid[6][22], true);
  assert.equal(grid[6][23], true);
  assert.equal(grid[0][0], true, "Saturday night continues into Sunday");
  assert.equal(grid[0][1], true);
  assert.equal(grid[0][2], false);
  assert.equal(grid[6][21], false);
  // A window that starts mid-hour marks the hour it touches.
  const partial = scheduleToGrid({
    timezone: "UTC",
    windows: [{ day: 2, start: "09:30", end: "10:15" }],
  });
  assert.deepEqual(partial[2].slice(8, 12), [false, true, true, false]);
  assert.deepEqual(scheduleToGrid(null), fullGrid(true));
});

Deno.test("a malformed grid is refused", () => {
  assert.throws(() => gridToSchedule([[true]], "UTC"), /7 rows of 24/);
});
