# Lattice agent installer for Windows, served by the control plane at /install.ps1:
#
#   & ([scriptblock]::Create((irm <server>/install.ps1))) -Token TOKEN [-JoinArgs @('--name', 'lab-pc')]
#
# It downloads the Windows build listed in <server>/downloads/SHA256SUMS (or the Deno bundle,
# which needs `deno` on PATH, when there is none), checks its SHA-256 with Get-FileHash, installs
# it in $env:LOCALAPPDATA\Lattice\bin (added to the user PATH), joins this machine with the
# background service and keep-awake on, and makes sure the agent runs. No administrator rights.
param(
  [string]$Token = "",
  [string[]]$JoinArgs = @()
)
$ErrorActionPreference = "Stop"
$ProgressPreference = "SilentlyContinue"

$Server = '__LATTICE_SERVER_URL__'
$BinDir = Join-Path $env:LOCALAPPDATA "Lattice\bin"
$Target = "lattice-agent-x86_64-pc-windows-msvc.exe"

# Throws rather than exits: `exit` would close the PowerShell window the line was pasted into.
function Fail([string]$Message) {
  Write-Host "lattice install: $Message" -ForegroundColor Red
  throw "lattice install failed: $Message"
}

Write-Host "Installing the Lattice agent from $Server"
if (-not [Environment]::Is64BitOperatingSystem) { Fail "the agent needs 64-bit Windows." }

$Tmp = Join-Path ([IO.Path]::GetTempPath()) ("lattice-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $Tmp | Out-Null
try {
  try {
    $Sums = (Invoke-WebRequest -UseBasicParsing -Uri "$Server/downloads/SHA256SUMS").Content
  } catch {
    Fail "cannot download $Server/downloads/SHA256SUMS: check the address and that the control plane is running."
  }
  if ($Sums -is [byte[]]) { $Sums = [Text.Encoding]::UTF8.GetString($Sums) }
  $Listed = @{}
  foreach ($Line in ($Sums -split "`n")) {
    if ($Line -match '^([0-9a-f]{64})  (\S+)\s*$') { $Listed[$Matches[2]] = $Matches[1] }
  }

  $Deno = $null
  if ($Listed.ContainsKey($Target)) {
    $File = $Target
  } else {
    $File = "lattice-agent.js"
    if (-not $Listed.ContainsKey($File)) { Fail "the server lists no agent download." }
    $Deno = (Get-Command deno -ErrorAction SilentlyContinue).Source
    if (-not $Deno) {
      Fail "there is no Windows build on this server, and the Deno-based agent needs Deno, which is not installed. Install Deno with ``npm install -g deno`` (or see https://deno.com), then run this line again."
    }
    Write-Host "No Windows build: using the Deno agent ($Deno)."
  }

  Write-Host "Downloading $File"
  $Download = Join-Path $Tmp $File
  try {
    Invoke-WebRequest -UseBasicParsing -Uri "$Server/downloads/$File" -OutFile $Download
  } catch {
    Fail "cannot download $Server/downloads/$File."
  }
  $Expected = $Listed[$File]
  $Actual = (Get-FileHash -Algorithm SHA256 -Path $Download).Hash.ToLowerInvariant()
  if ($Actual -ne $Expected) {
    Fail "checksum mismatch for ${File}: expected $Expected, got $Actual. The download was corrupted or tampered with; nothing was installed."
  }
  Write-Host "Checksum verified (SHA-256 $Actual)"

  New-Item -ItemType Directory -Force -Path $BinDir | Out-Null
  if ($File -eq $Target) {
    $Agent = Join-Path $BinDir "lattice-agent.exe"
    Copy-Item -Force $Download $Agent
  } else {
    Copy-Item -Force $Download (Join-Path $BinDir "lattice-agent.js")
    $Agent = Join-Path $BinDir "lattice-agent.cmd"
    $Js = Join-Path $BinDir "lattice-agent.js"
    Set-Content -Encoding ASCII -Path $Agent -Value (
      "@echo off`r`n" +
      "`"$Deno`" run --no-config --allow-net --allow-read --allow-write --allow-env --allow-run --allow-sys `"$Js`" %*`r`n"
    )
  }
  Write-Host "Installed $Agent"
} finally {
  Remove-Item -Recurse -Force $Tmp -ErrorAction SilentlyContinue
}

$UserPath = [Environment]::GetEnvironmentVariable("Path", "User")
if (-not (($UserPath -split ";") -contains $BinDir)) {
  [Environment]::SetEnvironmentVariable("Path", (@($UserPath, $BinDir) -ne "" -join ";"), "User")
  Write-Host "Added $BinDir to your PATH (new terminals see it)."
}
$env:Path = "$BinDir;$env:Path"

Write-Host "Joining this machine to $Server"
$Join = @("join", "--server", $Server, "--keep-awake", "--service", "install")
if ($Token) { $Join += @("--token", $Token) }
$Join += $JoinArgs
# The agent's messages go to stderr too: with "Stop", Windows PowerShell would throw on them.
$ErrorActionPreference = "Continue"
& $Agent @Join 2>&1 | ForEach-Object { "$_" } | Tee-Object -Variable Joined
$Code = $LASTEXITCODE
$ErrorActionPreference = "Stop"
if ($Code -ne 0) {
  if (($Joined -join "`n") -match "already joined") {
    Write-Host "This machine had already joined; making sure its agent runs."
  } else {
    Fail "the join did not succeed (exit $Code; its message is above). The agent is installed; run this line again once the problem is fixed."
  }
}

# The scheduled task the service installs runs at log-on; start it now if it is not running.
$Task = Get-ScheduledTask -TaskName "LatticeAgent" -ErrorAction SilentlyContinue
if ($Task) {
  if ($Task.State -ne "Running") { Start-ScheduledTask -TaskName "LatticeAgent" }
  Write-Host "The agent runs as a background task (check it with: lattice-agent service status)."
} else {
  $State = if ($env:LATTICE_AGENT_STATE_DIR) { $env:LATTICE_AGENT_STATE_DIR } else { Join-Path $HOME ".lattice-agent" }
  New-Item -ItemType Directory -Force -Path $State | Out-Null
  $PidFile = Join-Path $State "agent.pid"
  $Running = $null
  if (Test-Path $PidFile) {
    $Running = Get-Process -Id ([int](Get-Content $PidFile)) -ErrorAction SilentlyContinue
  }
  if ($Running) {
    Write-Host "The agent is already running in the background (pid $($Running.Id))."
  } else {
    $Log = Join-Path $State "agent.log"
    $Proc = Start-Process -FilePath $Agent -ArgumentList "run" -WindowStyle Hidden -PassThru `
      -RedirectStandardOutput $Log -RedirectStandardError (Join-Path $State "agent.err.log")
    Set-Content -Path $PidFile -Value $Proc.Id
    Write-Host "Started the agent in the background (pid $($Proc.Id); log $Log)."
    Write-Host "Stop it with: Stop-Process -Id $($Proc.Id)"
  }
}
Write-Host "Done: this machine is a Lattice node. Check it with: lattice-agent status"
