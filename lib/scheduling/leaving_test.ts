import assert from "node:assert/strict";
import { leavingReason } from "./leaving.ts";
import type { Schedule } from "../../scheduler/types.ts";

// Tuesday 2026-12-01 12:00 UTC.
const NOON_TUESDAY = Date.UTC(2026, 11, 1, 12, 0, 0);
const MIN = 60_000;

const utc = (...windows: Schedule["windows"]): Schedule => ({ timezone: "UTC", windows });

Deno.test("leavingReason: drained, evacuation off or on, inside, near the end, outside", () => {
  const cases: {
    name: string;
    drained?: boolean;
    evacuate?: boolean;
    schedule: Schedule | null;
    expect: RegExp | null;
  }[] = [
    { name: "a drained node leaves", drained: true, schedule: null, expect: /drained/ },
    { name: "no schedule: always in hours", evacuate: true, schedule: null, expect: null },
    {
      name: "outside but evacuation off: stays",
      schedule: utc({ day: 1, start: "08:00", end: "18:00" }),
      expect: null,
    },
    {
      name: "well inside the window",
      evacuate: true,
      schedule: utc({ day: 2, start: "08:00", end: "18:00" }),
      expect: null,
    },
    {
      name: "window ends within the lead",
      evacuate: true,
      schedule: utc({ day: 2, start: "08:00", end: "12:10" }),
      expect: /end at Tue 12:10/,
    },
    {
      name: "window ends just after the lead",
      evacuate: true,
      schedule: utc({ day: 2, start: "08:00", end: "12:16" }),
      expect: null,
    },
    {
      name: "already outside",
      evacuate: true,
      schedule: utc({ day: 1, start: "08:00", end: "18:00" }),
      expect: /outside its computation hours \(Tue 12:00 in UTC\)/,
    },
    {
      name: "adjacent windows: no gap, stays",
      evacuate: true,
      schedule: utc({ day: 2, start: "08:00", end: "12:05" }, {
        day: 2,
        start: "12:05",
        end: "20:00",
      }),
      expect: null,
    },
    {
      name: "a short gap inside the lead counts",
      evacuate: true,
      schedule: utc({ day: 2, start: "08:00", end: "12:05" }, {
        day: 2,
        start: "12:08",
        end: "20:00",
      }),
      expect: /end at Tue 12:05/,
    },
    {
      name: "time zone: 13:00 in Paris, window ends 13:10 local",
      evacuate: true,
      schedule: {
        timezone: "Europe/Paris",
        windows: [{ day: 2, start: "09:00", end: "13:10" }],
      },
      expect: /end at Tue 13:10 \(Europe\/Paris\)/,
    },
  ];
  for (const c of cases) {
    const reason = leavingReason(
      {
        drained: c.drained ?? false,
        evacuateOutsideHours: c.evacuate ?? false,
        schedule: c.schedule,
      },
      NOON_TUESDAY,
      15 * MIN,
    );
    if (c.expect === null) assert.equal(reason, null, c.name);
    else assert.match(reason ?? "", c.expect, c.name);
  }
});
