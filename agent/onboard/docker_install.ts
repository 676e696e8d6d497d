/**
 * Getting Docker onto a volunteer's machine: which commands install it (Debian, Ubuntu and their
 * derivatives: the distribution's `docker.io`; Fedora: its `moby-engine`), what to do by hand
 * elsewhere (Docker Desktop or colima), the plain-language fix for each Docker problem, and
 * running the install steps with each command's output streamed. Everything but the runner is
 * pure; the commands run only after the person has agreed to them.
 */

/** The fields of /etc/os-release the install choice needs. */
export interface OsRelease {
  id: string;
  idLike: string[];
  versionId?: string;
  prettyName?: string;
}

/** Parse /etc/os-release (`KEY=value`, values optionally quoted). */
export function parseOsRelease(text: string): OsRelease {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2];
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    fields[match[1]] = value.replace(/\\(["'$`\\])/g, "$1");
  }
  return {
    id: (fields.ID ?? "linux").toLowerCase(),
    idLike: (fields.ID_LIKE ?? "").toLowerCase().split(/\s+/).filter(Boolean),
    ...(fields.VERSION_ID ? { versionId: fields.VERSION_ID } : {}),
    ...(fields.PRETTY_NAME ? { prettyName: fields.PRETTY_NAME } : {}),
  };
}

/** One command of an install, with why it is needed (shown before asking for consent). */
export interface InstallStep {
  command: string[];
  why: string;
}

/** How this machine gets Docker: commands the agent may run, or instructions for the person. */
export type DockerSetup =
  | { kind: "auto"; distro: string; steps: InstallStep[]; after: string }
  | {
    kind: "manual";
    title: string;
    instructions: string[];
    links: { label: string; url: string }[];
  };

type Family = "debian" | "fedora" | null;

function family(release: OsRelease | null): Family {
  if (!release) return null;
  const ids = [release.id, ...release.idLike];
  if (ids.some((id) => id === "debian" || id === "ubuntu")) return "debian";
  if (release.id === "fedora") return "fedora";
  return null;
}

const DESKTOP = { label: "Docker Desktop", url: "https://docs.docker.com/desktop/" };

/**
 * The way to install Docker here. `user` is the account the agent runs as: it is added to the
 * `docker` group so the agent needs no root (root itself needs neither sudo nor the group).
 */
export function dockerSetupFor(os: string, release: OsRelease | null, user: string): DockerSetup {
  if (os === "darwin") {
    return {
      kind: "manual",
      title: "Install Docker Desktop (or colima) on macOS",
      instructions: [
        "Download Docker Desktop for Mac (Apple silicon or Intel, as your Mac is), open the .dmg " +
        "and drag Docker to Applications.",
        "Open Docker from Applications and wait until its whale icon in the menu bar stops moving.",
        "Or, without Docker Desktop, with Homebrew: `brew install colima docker && colima start`.",
        "Then press Check again.",
      ],
      links: [DESKTOP, { label: "colima", url: "https://github.com/abiosoft/colima" }],
    };
  }
  if (os === "windows") {
    return {
      kind: "manual",
      title: "Install Docker Desktop on Windows",
      instructions: [
        "Download Docker Desktop for Windows and run the installer; keep “Use WSL 2” ticked.",
        "Restart when it asks, then start Docker Desktop and wait until it says Engine running.",
        "Then press Check again.",
      ],
      links: [DESKTOP, {
        label: "WSL 2",
        url: "https://learn.microsoft.com/windows/wsl/install",
      }],
    };
  }
  const root = user === "root";
  const sudo = (command: string[]) => (root ? command : ["sudo", ...command]);
  const start: InstallStep = {
    command: sudo(["systemctl", "enable", "--now", "docker"]),
    why: "start Docker now and at every boot",
  };
  const group: InstallStep[] = root ? [] : [{
    command: sudo(["usermod", "-aG", "docker", user]),
    why: `let ${user} use Docker without sudo`,
  }];
  const after = root
    ? "Docker is installed and running. Press Check again."
    : `Docker is installed and running. ${user} joins the docker group at the next log-in: log ` +
      "out and back in (or restart the computer), then run `lattice-agent onboard` again.";
  switch (family(release)) {
    case "debian":
      return {
        kind: "auto",
        distro: release!.prettyName ?? release!.id,
        steps: [
          { command: sudo(["apt-get", "update"]), why: "refresh the list of packages" },
          {
            command: sudo(["apt-get", "install", "-y", "docker.io"]),
            why: "install Docker Engine from your distribution",
          },
          start,
          ...group,
        ],
        after,
      };
    case "fedora":
      return {
        kind: "auto",
        distro: release!.prettyName ?? release!.id,
        steps: [
          {
            command: sudo(["dnf", "install", "-y", "moby-engine"]),
            why: "install Docker Engine from Fedora",
          },
          start,
          ...group,
        ],
        after,
      };
    default:
      return {
        kind: "manual",
        title: `Install Docker Engine on ${release?.prettyName ?? "this Linux"}`,
        instructions: [
          "Install Docker Engine with your distribution's package manager (the package is " +
          "usually called docker, docker.io or moby-engine), or follow Docker's guide.",
          "Start it: `sudo systemctl enable --now docker`.",
          `Let your user use it: \`sudo usermod -aG docker ${user}\`, then log out and back in.`,
          "Then press Check again.",
        ],
        links: [{
          label: "Docker Engine install guide",
          url: "https://docs.docker.com/engine/install/",
        }],
      };
  }
}

/** What is wrong with Docker, as the system check found it. */
export type DockerProblem = "missing" | "stopped" | "permission" | "too_old";

/** The fix for a Docker problem, in plain words with the exact command for this OS. */
export function dockerProblemFix(
  os: string,
  release: OsRelease | null,
  problem: DockerProblem,
  user = "$USER",
): string {
  const desktop = os === "darwin" || os === "windows";
  switch (problem) {
    case "missing":
      if (desktop) {
        return "Docker is not installed. Install Docker Desktop" +
          (os === "darwin" ? " (or colima)" : "") + ", start it, then check again.";
      }
      return family(release)
        ? "Docker is not installed. Lattice can install it for you (you will be asked first), " +
          "or run the commands shown yourself."
        : "Docker is not installed. Install Docker Engine with your package manager, then check again.";
    case "stopped":
      return desktop
        ? "Docker is installed but not running. Start Docker Desktop" +
          (os === "darwin" ? " (or `colima start`)" : "") + " and wait until it is ready."
        : "Docker is installed but not running. Start it with `sudo systemctl enable --now docker`.";
    case "permission":
      return desktop
        ? "This user may not use Docker. Restart Docker Desktop, signed in as this user."
        : `This user may not use Docker. Run \`sudo usermod -aG docker ${user}\`, then log out ` +
          "and back in (or restart) and check again.";
    case "too_old":
      return "Docker is too old for Lattice (it needs Docker Engine 20.10 or newer). Update " +
        (desktop ? "Docker Desktop." : "Docker with your package manager.");
  }
}

/** Runs one command, reporting output line by line; resolves with its exit code. */
export type StepRunner = (
  command: string[],
  onLine: (stream: "stdout" | "stderr", line: string) => void,
) => Promise<number>;

/** Run the steps in order, stopping at the first that fails. */
export async function runInstallSteps(
  steps: InstallStep[],
  run: StepRunner,
  onLine: (step: number, stream: "stdout" | "stderr", line: string) => void,
): Promise<{ ok: true } | { ok: false; failedStep: number; code: number }> {
  for (let i = 0; i < steps.length; i++) {
    let code: number;
    try {
      code = await run(steps[i].command, (stream, line) => onLine(i, stream, line));
    } catch (err) {
      onLine(
        i,
        "stderr",
        `cannot run ${steps[i].command[0]}: ${err instanceof Error ? err.message : err}`,
      );
      code = 127;
    }
    if (code !== 0) return { ok: false, failedStep: i, code };
  }
  return { ok: true };
}

async function pipeLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  const decoder = new TextDecoder();
  for await (const bytes of stream) {
    const lines = (rest + decoder.decode(bytes, { stream: true })).split(/\r?\n/);
    rest = lines.pop()!;
    for (const line of lines) onLine(line);
  }
  if (rest) onLine(rest);
}

/**
 * The real runner: stdin stays the terminal's, so sudo asks for the password where `onboard` was
 * started; stdout and stderr are streamed to the page.
 */
export const realStepRunner: StepRunner = async (command, onLine) => {
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "inherit",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await Promise.all([
    pipeLines(child.stdout, (line) => onLine("stdout", line)),
    pipeLines(child.stderr, (line) => onLine("stderr", line)),
  ]);
  return (await child.status).code;
};
