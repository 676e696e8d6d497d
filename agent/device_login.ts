/**
 * Device sign-in (RFC 8628 style): ask the control plane for a code, show it, poll until an
 * admin approves it on the dashboard, and return the single-use join token it hands out.
 */
import { z } from "zod";

/** What the control plane answers when a device sign-in starts. */
const Started = z.object({
  deviceCode: z.string(),
  userCode: z.string(),
  verificationUri: z.string(),
  verificationUriComplete: z.string(),
  expiresIn: z.number(),
  interval: z.number(),
});

/** How a device sign-in fails, in words for the person at the terminal, and an exit code. */
export class DeviceLoginError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "DeviceLoginError";
  }
}

/** Wait `ms`, or less if `signal` aborts (then reject). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function post(url: URL, body: unknown, signal: AbortSignal) {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new DeviceLoginError(
      `cannot reach ${url.origin}: ${err instanceof Error ? err.message : err}. ` +
        "Check the URL and that the control plane is running.",
    );
  }
  const payload = await res.json().catch(() => null);
  return { status: res.status, ok: res.ok, payload };
}

/** The code to show, once the control plane has handed one out. */
export interface ShownCode {
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
}

/**
 * Sign this machine in with a code. `out` prints to the person; `signal` stops waiting
 * (Ctrl-C); `onCode` learns the code as data (the onboarding page shows it). Resolves with a
 * join token; rejects with DeviceLoginError on denial or expiry.
 */
export async function deviceLogin(
  serverUrl: string,
  out: (line: string) => void,
  signal: AbortSignal,
  onCode?: (code: ShownCode) => void,
): Promise<string> {
  const start = await post(new URL("/api/v1/agents/device-codes", serverUrl), {}, signal);
  if (!start.ok) {
    const message = start.payload?.error?.message ?? `the server answered ${start.status}`;
    throw new DeviceLoginError(`cannot start a sign-in: ${message}`);
  }
  const started = Started.parse(start.payload);
  onCode?.({
    userCode: started.userCode,
    verificationUri: started.verificationUri,
    verificationUriComplete: started.verificationUriComplete,
    expiresIn: started.expiresIn,
  });
  const minutes = Math.round(started.expiresIn / 60);
  out(
    `To add this machine, open ${started.verificationUri} and enter the code ` +
      `${started.userCode} (valid ${minutes} minutes)`,
  );
  out(`Or open ${started.verificationUriComplete}`);
  out("Waiting for approval… (Ctrl-C to stop)");
  let interval = started.interval;
  const deadline = Date.now() + started.expiresIn * 1000;
  const tokenUrl = new URL("/api/v1/agents/device-codes/token", serverUrl);
  while (true) {
    await sleep(interval * 1000, signal);
    const res = await post(tokenUrl, { deviceCode: started.deviceCode }, signal);
    if (res.ok && typeof res.payload?.joinToken === "string") return res.payload.joinToken;
    const code = res.payload?.error?.code;
    if (code === "authorization_pending") continue;
    if (code === "slow_down") {
      interval += 5;
      continue;
    }
    if (code === "access_denied") {
      throw new DeviceLoginError("An admin denied this sign-in: nothing was changed.");
    }
    if (code === "expired_token" || Date.now() > deadline) {
      throw new DeviceLoginError(
        `The code ${started.userCode} expired before anyone approved it: run join again.`,
      );
    }
    throw new DeviceLoginError(
      `sign-in failed: ${res.payload?.error?.message ?? `the server answered ${res.status}`}`,
    );
  }
}
