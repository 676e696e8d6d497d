/**
 * The owner's settings from the command line (issue 6): `--hours "mon-fri 18:00-08:00"`,
 * `--timezone`, `--max-cpu 50%`, `--max-memory 4GiB`, `--max-disk 20GiB`. Pure parsers that turn
 * text into the control plane's `Schedule` and `Offer`, with errors that name the flag and the
 * piece that is wrong; plus the `settings.json` file in the state dir that remembers them.
 */
import { z } from "zod";
import { AgentSettings, type NodeOfferShape } from "../lib/protocol.ts";
import { isTimeZone, type Schedule, type ScheduleWindow } from "../scheduler/types.ts";
import { CLUSTER_LABEL } from "../lib/nodes/node_view.ts";

export { AgentSettings };
export type AgentSettings = z.infer<typeof AgentSettings>;

/** The node label `--cluster NAME` sets: usable as a placement constraint and in pool criteria. */
export { CLUSTER_LABEL };
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * What `settings.json` holds: the owner's settings sent to the control plane, plus the ones that
 * stay on this machine (`keepAwake`) or become a label (`cluster`). Files written before these
 * fields existed still load.
 */
export const SavedSettings = AgentSettings.extend({
  keepAwake: z.boolean().optional(),
  cluster: z.string().regex(DNS_LABEL).optional(),
});
export type SavedSettings = z.infer<typeof SavedSettings>;

/** The part of the saved settings the hello sends (no local-only fields). */
export function helloSettings(settings: SavedSettings): AgentSettings {
  const sent: AgentSettings = {};
  if (settings.schedule !== undefined) sent.schedule = settings.schedule;
  if (settings.offer !== undefined) sent.offer = settings.offer;
  return sent;
}

/** Check a `--cluster` value: a DNS label. */
export function parseCluster(text: string): string {
  if (!DNS_LABEL.test(text)) {
    throw new FlagError(
      `--cluster: "${text}": must be a DNS label: lowercase letters, digits and '-', ` +
        "1 to 63 characters, starting and ending with a letter or digit (e.g. lab-3)",
    );
  }
  return text;
}

/** The labels the agent sends: the ones it joined with, plus the cluster label when set. */
export function nodeLabels(
  labels: Record<string, string>,
  settings: SavedSettings | null | undefined,
): Record<string, string> {
  return settings?.cluster ? { ...labels, [CLUSTER_LABEL]: settings.cluster } : labels;
}
type Offer = z.infer<typeof NodeOfferShape>;

/** A flag value the agent cannot use; the message names the flag and what to write instead. */
export class FlagError extends Error {}

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const LONG_DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const DAY_SETS: Record<string, number[]> = {
  everyday: [0, 1, 2, 3, 4, 5, 6],
  daily: [0, 1, 2, 3, 4, 5, 6],
  weekdays: [1, 2, 3, 4, 5],
  weekends: [0, 6],
  weekend: [0, 6],
};

/** The machine's IANA time zone, as the platform reports it ("UTC" when unknown). */
export function machineTimezone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isTimeZone(zone) ? zone : "UTC";
}

/** Check a `--timezone` value. */
export function parseTimezone(text: string): string {
  const zone = text.trim();
  if (!isTimeZone(zone)) {
    throw new FlagError(
      `--timezone: "${text}": unknown time zone (use an IANA name such as Europe/Paris or UTC)`,
    );
  }
  return zone;
}

function dayIndex(name: string, token: string): number {
  const lower = name.toLowerCase();
  let i = DAYS.indexOf(lower);
  if (i < 0) i = LONG_DAYS.indexOf(lower);
  if (i < 0) throw new FlagError(`--hours: "${token}": unknown day (use mon…sun)`);
  return i;
}

/** "mon", "monday", "mon-fri", "fri-mon" (wraps), "everyday", "weekdays" → day numbers. */
function parseDays(token: string): number[] {
  const set = DAY_SETS[token.toLowerCase()];
  if (set) return set;
  const parts = token.split(/[-–]/);
  if (parts.length === 1) return [dayIndex(parts[0], token)];
  if (parts.length !== 2) throw new FlagError(`--hours: "${token}": unknown day (use mon…sun)`);
  const from = dayIndex(parts[0], token);
  const to = dayIndex(parts[1], token);
  const days: number[] = [];
  for (let d = from;; d = (d + 1) % 7) {
    days.push(d);
    if (d === to) break;
  }
  return days;
}

/** "9", "09:00", "24:00" → "HH:MM"; null when it is not a clock. */
function clock(text: string): string | null {
  const m = /^(\d{1,2})(?::(\d{2}))?$/.exec(text);
  if (!m) return null;
  const hours = Number(m[1]);
  const minutes = Number(m[2] ?? "0");
  if (hours > 24 || minutes > 59 || (hours === 24 && minutes !== 0)) return null;
  return `${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
}

/** "18:00-08:00" → start and end; an end at or before the start crosses midnight. */
function parseRange(token: string): { start: string; end: string } {
  const parts = token.split(/[-–]/);
  const start = parts.length === 2 ? clock(parts[0]) : null;
  const end = parts.length === 2 ? clock(parts[1]) : null;
  if (!start || !end || start === "24:00") {
    throw new FlagError(
      `--hours: "${token}": not a time range (use HH:MM-HH:MM, e.g. 18:00-08:00; 24:00 ends a day)`,
    );
  }
  if (start === end) {
    throw new FlagError(
      `--hours: "${token}": starts and ends at the same time (use 00:00-24:00 for a whole day)`,
    );
  }
  return { start, end };
}

/**
 * Parse `--hours`: groups of days followed by time ranges, separated by spaces, `,` or `;`:
 * `"mon-fri 18:00-08:00; sat,sun 00:00-24:00"`, `"weekdays 9-17"`, `"everyday 22:00-06:00"`.
 * A range before any day applies every day; a range ending at or before its start crosses
 * midnight into the next day. `"always"` (or `"any"`) means no restriction: null.
 */
export function parseHours(text: string, timezone: string = machineTimezone()): Schedule | null {
  const trimmed = text.trim();
  if (/^(always|any|anytime)$/i.test(trimmed)) return null;
  const tokens = trimmed.split(/[\s,;]+/).filter((t) => t.length > 0);
  if (tokens.length === 0) {
    throw new FlagError(`--hours: empty (write days and times, e.g. "mon-fri 18:00-08:00")`);
  }
  const windows: ScheduleWindow[] = [];
  let days: number[] = [];
  let daysToken = "";
  let rangeSeen = false;
  for (const token of tokens) {
    if (/^\d/.test(token)) {
      const { start, end } = parseRange(token);
      const applies = days.length > 0 ? days : DAY_SETS.everyday;
      for (const day of applies) {
        if (!windows.some((w) => w.day === day && w.start === start && w.end === end)) {
          windows.push({ day, start, end });
        }
      }
      rangeSeen = true;
    } else {
      if (rangeSeen) {
        days = [];
        rangeSeen = false;
      }
      for (const d of parseDays(token)) if (!days.includes(d)) days.push(d);
      daysToken = token;
    }
  }
  if (!rangeSeen) {
    throw new FlagError(
      `--hours: "${daysToken}": no time range after it (e.g. "${daysToken} 09:00-17:00")`,
    );
  }
  if (windows.length > 100) {
    throw new FlagError(`--hours: ${windows.length} windows; at most 100`);
  }
  return { timezone: parseTimezone(timezone), windows };
}

/** `--max-cpu 50%` (or `50`) → the share of CPU cores offered, 1–100. */
export function parseCpu(text: string): number {
  const m = /^\s*(\d+)\s*%?\s*$/.exec(text);
  const value = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > 100) {
    throw new FlagError(`--max-cpu: "${text}": use a whole percentage from 1% to 100%, e.g. 50%`);
  }
  return value;
}

const UNIT_MIB: Record<string, number> = { m: 1, g: 1024, t: 1024 * 1024 };

/**
 * `--max-memory` / `--max-disk`: "4GiB", "512MiB", "4G", "2048M", "1.5GB", "1TiB" → an amount
 * in `unit`, rounded down. Units are binary whatever the spelling (4G = 4 GiB). A bare number
 * is refused: "4" could mean anything.
 */
export function parseSize(text: string, unit: "MiB" | "GiB", flag = "--max-memory"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([mgt])(?:i?b)?\s*$/i.exec(text);
  if (!m) {
    throw new FlagError(
      `${flag}: "${text}": use a size with a unit, e.g. 4GiB, 512MiB, 4G or 2048M`,
    );
  }
  const mib = Number(m[1]) * UNIT_MIB[m[2].toLowerCase()];
  const value = Math.floor(unit === "MiB" ? mib : mib / 1024);
  if (value < 1) throw new FlagError(`${flag}: "${text}": must be at least 1${unit}`);
  if (value > 1e9) throw new FlagError(`${flag}: "${text}": too large`);
  return value;
}

/** The settings flags `join` and `run` accept, as `parseArgs` returns them. */
export interface SettingsFlags {
  hours?: string;
  timezone?: string;
  "max-cpu"?: string;
  "max-memory"?: string;
  "max-disk"?: string;
  "keep-awake"?: boolean;
  "no-keep-awake"?: boolean;
  cluster?: string;
}

/** The `parseArgs` options for the settings flags. */
export const SETTINGS_OPTIONS = {
  hours: { type: "string" },
  timezone: { type: "string" },
  "max-cpu": { type: "string" },
  "max-memory": { type: "string" },
  "max-disk": { type: "string" },
  "keep-awake": { type: "boolean" },
  "no-keep-awake": { type: "boolean" },
  cluster: { type: "string" },
} as const;

/**
 * The settings after applying `flags` to the `saved` ones: a flag replaces what it names and
 * leaves the rest. `--timezone` alone moves saved hours to that zone. Null when nothing was
 * ever set (the hello then leaves the server's values alone).
 */
export function applySettingsFlags(
  saved: SavedSettings | null,
  flags: SettingsFlags,
  timezone: string = machineTimezone(),
): SavedSettings | null {
  const next: SavedSettings = { ...saved };
  if (flags["keep-awake"] && flags["no-keep-awake"]) {
    throw new FlagError("--keep-awake and --no-keep-awake contradict each other; give one");
  }
  if (flags["keep-awake"]) next.keepAwake = true;
  if (flags["no-keep-awake"]) next.keepAwake = false;
  if (flags.cluster !== undefined) next.cluster = parseCluster(flags.cluster);
  const zone = flags.timezone !== undefined ? parseTimezone(flags.timezone) : undefined;
  if (flags.hours !== undefined) {
    next.schedule = parseHours(flags.hours, zone ?? timezone);
  } else if (zone !== undefined) {
    if (!next.schedule) {
      throw new FlagError(`--timezone needs --hours (there are no hours to move to ${zone})`);
    }
    next.schedule = { ...next.schedule, timezone: zone };
  }
  if (
    flags["max-cpu"] !== undefined || flags["max-memory"] !== undefined ||
    flags["max-disk"] !== undefined
  ) {
    const offer: Offer = { ...next.offer };
    if (flags["max-cpu"] !== undefined) offer.cpuPercent = parseCpu(flags["max-cpu"]);
    if (flags["max-memory"] !== undefined) {
      offer.memoryMiB = parseSize(flags["max-memory"], "MiB", "--max-memory");
    }
    if (flags["max-disk"] !== undefined) {
      offer.diskGiB = parseSize(flags["max-disk"], "GiB", "--max-disk");
    }
    next.offer = offer;
  }
  const empty = next.schedule === undefined && next.offer === undefined &&
    next.keepAwake === undefined && next.cluster === undefined;
  return empty ? null : next;
}

/** "mon-fri 18:00-08:00"-like summary of a schedule, for messages. */
export function describeSchedule(schedule: Schedule | null | undefined): string {
  if (!schedule) return "always";
  const parts = schedule.windows.map((w) => `${DAYS[w.day]} ${w.start}-${w.end}`);
  return `${parts.join(", ")} (${schedule.timezone})`;
}

/** Where the owner's settings live in the state dir. */
export const SETTINGS_FILE = "settings.json";

/** The saved settings, or null when none were ever set. A corrupt file is an error. */
export async function loadSettings(dir: string): Promise<SavedSettings | null> {
  const path = `${dir}/${SETTINGS_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const parsed = SavedSettings.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Settings file "${path}" is invalid (${issue.path.join(".")}: ${issue.message}); ` +
        "set the flags again or delete the file",
    );
  }
  return parsed.data;
}

/** Write the settings (atomically: a temporary file renamed over the old one). */
export async function saveSettings(dir: string, settings: SavedSettings): Promise<void> {
  const valid = SavedSettings.parse(settings);
  const path = `${dir}/${SETTINGS_FILE}`;
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(valid, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(tmp, path);
}
