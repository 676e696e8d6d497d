/**
 * The last problems in `<state>/agent.log`, each with a troubleshooting tip in plain words. The
 * log holds the agent's JSON lines (stdout) and its plain messages (stderr). Pure.
 */

/** One warning or error from the log, with a tip when it is a common one. */
export interface LogProblem {
  time: string | null;
  level: "warn" | "error";
  message: string;
  tip: string | null;
}

const TIPS: { test: RegExp; tip: string }[] = [
  {
    test: /docker is not reachable|docker.*(unreachable|daemon_down|permission)/i,
    tip: "Docker is not running or this user may not use it: go back to the system check and " +
      "follow the fix shown there.",
  },
  {
    test:
      /cannot reach|connection refused|dns error|failed to lookup|disconnected from the control plane/i,
    tip: "The control plane cannot be reached: check this machine's internet connection and " +
      "that the server address is right. The agent keeps retrying on its own.",
  },
  {
    test: /refused this node|rejected|revoked/i,
    tip: "An admin rejected or revoked this machine. Ask them why; to join again, run " +
      "`lattice-agent reset` and sign in once more.",
  },
  {
    test: /outside (the |its )?(computation )?hours|not in (the )?hours/i,
    tip: "It is outside this machine's computation hours, so it takes no new work now. Change " +
      "the hours in step 4 if that is not what you want.",
  },
  {
    test: /clock differs/i,
    tip: "This machine's clock is wrong: turn on automatic time (NTP) in the system settings.",
  },
];

/** The tip for a log message, or null. */
export function tipFor(message: string): string | null {
  return TIPS.find((t) => t.test.test(message))?.tip ?? null;
}

function problemOf(line: string): LogProblem | null {
  const text = line.trim();
  if (!text) return null;
  if (text.startsWith("{")) {
    try {
      const record = JSON.parse(text);
      if (record.level !== "warn" && record.level !== "error") {
        // Disconnections are logged at info level, but they are what a person wants to see.
        if (typeof record.msg === "string" && /^disconnected/.test(record.msg) && record.reason) {
          const message = `${record.msg}: ${record.reason}`;
          return { time: record.time ?? null, level: "warn", message, tip: tipFor(message) };
        }
        return null;
      }
      const extra = record.error ?? record.reason ?? record.message;
      const message = `${record.msg}${extra ? `: ${extra}` : ""}`;
      return { time: record.time ?? null, level: record.level, message, tip: tipFor(message) };
    } catch {
      // not JSON after all: treated as a plain line below
    }
  }
  if (/^lattice-agent:|error|fail|cannot/i.test(text)) {
    return { time: null, level: "error", message: text.slice(0, 500), tip: tipFor(text) };
  }
  return null;
}

/** The last `max` problems in `logText`, oldest first; repeats of the same message collapse. */
export function lastProblems(logText: string, max = 5): LogProblem[] {
  const problems: LogProblem[] = [];
  for (const line of logText.split("\n")) {
    const problem = problemOf(line);
    if (!problem) continue;
    const same = problems.findIndex((p) => p.message === problem.message);
    if (same >= 0) problems.splice(same, 1);
    problems.push(problem);
  }
  return problems.slice(-max);
}
