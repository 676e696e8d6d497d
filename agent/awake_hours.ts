/**
 * `--keep-awake`: the machine is held awake exactly while it is inside its owner's computation
 * hours (always, when there are none) and released outside them and when the agent stops. The
 * decision is pure; `startAwakeHours` checks it on a timer and switches a `KeepAwake`.
 */
import type { Logger } from "../lib/log.ts";
import { localTime, scheduleIncludes } from "../scheduler/hours.ts";
import type { Schedule } from "../scheduler/types.ts";
import type { KeepAwake } from "./keep_awake.ts";

/** How often the hours are checked. */
export const AWAKE_CHECK_MS = 60_000;

/**
 * Whether to hold the machine awake at `now`: inside the hours, or always without hours. An
 * unknown time zone cannot be checked, so the machine is left free to sleep.
 */
export function shouldHoldAwake(schedule: Schedule | null | undefined, now: Date): boolean {
  if (!schedule) return true;
  const at = localTime(now, schedule.timezone);
  return at !== null && scheduleIncludes(schedule, at);
}

/** A running keep-awake timer; `stop()` clears it and releases the lock. */
export interface AwakeHours {
  /** Check now (the timer calls this). */
  check(): void;
  stop(): void;
}

/**
 * Check the hours now and every `intervalMs`, holding `keepAwake` while inside them. When the
 * OS has no way (or its tool is not installed), warn once and carry on without it.
 */
export function startAwakeHours(options: {
  keepAwake: KeepAwake;
  schedule: () => Schedule | null | undefined;
  log: Logger;
  now?: () => Date;
  intervalMs?: number;
}): AwakeHours {
  const { keepAwake, log } = options;
  const now = options.now ?? (() => new Date());
  let timer: ReturnType<typeof setInterval> | undefined;
  let disabled = false;
  const disable = (reason: string) => {
    disabled = true;
    clearInterval(timer);
    log.warn("cannot keep this machine awake; it may sleep while working", { reason });
  };
  const check = () => {
    if (disabled) return;
    const hold = shouldHoldAwake(options.schedule(), now());
    const was = keepAwake.held;
    try {
      keepAwake.setActive(hold);
    } catch (err) {
      keepAwake.stop();
      return disable(err instanceof Error ? err.message : String(err));
    }
    if (hold !== was) {
      log.info(hold ? "keeping this machine awake" : "letting this machine sleep again");
    }
  };
  if (!keepAwake.supported) {
    disable("this operating system has no known way to keep awake");
  } else {
    check();
    if (!disabled) timer = setInterval(check, options.intervalMs ?? AWAKE_CHECK_MS);
  }
  return {
    check,
    stop: () => {
      disabled = true;
      clearInterval(timer);
      keepAwake.stop();
    },
  };
}
