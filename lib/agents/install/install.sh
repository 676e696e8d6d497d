#!/bin/sh
# Lattice agent installer, served by the control plane at /install.sh:
#
#   curl -fsSL <server>/install.sh | sh -s -- --token TOKEN [more `lattice-agent join` flags]
#   curl -fsSL <server>/install.sh | sh -s -- --onboard [more `lattice-agent onboard` flags]
#
# With --onboard it installs the agent and opens the guided setup page (`lattice-agent onboard`:
# Docker check and install, sign-in with a code, the machine's share, hours, service) instead of
# joining right away.
#
# It picks the agent build for this OS and CPU from <server>/downloads/SHA256SUMS (the Deno
# bundle plus a small wrapper when there is no build, which needs `deno` on PATH), checks its
# SHA-256, installs it as `lattice-agent` in ${LATTICE_INSTALL_DIR:-~/.local/bin}, joins this
# machine with the background service and keep-awake on, and makes sure the agent runs. Nothing
# here needs root, and running it again on a joined machine only makes sure the agent runs.
#
# Environment: LATTICE_INSTALL_DIR (where `lattice-agent` goes), LATTICE_AGENT_STATE_DIR (the
# agent's state, default ~/.lattice-agent), DOCKER_HOST (passed on to the agent).
set -eu

SERVER='__LATTICE_SERVER_URL__'

say() { printf '%s\n' "$*"; }
fail() {
  printf 'lattice install: %s\n' "$*" >&2
  exit 1
}

# The build target for `uname -s` and `uname -m` (lib/agents/downloads.ts has the same table).
lattice_target() {
  case "$2" in
    x86_64 | amd64 | AMD64 | x64) cpu=x86_64 ;;
    aarch64 | arm64 | ARM64) cpu=aarch64 ;;
    *) return 0 ;;
  esac
  case "$1" in
    Linux | linux) say "$cpu-unknown-linux-gnu" ;;
    Darwin | darwin) say "$cpu-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT | windows)
      [ "$cpu" = x86_64 ] && say "x86_64-pc-windows-msvc.exe"
      ;;
  esac
  return 0
}

fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    fail "neither curl nor wget is installed: install one of them and run this line again."
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    fail "cannot check the download: neither sha256sum nor shasum is installed."
  fi
}

# The pid in the pid file, when that process is alive.
running_pid() {
  [ -f "$STATE/agent.pid" ] || return 1
  pid=$(cat "$STATE/agent.pid" 2>/dev/null) || return 1
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  say "$pid"
}

# Whether the user-level service (what `lattice-agent service install` sets up) is running.
service_running() {
  case "$OS" in
    Linux) systemctl --user is-active --quiet lattice-agent.service </dev/null >/dev/null 2>&1 ;;
    Darwin) launchctl print "gui/$(id -u)/dev.lattice.agent" </dev/null >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

service_file() {
  case "$OS" in
    Linux) say "${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/lattice-agent.service" ;;
    Darwin) say "$HOME/Library/LaunchAgents/dev.lattice.agent.plist" ;;
  esac
}

# Make sure the agent runs: the service, else a process started earlier by this script, else
# start one in the background now.
ensure_running() {
  if service_running; then
    say "The agent runs as a background service (check it with: lattice-agent service status)."
    return 0
  fi
  file=$(service_file)
  if [ -n "$file" ] && [ -f "$file" ] &&
    "$AGENT" service start --state-dir "$STATE" </dev/null >/dev/null 2>&1 && service_running; then
    say "Started the agent's background service (check it with: lattice-agent service status)."
    return 0
  fi
  if pid=$(running_pid); then
    say "The agent is already running in the background (pid $pid, log $STATE/agent.log)."
    return 0
  fi
  mkdir -p "$STATE"
  nohup "$AGENT" run --state-dir "$STATE" </dev/null >"$STATE/agent.log" 2>&1 &
  pid=$!
  say "$pid" >"$STATE/agent.pid"
  # A moment for an immediate failure (bad state, no Docker permission) to show.
  sleep 1
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 5 "$STATE/agent.log" >&2 || true
    rm -f "$STATE/agent.pid"
    fail "the agent stopped right after starting (log: $STATE/agent.log). Fix the problem above, then run: lattice-agent run"
  fi
  say "No background service runs it, so the agent now runs in the background (pid $pid; log $STATE/agent.log)."
  say "Stop it with: kill \$(cat $STATE/agent.pid)"
}

main() {
  OS=$(uname -s)
  ARCH=$(uname -m)
  BIN_DIR=${LATTICE_INSTALL_DIR:-$HOME/.local/bin}
  BIN_DIR=${BIN_DIR%/}
  DATA_DIR=${XDG_DATA_HOME:-$HOME/.local/share}/lattice
  AGENT="$BIN_DIR/lattice-agent"
  # The agent's own default state dir, or --state-dir when it is among the join flags.
  if [ -n "${LATTICE_AGENT_STATE_DIR:-}" ]; then
    STATE=$LATTICE_AGENT_STATE_DIR
  elif [ "$(id -u)" = 0 ]; then
    STATE=/var/lib/lattice-agent
  else
    STATE=$HOME/.lattice-agent
  fi
  prev=
  ONBOARD=
  for arg in "$@"; do
    [ "$prev" = --state-dir ] && STATE=$arg
    case "$arg" in --state-dir=*) STATE=${arg#--state-dir=} ;; esac
    [ "$arg" = --onboard ] && ONBOARD=1
    prev=$arg
  done

  say "Installing the Lattice agent from $SERVER"
  target=$(lattice_target "$OS" "$ARCH")
  say "This machine: $OS $ARCH${target:+ (build $target)}"

  tmp=$(mktemp -d 2>/dev/null || mktemp -d -t lattice)
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 130' INT TERM
  fetch "$SERVER/downloads/SHA256SUMS" "$tmp/SHA256SUMS" ||
    fail "cannot download $SERVER/downloads/SHA256SUMS: check the address and that the control plane is running."

  file=
  if [ -n "$target" ] && grep -q "  lattice-agent-$target\$" "$tmp/SHA256SUMS"; then
    file="lattice-agent-$target"
  else
    file=lattice-agent.js
    grep -q "  $file\$" "$tmp/SHA256SUMS" || fail "the server lists no agent download."
    if ! DENO=$(command -v deno); then
      fail "there is no agent build for $OS $ARCH, and the Deno-based agent needs Deno, which is not installed. Install Deno with \`npm install -g deno\` (or see https://deno.com), then run this line again."
    fi
    say "No build for this machine: using the Deno agent ($DENO)."
  fi
  expected=$(grep "  $file\$" "$tmp/SHA256SUMS" | cut -d' ' -f1)

  say "Downloading $file"
  fetch "$SERVER/downloads/$file" "$tmp/$file" || fail "cannot download $SERVER/downloads/$file."
  actual=$(sha256_of "$tmp/$file")
  if [ "$actual" != "$expected" ]; then
    fail "checksum mismatch for $file: expected $expected, got $actual. The download was corrupted or tampered with; nothing was installed."
  fi
  say "Checksum verified (SHA-256 $actual)"

  mkdir -p "$BIN_DIR"
  if [ "$file" = lattice-agent.js ]; then
    mkdir -p "$DATA_DIR"
    # Copied next to its final name, then renamed: a running agent keeps its old file intact.
    cp "$tmp/$file" "$DATA_DIR/.lattice-agent.js.new"
    mv -f "$DATA_DIR/.lattice-agent.js.new" "$DATA_DIR/lattice-agent.js"
    cat >"$tmp/lattice-agent" <<EOF
#!/bin/sh
# The Lattice agent (installed from $SERVER/install.sh): the Deno bundle, run with the agent's
# permissions. Re-run the installer to update it.
DENO='$DENO'
[ -x "\$DENO" ] || DENO=deno
exec "\$DENO" run --no-config --allow-net --allow-read --allow-write --allow-env --allow-run --allow-sys '$DATA_DIR/lattice-agent.js' "\$@"
EOF
  fi
  [ "$file" = lattice-agent.js ] || mv -f "$tmp/$file" "$tmp/lattice-agent"
  cp "$tmp/lattice-agent" "$BIN_DIR/.lattice-agent.new"
  chmod 755 "$BIN_DIR/.lattice-agent.new"
  mv -f "$BIN_DIR/.lattice-agent.new" "$AGENT"
  say "Installed $AGENT"
  case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *)
      say "Note: $BIN_DIR is not on your PATH. Add it with this line in ~/.profile (or your shell's rc file):"
      say "  export PATH=\"$BIN_DIR:\$PATH\""
      ;;
  esac

  if [ -n "$ONBOARD" ]; then
    # The other flags go to `onboard` (--state-dir, --port, --no-open).
    for arg in "$@"; do
      shift
      [ "$arg" = --onboard ] || set -- "$@" "$arg"
    done
    trap - EXIT
    rm -rf "$tmp"
    say "Opening the guided setup: it checks Docker, signs this machine in and sets what it shares."
    # The terminal, not the pipe this script came from: password prompts of the setup go there.
    if [ -r /dev/tty ] && (: </dev/tty) 2>/dev/null; then
      exec "$AGENT" onboard --server "$SERVER" "$@" </dev/tty
    fi
    exec "$AGENT" onboard --server "$SERVER" "$@" </dev/null
  fi

  say "Joining this machine to $SERVER"
  rc=0
  { "$AGENT" join --server "$SERVER" --keep-awake --service install "$@" </dev/null 2>&1 ||
    echo "$?" >"$tmp/join.rc"; } | tee "$tmp/join.out"
  [ -f "$tmp/join.rc" ] && rc=$(cat "$tmp/join.rc")
  if [ "$rc" != 0 ]; then
    if grep -q "already joined" "$tmp/join.out"; then
      say "This machine had already joined; making sure its agent runs."
    else
      fail "the join did not succeed (exit $rc; its message is above). The agent is installed; run this line again once the problem is fixed."
    fi
  fi
  ensure_running
  # The node runs its work in Docker: say plainly when Docker is not ready, and how to fix it.
  if ! "$AGENT" doctor --state-dir "$STATE" </dev/null >"$tmp/doctor.out" 2>&1 &&
    grep -q "^FAIL  Docker" "$tmp/doctor.out"; then
    say "Docker is not ready on this machine, so the node takes no work until it is:"
    grep -A1 "^FAIL  Docker" "$tmp/doctor.out" | grep -v "^--" | sed 's/^/  /'
    say "For a guided setup (it can install Docker for you), run: lattice-agent onboard"
    say "The agent keeps running and picks Docker up by itself once it answers."
    return 0
  fi
  say "Done: this machine is a Lattice node. Check it with: lattice-agent status"
}

main "$@"
