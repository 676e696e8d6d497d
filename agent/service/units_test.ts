import assert from "node:assert/strict";
import {
  launchdPlist,
  systemdQuote,
  systemdUnit,
  windowsQuote,
  windowsTaskXml,
  xmlEscape,
} from "./units.ts";

Deno.test("systemdQuote() leaves plain words bare and quotes, escapes and de-specifies the rest", () => {
  const cases: [string, string][] = [
    ["/usr/bin/deno", "/usr/bin/deno"],
    ["--allow-net", "--allow-net"],
    ["A=b", "A=b"],
    ["/home/Ann Lee/x", '"/home/Ann Lee/x"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["C:\\path", '"C:\\\\path"'],
    ["100%", '"100%%"'],
    ["$HOME", '"$$HOME"'],
    ["", '""'],
    ["a\nb", '"a\\nb"'],
  ];
  for (const [word, quoted] of cases) assert.equal(systemdQuote(word), quoted, word);
});

const LINUX_SPEC = {
  command: ["/home/Ann Lee/bin/lattice agent", "run", "--label", 'say="hi" 100% $HOME\\x'],
  stateDir: "/home/Ann Lee/.lattice-agent",
  name: "lattice-agent",
  env: { DOCKER_HOST: "unix:///run/user/1000/docker.sock" },
};

const LINUX_UNIT = `[Unit]
Description=Lattice node agent
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart="/home/Ann Lee/bin/lattice agent" run --label "say=\\"hi\\" 100%% $$HOME\\\\x"
Environment="LATTICE_AGENT_STATE_DIR=/home/Ann Lee/.lattice-agent"
Environment=DOCKER_HOST=unix:///run/user/1000/docker.sock
Restart=on-failure
RestartSec=5
RestartPreventExitStatus=3
KillMode=process
SyslogIdentifier=lattice-agent

[Install]
WantedBy=default.target
`;

Deno.test("systemdUnit() writes a user unit that restarts on failure, quoting paths with spaces", () => {
  assert.equal(systemdUnit(LINUX_SPEC), LINUX_UNIT);
  assert.throws(() => systemdUnit({ ...LINUX_SPEC, command: [] }), /command is empty/);
});

async function onPath(command: string): Promise<boolean> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if ((await Deno.stat(`${dir}/${command}`)).isFile) return true;
    } catch {
      // not in this dir
    }
  }
  return false;
}

Deno.test("systemdUnit() passes `systemd-analyze verify`, and a broken unit does not", async () => {
  if (!await onPath("systemd-analyze")) {
    // Without systemd there is nothing to verify against; the golden test above still holds.
    assert.equal(await onPath("systemd-analyze"), false);
    console.log("systemd-analyze is not on PATH: only the golden content was checked");
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "svc test " });
  try {
    // verify checks that ExecStart's program exists, so give it a real one with spaces.
    const exe = `${dir}/bin dir/lattice agent`;
    await Deno.mkdir(`${dir}/bin dir`);
    await Deno.writeTextFile(exe, "#!/bin/sh\n", { mode: 0o755 });
    const verify = async (unit: string) => {
      await Deno.writeTextFile(`${dir}/lattice-agent.service`, unit);
      // System mode: --user needs a running user manager, which this check must not depend on.
      const out = await new Deno.Command("systemd-analyze", {
        args: ["verify", `${dir}/lattice-agent.service`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { ok: out.success, text: new TextDecoder().decode(out.stderr) };
    };
    const good = await verify(
      systemdUnit({ ...LINUX_SPEC, command: [exe, ...LINUX_SPEC.command.slice(1)] }),
    );
    assert.equal(good.ok, true, good.text);
    assert.doesNotMatch(good.text, /ignoring|bad unit/i);
    const broken = await verify(LINUX_UNIT.replace(/^ExecStart=.*$/m, `ExecStart="${exe}" "open`));
    assert.equal(broken.ok, false);
    assert.match(broken.text, /Unbalanced quoting/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("xmlEscape() escapes the five XML specials", () => {
  assert.equal(xmlEscape(`a & <b> "c" 'd'`), "a &amp; &lt;b&gt; &quot;c&quot; &apos;d&apos;");
});

const MAC_PLIST = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>dev.lattice.agent</string>
  <key>ProgramArguments</key>
  <array>
    <string>/Users/ann &amp; co/bin/lattice-agent</string>
    <string>run</string>
    <string>&lt;a&gt;&apos;b&apos;</string>
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>LATTICE_AGENT_STATE_DIR</key>
    <string>/Users/ann &amp; co/.lattice-agent/</string>
    <key>DOCKER_HOST</key>
    <string>unix:///Users/ann &amp; co/.colima/default/docker.sock</string>
  </dict>
  <key>WorkingDirectory</key>
  <string>/Users/ann &amp; co/.lattice-agent</string>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>30</integer>
  <key>ProcessType</key>
  <string>Background</string>
  <key>StandardOutPath</key>
  <string>/Users/ann &amp; co/.lattice-agent/agent.log</string>
  <key>StandardErrorPath</key>
  <string>/Users/ann &amp; co/.lattice-agent/agent.err.log</string>
</dict>
</plist>
`;

Deno.test("launchdPlist() writes a LaunchAgent with escaped arguments and logs in the state dir", () => {
  const plist = launchdPlist({
    name: "dev.lattice.agent",
    command: ["/Users/ann & co/bin/lattice-agent", "run", "<a>'b'"],
    stateDir: "/Users/ann & co/.lattice-agent/",
    env: { DOCKER_HOST: "unix:///Users/ann & co/.colima/default/docker.sock" },
  });
  assert.equal(plist, MAC_PLIST);
});

Deno.test("windowsQuote() follows the CommandLineToArgvW rules", () => {
  const cases: [string, string][] = [
    ["run", "run"],
    ["C:\\dir\\x", "C:\\dir\\x"],
    ["C:\\Ann Lee\\", '"C:\\Ann Lee\\\\"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['a\\"b', '"a\\\\\\"b"'],
    ["", '""'],
  ];
  for (const [arg, quoted] of cases) assert.equal(windowsQuote(arg), quoted, arg);
});

const WINDOWS_TASK = `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>Lattice node agent</Description>
    <URI>\\LatticeAgent</URI>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>
      <UserId>LAPTOP\\ann</UserId>
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>LAPTOP\\ann</UserId>
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>C:\\Program Files\\Lattice &amp; Co\\lattice-agent.exe</Command>
      <Arguments>run --label &quot;team=&lt;m l&gt;&quot; --state-dir &quot;C:\\Users\\Ann Lee\\.lattice-agent&quot;</Arguments>
      <WorkingDirectory>C:\\Users\\Ann Lee\\.lattice-agent</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
`;

Deno.test("windowsTaskXml() starts the agent at the user's log-on with least privilege", () => {
  const xml = windowsTaskXml({
    name: "LatticeAgent",
    command: ["C:\\Program Files\\Lattice & Co\\lattice-agent.exe", "run", "--label", "team=<m l>"],
    stateDir: "C:\\Users\\Ann Lee\\.lattice-agent",
    user: "LAPTOP\\ann",
  });
  assert.equal(xml, WINDOWS_TASK);
  const anyone = windowsTaskXml({ name: "LatticeAgent", command: ["a.exe"], stateDir: "C:\\s" });
  assert.doesNotMatch(anyone, /<UserId>/);
  assert.match(anyone, /<Arguments>--state-dir C:\\s<\/Arguments>/);
});
