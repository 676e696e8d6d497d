/**
 * `lattice-agent onboard [--server URL] [--state-dir DIR] [--port N] [--no-open]`: serve the
 * onboarding page on 127.0.0.1, print its one-time address and open it in the browser; runs
 * until Ctrl-C or the page's "Finish".
 */
import { parseArgs } from "node:util";
import { defaultStateDir } from "../state.ts";
import { OnboardBackend } from "./backend.ts";
import {
  BackgroundRequest,
  DeviceSignInRequest,
  DockerInstallRequest,
  FinishRequest,
  HoursRequest,
  KeepAwakeRequest,
  MachineRequest,
  ServiceRequest,
  TokenSignInRequest,
} from "./schemas.ts";
import { post, type Routes, startOnboardServer } from "./server.ts";

/** What the command needs from the CLI. */
export interface OnboardIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** Stops the page (tests); interactively, Ctrl-C or "Finish" does. */
  signal?: AbortSignal;
}

/** The page's API over a backend; `finish` is called by the "Finish" button. */
export function onboardRoutes(backend: OnboardBackend, finish: () => void): Routes {
  return {
    get: {
      state: () => backend.state(),
      system: () => backend.systemCheck(),
      "docker-install": () => backend.installProgress(),
      signin: () => backend.signInStatus(),
      service: () => backend.serviceAvailability(),
      status: () => backend.status(),
    },
    post: {
      "docker-install": post(DockerInstallRequest, (b) => backend.startDockerInstall(b)),
      "signin/device": post(DeviceSignInRequest, (b) => backend.startDeviceSignIn(b.serverUrl)),
      "signin/token": post(TokenSignInRequest, (b) => backend.tokenSignIn(b)),
      machine: post(MachineRequest, (b) => backend.saveMachine(b)),
      hours: post(HoursRequest, (b) => backend.saveHours(b)),
      "keep-awake": post(KeepAwakeRequest, (b) => backend.saveKeepAwake(b)),
      service: post(ServiceRequest, (b) => backend.service(b)),
      background: post(BackgroundRequest, (b) => backend.background(b)),
      finish: post(FinishRequest, () => {
        setTimeout(finish, 200);
        return { finished: true };
      }),
    },
  };
}

/** The command that opens `url` in the default browser on this OS. */
export function openCommand(os: string, url: string): string[] {
  if (os === "darwin") return ["open", url];
  if (os === "windows") return ["cmd", "/c", "start", "", url];
  return ["xdg-open", url];
}

/** Run `onboard`; returns the exit code. */
export async function onboardCommand(args: string[], io: OnboardIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: "string" },
      "state-dir": { type: "string" },
      port: { type: "string" },
      "no-open": { type: "boolean" },
    },
    allowPositionals: false,
    strict: true,
  });
  let serverUrl: string | null = null;
  if (values.server !== undefined) {
    try {
      serverUrl = new URL(values.server).origin;
    } catch {
      io.err(`lattice-agent: --server must be a URL such as https://lattice.example.com`);
      return 2;
    }
  }
  let port = 0;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      io.err(`lattice-agent: --port must be a number from 1 to 65535, not "${values.port}"`);
      return 2;
    }
  }
  const stateDir = values["state-dir"] ?? defaultStateDir(io.env, Deno.uid());
  const backend = new OnboardBackend({ stateDir, serverUrl, env: io.env });
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let server;
  try {
    server = startOnboardServer({
      port,
      routes: onboardRoutes(backend, () => finish()),
      onError: (err) => io.err(`lattice-agent: onboard: ${err instanceof Error ? err.stack : err}`),
    });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      io.err(`lattice-agent: port ${port} is in use; leave out --port to pick a free one`);
      return 1;
    }
    throw err;
  }
  io.out("Open this address in your browser to set up this machine (it works once):");
  io.out(`  ${server.url}`);
  io.out("Press Ctrl-C to stop.");
  if (!values["no-open"]) {
    const [cmd, ...rest] = openCommand(Deno.build.os, server.url);
    try {
      const child = new Deno.Command(cmd, {
        args: rest,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      child.status.catch(() => {});
    } catch {
      // No browser to open: the address above is enough.
    }
  }
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  io.signal?.addEventListener("abort", stop, { once: true });
  try {
    await Promise.race([finished, stopped]);
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
    io.signal?.removeEventListener("abort", stop);
  }
  await server.close();
  io.out("Onboarding page closed.");
  return 0;
}
