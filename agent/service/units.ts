/**
 * The agent as a user-level background service: pure generators of a systemd user unit (Linux), a
 * launchd LaunchAgent plist (macOS) and a Task Scheduler task (Windows). None of them needs root.
 */

/** What the service runs and where the agent keeps its state. */
export interface ServiceSpec {
  /** The agent's command line, executable first (e.g. `[deno, "run", …, "main.ts", "run"]`). */
  command: string[];
  /** The agent's state dir; the service passes it on and keeps its logs there (macOS). */
  stateDir: string;
  /** The service's name on its OS: unit name, launchd label or task name. */
  name: string;
  /** Extra environment for the agent (e.g. DOCKER_HOST); Windows tasks cannot carry any. */
  env?: Record<string, string>;
  /** Windows only: the account whose log-on starts the task (`DOMAIN\user`). */
  user?: string;
}

/** Exit code of `lattice-agent run` when the control plane refused the node: never restart. */
export const REFUSED_EXIT_CODE = 3;

/**
 * Quote one word for a systemd command line or assignment: bare when it is plain, otherwise in
 * double quotes with C escapes; `%` (specifiers) and `$` (variable expansion) are doubled so they
 * stay literal.
 */
export function systemdQuote(word: string): string {
  const literal = word.replaceAll("%", "%%").replaceAll("$", "$$$$");
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(word)) return literal;
  const escaped = literal
    .replaceAll("\\", "\\\\")
    .replaceAll('"', '\\"')
    .replaceAll("\n", "\\n")
    .replaceAll("\t", "\\t");
  return `"${escaped}"`;
}

/** A systemd user unit that runs the agent and restarts it when it fails. */
export function systemdUnit(spec: ServiceSpec): string {
  if (spec.command.length === 0) throw new Error("Cannot write a service: the command is empty");
  const env = { LATTICE_AGENT_STATE_DIR: spec.stateDir, ...spec.env };
  return [
    "[Unit]",
    "Description=Lattice node agent",
    // Without a limit, systemd stops restarting after 5 failures in 10 s; the agent should keep
    // trying for as long as the person is logged in (RestartSec keeps it gentle).
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${spec.command.map(systemdQuote).join(" ")}`,
    ...Object.entries(env).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`),
    "Restart=on-failure",
    "RestartSec=5",
    `RestartPreventExitStatus=${REFUSED_EXIT_CODE}`,
    // Workloads are Docker containers, not children: stopping the agent must not touch them.
    "KillMode=process",
    `SyslogIdentifier=${systemdQuote(spec.name)}`,
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

/** Escape text for XML element content and attribute values. */
export function xmlEscape(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/** A launchd LaunchAgent that starts the agent at log-in and restarts it when it fails. */
export function launchdPlist(spec: ServiceSpec): string {
  if (spec.command.length === 0) throw new Error("Cannot write a service: the command is empty");
  const dir = spec.stateDir.replace(/\/+$/, "");
  const env = { LATTICE_AGENT_STATE_DIR: spec.stateDir, ...spec.env };
  const str = (s: string) => `<string>${xmlEscape(s)}</string>`;
  const key = (k: string) => `<key>${xmlEscape(k)}</key>`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`,
    `<plist version="1.0">`,
    `<dict>`,
    `  ${key("Label")}`,
    `  ${str(spec.name)}`,
    `  ${key("ProgramArguments")}`,
    `  <array>`,
    ...spec.command.map((arg) => `    ${str(arg)}`),
    `  </array>`,
    `  ${key("EnvironmentVariables")}`,
    `  <dict>`,
    ...Object.entries(env).flatMap(([k, v]) => [`    ${key(k)}`, `    ${str(v)}`]),
    `  </dict>`,
    `  ${key("WorkingDirectory")}`,
    `  ${str(dir)}`,
    `  ${key("RunAtLoad")}`,
    `  <true/>`,
    // Restart after a crash but not after a clean exit or a refusal (exit code 3 is a failure to
    // launchd too, so ThrottleInterval keeps a refused node from spinning).
    `  ${key("KeepAlive")}`,
    `  <dict>`,
    `    ${key("SuccessfulExit")}`,
    `    <false/>`,
    `  </dict>`,
    `  ${key("ThrottleInterval")}`,
    `  <integer>30</integer>`,
    `  ${key("ProcessType")}`,
    `  ${str("Background")}`,
    `  ${key("StandardOutPath")}`,
    `  ${str(`${dir}/agent.log`)}`,
    `  ${key("StandardErrorPath")}`,
    `  ${str(`${dir}/agent.err.log`)}`,
    `</dict>`,
    `</plist>`,
    ``,
  ].join("\n");
}

/**
 * Quote one argument the way Windows programs split their command line (CommandLineToArgvW):
 * backslashes double only before a quote, quotes become `\"`.
 */
export function windowsQuote(arg: string): string {
  if (arg !== "" && !/[\s"]/.test(arg)) return arg;
  const escaped = arg
    .replace(/(\\*)"/g, (_, slashes: string) => `${slashes}${slashes}\\"`)
    .replace(/(\\+)$/, "$1$1");
  return `"${escaped}"`;
}

/**
 * A Task Scheduler task (XML, schema 1.2) that starts the agent when the user logs on, with the
 * user's own rights, and restarts it when it fails. Task Scheduler has no environment settings, so
 * the state dir travels as `--state-dir`.
 */
export function windowsTaskXml(spec: ServiceSpec): string {
  if (spec.command.length === 0) throw new Error("Cannot write a service: the command is empty");
  const [exe, ...args] = spec.command;
  const argLine = [...args, "--state-dir", spec.stateDir].map(windowsQuote).join(" ");
  const user = spec.user ? [`      <UserId>${xmlEscape(spec.user)}</UserId>`] : [];
  return [
    `<?xml version="1.0" encoding="UTF-16"?>`,
    `<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">`,
    `  <RegistrationInfo>`,
    `    <Description>Lattice node agent</Description>`,
    `    <URI>\\${xmlEscape(spec.name)}</URI>`,
    `  </RegistrationInfo>`,
    `  <Triggers>`,
    `    <LogonTrigger>`,
    `      <Enabled>true</Enabled>`,
    ...user,
    `    </LogonTrigger>`,
    `  </Triggers>`,
    `  <Principals>`,
    `    <Principal id="Author">`,
    ...user,
    `      <LogonType>InteractiveToken</LogonType>`,
    `      <RunLevel>LeastPrivilege</RunLevel>`,
    `    </Principal>`,
    `  </Principals>`,
    `  <Settings>`,
    `    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>`,
    `    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>`,
    `    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>`,
    `    <StartWhenAvailable>true</StartWhenAvailable>`,
    `    <AllowStartOnDemand>true</AllowStartOnDemand>`,
    // PT0S: no time limit; the default would stop the agent after three days.
    `    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>`,
    `    <RestartOnFailure>`,
    `      <Interval>PT1M</Interval>`,
    `      <Count>999</Count>`,
    `    </RestartOnFailure>`,
    `    <Enabled>true</Enabled>`,
    `  </Settings>`,
    `  <Actions Context="Author">`,
    `    <Exec>`,
    `      <Command>${xmlEscape(exe)}</Command>`,
    `      <Arguments>${xmlEscape(argLine)}</Arguments>`,
    `      <WorkingDirectory>${xmlEscape(spec.stateDir)}</WorkingDirectory>`,
    `    </Exec>`,
    `  </Actions>`,
    `</Task>`,
    ``,
  ].join("\n");
}
