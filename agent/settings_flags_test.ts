import assert from "node:assert/strict";
import {
  applySettingsFlags,
  CLUSTER_LABEL,
  FlagError,
  helloSettings,
  loadSettings,
  machineTimezone,
  nodeLabels,
  parseCpu,
  parseHours,
  parseSize,
  saveSettings,
} from "./settings_flags.ts";

const W = (day: number, start: string, end: string) => ({ day, start, end });
const WEEKDAYS = [1, 2, 3, 4, 5];
const EVERY = [0, 1, 2, 3, 4, 5, 6];

Deno.test("parseHours: day ranges, lists, several windows, crossing midnight", () => {
  const cases: [string, { day: number; start: string; end: string }[]][] = [
    ["mon-fri 18:00-08:00", WEEKDAYS.map((d) => W(d, "18:00", "08:00"))],
    [
      "mon-fri 18:00-08:00; sat,sun 00:00-24:00",
      [
        ...WEEKDAYS.map((d) => W(d, "18:00", "08:00")),
        W(6, "00:00", "24:00"),
        W(0, "00:00", "24:00"),
      ],
    ],
    ["mon-fri 18:00-08:00, sat 10:00-12:00", [
      ...WEEKDAYS.map((d) => W(d, "18:00", "08:00")),
      W(6, "10:00", "12:00"),
    ]],
    ["everyday 22:00-06:00", EVERY.map((d) => W(d, "22:00", "06:00"))],
    ["daily 9-17", EVERY.map((d) => W(d, "09:00", "17:00"))],
    ["22:00-06:00", EVERY.map((d) => W(d, "22:00", "06:00"))],
    ["weekends 0:00-24:00", [W(0, "00:00", "24:00"), W(6, "00:00", "24:00")]],
    ["fri-mon 20:00-23:30", [5, 6, 0, 1].map((d) => W(d, "20:00", "23:30"))],
    ["Monday 09:00-12:00, 14:00-18:00", [W(1, "09:00", "12:00"), W(1, "14:00", "18:00")]],
    ["tue;thu 7:30-8:45", [W(2, "07:30", "08:45"), W(4, "07:30", "08:45")]],
  ];
  for (const [text, windows] of cases) {
    assert.deepEqual(parseHours(text, "Europe/Paris"), { timezone: "Europe/Paris", windows }, text);
  }
});

Deno.test("parseHours: always clears, the zone defaults to the machine's", () => {
  assert.equal(parseHours("always"), null);
  assert.equal(parseHours("mon 09:00-10:00")!.timezone, machineTimezone());
  assert.equal(machineTimezone(), Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
});

Deno.test("parseHours: clear errors", () => {
  const cases: [string, string][] = [
    ["mon-fry 18:00-08:00", `--hours: "mon-fry": unknown day (use mon…sun)`],
    ["funday 18:00-08:00", `--hours: "funday": unknown day (use mon…sun)`],
    ["mon-fri", `--hours: "mon-fri": no time range after it (e.g. "mon-fri 09:00-17:00")`],
    ["mon 09:00-10:00 tue", `--hours: "tue": no time range after it (e.g. "tue 09:00-17:00")`],
    ["", `--hours: empty (write days and times, e.g. "mon-fri 18:00-08:00")`],
    [
      "mon 25:00-08:00",
      `--hours: "25:00-08:00": not a time range (use HH:MM-HH:MM, e.g. 18:00-08:00; 24:00 ends a day)`,
    ],
    [
      "mon 09:60-10:00",
      `--hours: "09:60-10:00": not a time range (use HH:MM-HH:MM, e.g. 18:00-08:00; 24:00 ends a day)`,
    ],
    [
      "mon 24:00-08:00",
      `--hours: "24:00-08:00": not a time range (use HH:MM-HH:MM, e.g. 18:00-08:00; 24:00 ends a day)`,
    ],
    [
      "mon 9:00-09:00",
      `--hours: "9:00-09:00": starts and ends at the same time (use 00:00-24:00 for a whole day)`,
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseHours(text, "UTC"), (e: unknown) => {
      assert.ok(e instanceof FlagError);
      assert.equal(e.message, message, text);
      return true;
    });
  }
  assert.throws(
    () => parseHours("mon 09:00-10:00", "Mars/Olympus"),
    /--timezone: "Mars\/Olympus": unknown time zone/,
  );
});

Deno.test("parseCpu: 1–100 percent", () => {
  for (const [text, value] of [["50%", 50], ["100%", 100], ["1", 1], [" 25 % ", 25]] as const) {
    assert.equal(parseCpu(text), value, text);
  }
  for (const bad of ["0%", "150%", "half", "12.5%", "-5%", ""]) {
    assert.throws(() => parseCpu(bad), /--max-cpu: .*use a whole percentage from 1% to 100%/, bad);
  }
});

Deno.test("parseSize: binary units whatever the spelling, rounded down", () => {
  const cases: [string, "MiB" | "GiB", number][] = [
    ["4GiB", "MiB", 4096],
    ["512MiB", "MiB", 512],
    ["4G", "MiB", 4096],
    ["2048M", "MiB", 2048],
    ["1.5GB", "MiB", 1536],
    ["1TiB", "GiB", 1024],
    ["20GiB", "GiB", 20],
    ["2048M", "GiB", 2],
    ["1536MiB", "GiB", 1],
  ];
  for (const [text, unit, value] of cases) assert.equal(parseSize(text, unit), value, text);
  assert.throws(() => parseSize("4", "MiB"), /--max-memory: "4": use a size with a unit/);
  assert.throws(() => parseSize("lots", "MiB"), /--max-memory: "lots": use a size with a unit/);
  assert.throws(
    () => parseSize("512MiB", "GiB", "--max-disk"),
    /--max-disk: "512MiB": must be at least 1GiB/,
  );
  assert.throws(() => parseSize("0G", "MiB"), /must be at least 1MiB/);
});

Deno.test("applySettingsFlags: flags replace what they name, keep the rest", () => {
  assert.equal(applySettingsFlags(null, {}), null);
  const first = applySettingsFlags(null, { hours: "mon-fri 18:00-08:00", "max-cpu": "50%" }, "UTC");
  assert.deepEqual(first, {
    schedule: { timezone: "UTC", windows: WEEKDAYS.map((d) => W(d, "18:00", "08:00")) },
    offer: { cpuPercent: 50 },
  });
  const second = applySettingsFlags(first, { "max-memory": "4GiB", timezone: "Asia/Tokyo" });
  assert.deepEqual(second, {
    schedule: { timezone: "Asia/Tokyo", windows: WEEKDAYS.map((d) => W(d, "18:00", "08:00")) },
    offer: { cpuPercent: 50, memoryMiB: 4096 },
  });
  assert.deepEqual(applySettingsFlags(second, { hours: "always", "max-disk": "10G" }), {
    schedule: null,
    offer: { cpuPercent: 50, memoryMiB: 4096, diskGiB: 10 },
  });
  assert.throws(() => applySettingsFlags(null, { timezone: "UTC" }), /--timezone needs --hours/);
});

Deno.test("settings.json round-trips and a corrupt file is an error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await loadSettings(dir), null);
    const settings = applySettingsFlags(null, { hours: "sat 10-12", "max-cpu": "20%" }, "UTC")!;
    await saveSettings(dir, settings);
    assert.deepEqual(await loadSettings(dir), settings);
    await Deno.writeTextFile(
      `${dir}/settings.json`,
      JSON.stringify({ offer: { cpuPercent: 500 } }),
    );
    await assert.rejects(() => loadSettings(dir), /settings\.json" is invalid \(offer\.cpuPercent/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--keep-awake / --no-keep-awake and --cluster are saved with the other settings", async () => {
  const on = applySettingsFlags(null, { "keep-awake": true, cluster: "lab-3" })!;
  assert.deepEqual(on, { keepAwake: true, cluster: "lab-3" });
  const off = applySettingsFlags({ ...on, offer: { cpuPercent: 50 } }, { "no-keep-awake": true })!;
  assert.deepEqual(off, { keepAwake: false, cluster: "lab-3", offer: { cpuPercent: 50 } });
  assert.throws(
    () => applySettingsFlags(null, { "keep-awake": true, "no-keep-awake": true }),
    /contradict/,
  );
  for (const bad of ["Lab", "-lab", "lab_3", "a".repeat(64), ""]) {
    assert.throws(
      () => applySettingsFlags(null, { cluster: bad }),
      (e) => e instanceof FlagError && /--cluster: .*DNS label/.test(e.message),
      bad,
    );
  }
  const dir = await Deno.makeTempDir();
  try {
    // A file from before these fields existed still loads.
    await Deno.writeTextFile(`${dir}/settings.json`, JSON.stringify({ offer: { cpuPercent: 20 } }));
    assert.deepEqual(await loadSettings(dir), { offer: { cpuPercent: 20 } });
    await saveSettings(dir, off);
    assert.deepEqual(await loadSettings(dir), off);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the hello gets the shared settings only; the cluster becomes a node label", () => {
  assert.deepEqual(
    helloSettings({ keepAwake: true, cluster: "lab", offer: { cpuPercent: 5 }, schedule: null }),
    { offer: { cpuPercent: 5 }, schedule: null },
  );
  assert.deepEqual(nodeLabels({ gpu: "yes" }, { cluster: "lab-3" }), {
    gpu: "yes",
    [CLUSTER_LABEL]: "lab-3",
  });
  assert.equal(CLUSTER_LABEL, "lattice.cluster");
  assert.deepEqual(nodeLabels({ gpu: "yes" }, null), { gpu: "yes" });
});
