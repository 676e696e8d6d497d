/** The onboarding page's script: vanilla JS, served as /app.js (no inline scripts under the CSP). */
// deno-fmt-ignore-file
export const PAGE_JS = String.raw`"use strict";
const STEPS = [
  ["system", "System check"],
  ["signin", "Sign in"],
  ["machine", "This machine"],
  ["hours", "Computation hours"],
  ["awake", "Keep awake"],
  ["background", "Run in the background"],
  ["status", "Status"],
];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const $ = (id) => document.getElementById(id);
let state = null;
let current = null;
const errors = {};
let grid = null;
let statusTimer = null;
let signinTimer = null;
let installTimer = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function say(text) {
  $("live").textContent = text;
}

function setStatus(id, text, bad) {
  const node = $(id);
  node.textContent = text || "";
  node.classList.toggle("error-text", !!bad);
}

async function api(path, body) {
  const init = body === undefined
    ? {}
    : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  let res;
  try {
    res = await fetch("/api/" + path, init);
  } catch (err) {
    throw new Error("The agent stopped answering. Is lattice-agent onboard still running?");
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = new Error((data && data.error && data.error.message) || ("Error " + res.status));
    e.code = data && data.error && data.error.code;
    throw e;
  }
  return data;
}

function gib(bytes) {
  return (bytes / 1024 ** 3).toFixed(1) + " GiB";
}

// ---------------------------------------------------------------- progress list

function drawSteps() {
  const list = $("steps");
  list.replaceChildren();
  STEPS.forEach(([id, label], i) => {
    const done = state && state.progress[id] === true;
    const error = errors[id];
    const cls = error ? "error" : done ? "done" : "";
    const mark = error ? "!" : done ? "✓" : String(i + 1);
    const stateText = error ? " (needs attention)" : done ? " (done)" : "";
    list.append(el("li", { class: cls },
      el("button", {
        type: "button",
        "aria-current": current === id ? "step" : null,
        onclick: () => show(id, true),
      }, el("span", { class: "mark", "aria-hidden": "true" }, mark),
        el("span", { class: "label" }, label),
        el("span", { class: "sr-only" }, stateText))));
  });
}

function show(id, focus) {
  current = id;
  for (const s of document.querySelectorAll("main section[data-step]")) {
    s.hidden = s.dataset.step !== id;
  }
  drawSteps();
  if (focus) $("h-" + id).setAttribute("tabindex", "-1"), $("h-" + id).focus();
  clearInterval(statusTimer);
  if (id === "system") runSystemCheck();
  if (id === "signin") drawSignIn();
  if (id === "machine") drawMachine();
  if (id === "hours") drawHours();
  if (id === "awake") drawAwake();
  if (id === "background") drawBackground();
  if (id === "status") {
    pollStatus();
    statusTimer = setInterval(pollStatus, 2000);
  }
}

function next() {
  const i = STEPS.findIndex(([id]) => id === current);
  if (i >= 0 && i < STEPS.length - 1) show(STEPS[i + 1][0], true);
}

async function refresh() {
  state = await api("state");
  drawSteps();
}

// ---------------------------------------------------------------- 1. system check

function check(ok, title, detail, fix, level) {
  const cls = ok ? "ok" : level || "bad";
  return el("li", { class: cls },
    el("span", { class: "icon", "aria-hidden": "true" }, ok ? "✓" : cls === "warn" ? "!" : "✗"),
    el("span", {}, el("strong", {}, title + ": "), detail,
      el("span", { class: "sr-only" }, ok ? " (ok)" : " (problem)")),
    fix ? el("span", { class: "fix" }, fix) : null);
}

async function runSystemCheck() {
  const list = $("sys-list");
  list.replaceChildren(el("li", {}, el("span"), "Checking…"));
  say("Checking this machine…");
  let r;
  try {
    r = await api("system");
  } catch (err) {
    list.replaceChildren(check(false, "Check", err.message));
    return;
  }
  const d = r.docker;
  const items = [
    check(true, "System", r.osName + " (" + r.os + ", " + r.arch + ")"),
    check(true, "CPU", r.cpu.cores + " cores" + (r.cpu.model && r.cpu.model !== "unknown" ? ", " + r.cpu.model : "")),
    check(true, "Memory", gib(r.memoryBytes)),
    check(!r.diskLow, "Disk", r.disk.totalBytes
      ? gib(r.disk.freeBytes) + " free of " + gib(r.disk.totalBytes)
      : "unknown", r.diskLow ? "Less than 5 GiB free: free some space for container images." : null,
      "warn"),
    check(true, "GPUs", r.gpus.length
      ? r.gpus.map((g) => g.model + " (" + gib(g.memoryBytes) + ")").join(", ")
      : "none found (that is fine)"),
    check(d.installed, "Docker installed", d.installed ? (d.version ? "yes, " + d.version : "yes") : "no",
      d.problem === "missing" ? d.fix : null),
    check(d.running, "Docker running", d.running ? "yes" : "no", d.problem === "stopped" ? d.fix : null),
    check(d.permitted, "Docker permitted", d.permitted ? "this user may use Docker" : "no",
      d.problem === "permission" ? d.fix : null),
    check(d.problem !== "too_old" && !!d.apiVersion, "Docker API",
      d.apiVersion ? "version " + d.apiVersion : "unknown", d.problem === "too_old" ? d.fix : null),
  ];
  list.replaceChildren(...items);
  errors.system = !r.ready;
  state.progress.system = r.ready;
  drawSteps();
  drawDockerSetup(d);
  say(r.ready ? "Docker is ready." : "Docker needs attention: " + d.fix);
}

function drawDockerSetup(d) {
  const box = $("docker-setup");
  box.replaceChildren();
  const setup = d.setup;
  if (!setup) return;
  if (setup.kind === "manual") {
    box.append(el("h3", {}, setup.title),
      el("ol", {}, ...setup.instructions.map((t) => el("li", {}, t))),
      el("p", {}, ...setup.links.flatMap((l) => [
        el("a", { href: l.url, target: "_blank", rel: "noopener" }, l.label), " ",
      ])));
    return;
  }
  const consent = el("input", { type: "checkbox", id: "install-consent" });
  const go = el("button", { type: "button", class: "primary", disabled: true }, "Install Docker");
  consent.addEventListener("change", () => (go.disabled = !consent.checked));
  const out = el("pre", { class: "output", id: "install-output", "aria-live": "polite", hidden: true });
  go.addEventListener("click", async () => {
    go.disabled = true;
    try {
      await api("docker-install", { consent: true });
      out.hidden = false;
      say("Installing Docker. sudo may ask for your password in the terminal.");
      pollInstall(setup, out, go);
    } catch (err) {
      out.hidden = false;
      out.textContent = err.message;
      go.disabled = false;
    }
  });
  box.append(el("h3", {}, "Install Docker (" + setup.distro + ")"),
    el("p", {}, "Lattice can run these commands for you. sudo may ask for your password in the " +
      "terminal where you started lattice-agent onboard."),
    el("ol", {}, ...setup.steps.map((s) =>
      el("li", {}, el("code", { class: "cmd" }, s.command.join(" ")), " — ", s.why))),
    el("label", { class: "toggle" }, consent, "I allow Lattice to run these commands with sudo"),
    el("div", { class: "actions" }, go),
    out,
    el("p", { class: "hint" }, setup.after));
}

function pollInstall(setup, out, go) {
  clearInterval(installTimer);
  installTimer = setInterval(async () => {
    let p;
    try {
      p = await api("docker-install");
    } catch (err) {
      out.textContent += "\n" + err.message;
      clearInterval(installTimer);
      return;
    }
    const text = [];
    let last = -2;
    for (const l of p.lines) {
      if (l.step !== last && setup.steps[l.step]) text.push("$ " + setup.steps[l.step].command.join(" "));
      last = l.step;
      text.push(l.line);
    }
    out.textContent = text.join("\n");
    out.scrollTop = out.scrollHeight;
    if (!p.running && p.result) {
      clearInterval(installTimer);
      if (p.result.ok) {
        say("Docker is installed. Checking again.");
        runSystemCheck();
      } else {
        out.textContent += "\n\nThis command failed (exit " + p.result.code + "). Read the output above; " +
          "you can run the commands yourself in a terminal, then press Check again.";
        go.disabled = false;
        say("The install failed.");
      }
    }
  }, 1000);
}

// ---------------------------------------------------------------- 2. sign in

async function drawSignIn() {
  const url = $("server-url");
  if (!url.value && state.serverUrl) url.value = state.serverUrl;
  // Given with --server (or already joined): shown, not edited.
  url.readOnly = !!state.serverUrlFixed;
  await updateSignIn();
}

async function updateSignIn() {
  const s = await api("signin");
  $("signin-joined").hidden = s.status !== "joined";
  $("signin-form").hidden = s.status === "joined";
  if (s.status === "joined") {
    $("signin-joined").textContent = "This machine has joined " + s.serverUrl + ".";
  }
  const box = $("device-box");
  if (s.method === "device" && s.userCode && (s.status === "waiting" || s.status === "ready")) {
    box.hidden = false;
    $("user-code").textContent = s.userCode;
    $("device-link").href = s.verificationUriComplete;
  } else box.hidden = true;
  if (s.status === "waiting") setStatus("signin-status", "Waiting for approval…");
  else if (s.status === "ready") setStatus("signin-status", s.message || "Signed in.");
  else if (s.status === "failed") setStatus("signin-status", s.message, true);
  else if (s.status === "joined") setStatus("signin-status", "");
  errors.signin = s.status === "failed";
  const wasReady = state.progress.signin;
  state.progress.signin = s.status === "ready" || s.status === "joined";
  drawSteps();
  clearTimeout(signinTimer);
  if (s.status === "waiting") signinTimer = setTimeout(updateSignIn, 2000);
  if (s.status === "ready" && !wasReady) say("Approved. Continue with This machine.");
}

async function startDevice() {
  setStatus("signin-status", "Asking the control plane for a code…");
  try {
    await api("signin/device", { serverUrl: $("server-url").value });
    await updateSignIn();
    say("Your code is " + $("user-code").textContent + ". Approve it on the dashboard.");
  } catch (err) {
    setStatus("signin-status", err.message, true);
  }
}

async function useToken() {
  try {
    await api("signin/token", { serverUrl: $("server-url").value, token: $("join-token").value });
    await updateSignIn();
  } catch (err) {
    setStatus("signin-status", err.message, true);
  }
}

// ---------------------------------------------------------------- 3. this machine

function labelRow(key, value) {
  const n = document.querySelectorAll(".label-row").length + 1;
  const row = el("div", { class: "label-row" },
    el("input", { type: "text", "aria-label": "Label " + n + " key", placeholder: "key", value: key || "" }),
    el("span", { "aria-hidden": "true" }, "="),
    el("input", { type: "text", "aria-label": "Label " + n + " value", placeholder: "value", value: value || "" }),
    el("button", { type: "button", "aria-label": "Remove label " + n }, "✕"));
  row.querySelector("button").addEventListener("click", () => row.remove());
  return row;
}

function drawMachine() {
  const joined = state.joined;
  const s = state.settings || {};
  const offer = s.offer || {};
  const m = state.machine;
  $("m-name").value = $("m-name").value || (joined ? joined.name : state.hostname);
  $("m-name").readOnly = !!joined;
  $("m-fixed").hidden = !joined;
  const labels = $("labels");
  if (!labels.dataset.drawn) {
    labels.dataset.drawn = "1";
    for (const [k, v] of Object.entries(joined ? joined.labels : {})) labels.append(labelRow(k, v));
  }
  for (const input of labels.querySelectorAll("input, button")) input.disabled = !!joined;
  $("label-add").disabled = !!joined;
  $("m-cluster").value = $("m-cluster").value || s.cluster || "";
  $("m-pool").textContent = joined ? (joined.poolName || "see the dashboard") : "chosen when it joins";
  const cpu = $("m-cpu");
  if (!cpu.dataset.drawn) {
    cpu.dataset.drawn = "1";
    cpu.value = offer.cpuPercent || 100;
    $("m-mem").value = offer.memoryMiB ? Math.floor(offer.memoryMiB / 1024) : "";
    $("m-disk").value = offer.diskGiB || "";
  }
  cpuLabel();
  $("m-mem").max = Math.max(1, Math.floor(m.memoryBytes / 1024 ** 3));
  $("m-mem-hint").textContent = "This machine has " + gib(m.memoryBytes) + ". Empty: no limit.";
  $("m-disk-hint").textContent = (m.disk.totalBytes
    ? gib(m.disk.freeBytes) + " free of " + gib(m.disk.totalBytes) + ". "
    : "") + "Empty: no limit.";
  $("machine-save").textContent = joined ? "Save" : "Join and save";
}

function cpuLabel() {
  const v = Number($("m-cpu").value);
  $("m-cpu-out").textContent = v + "%";
  const cores = state ? state.machine.cpuCores : 1;
  $("m-cpu-hint").textContent = "About " + Math.max(1, Math.round(cores * v / 100) ) + " of " + cores + " cores.";
}

async function saveMachine(e) {
  e.preventDefault();
  const labels = {};
  for (const row of document.querySelectorAll(".label-row")) {
    const [k, v] = row.querySelectorAll("input");
    if (k.value.trim()) labels[k.value.trim()] = v.value.trim();
  }
  const num = (id) => ($(id).value === "" ? null : Math.floor(Number($(id).value)));
  const mem = num("m-mem");
  const body = {
    name: $("m-name").value,
    labels,
    cluster: $("m-cluster").value.trim(),
    offer: { cpuPercent: Number($("m-cpu").value), memoryMiB: mem === null ? null : mem * 1024, diskGiB: num("m-disk") },
  };
  $("machine-save").disabled = true;
  setStatus("machine-status", state.joined ? "Saving…" : "Joining…");
  try {
    const r = await api("machine", body);
    errors.machine = false;
    await refresh();
    drawMachine();
    if (r.poolName) $("m-pool").textContent = r.poolName;
    setStatus("machine-status", r.note);
    say(r.note);
  } catch (err) {
    errors.machine = true;
    setStatus("machine-status", err.message, true);
    drawSteps();
  } finally {
    $("machine-save").disabled = false;
  }
}

// ---------------------------------------------------------------- 4. hours

function drawHours() {
  if (!grid) grid = state.grid.map((row) => row.slice());
  $("h-tz").value = $("h-tz").value || state.timezone;
  const presets = $("presets");
  presets.replaceChildren(...state.presets.map((p) =>
    el("button", {
      type: "button",
      onclick: () => {
        grid = p.grid.map((row) => row.slice());
        drawGrid();
        say("Preset " + p.label + " applied; press Save hours to keep it.");
      },
    }, p.label)));
  drawGrid();
}

let dragValue = null;
let focusCell = [1, 9];

function drawGrid() {
  const table = $("grid");
  const head = el("tr", {}, el("th", { scope: "col" }, el("span", { class: "sr-only" }, "Day")));
  for (let h = 0; h < 24; h++) head.append(el("th", { scope: "col" }, h % 3 === 0 ? String(h) : ""));
  const rows = [el("thead", {}, head)];
  const body = el("tbody");
  for (let d = 0; d < 7; d++) {
    const tr = el("tr", {}, el("th", { scope: "row" }, DAYS[d]));
    for (let h = 0; h < 24; h++) {
      const on = grid[d][h];
      const focus = focusCell[0] === d && focusCell[1] === h;
      const b = el("button", {
        type: "button",
        "aria-pressed": on ? "true" : "false",
        "aria-label": DAYS[d] + " " + String(h).padStart(2, "0") + ":00",
        tabindex: focus ? "0" : "-1",
        "data-day": d,
        "data-hour": h,
      });
      tr.append(el("td", {}, b));
    }
    body.append(tr);
  }
  rows.push(body);
  table.replaceChildren(...rows);
}

function setCell(d, h, value) {
  grid[d][h] = value;
  const b = document.querySelector('#grid button[data-day="' + d + '"][data-hour="' + h + '"]');
  if (b) b.setAttribute("aria-pressed", value ? "true" : "false");
}

function gridEvents() {
  const table = $("grid");
  const cellOf = (t) => (t && t.dataset && t.dataset.day !== undefined ? [Number(t.dataset.day), Number(t.dataset.hour)] : null);
  table.addEventListener("pointerdown", (e) => {
    const c = cellOf(e.target);
    if (!c) return;
    e.preventDefault();
    dragValue = !grid[c[0]][c[1]];
    setCell(c[0], c[1], dragValue);
    moveFocus(c[0], c[1], false);
  });
  table.addEventListener("pointerover", (e) => {
    if (dragValue === null) return;
    const c = cellOf(e.target);
    if (c) setCell(c[0], c[1], dragValue);
  });
  document.addEventListener("pointerup", () => (dragValue = null));
  table.addEventListener("click", (e) => {
    // Keyboard "click" (Enter/Space) has detail 0; pointer clicks were handled on pointerdown.
    const c = cellOf(e.target);
    if (c && e.detail === 0) setCell(c[0], c[1], !grid[c[0]][c[1]]);
  });
  table.addEventListener("keydown", (e) => {
    const c = cellOf(e.target);
    if (!c) return;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    moveFocus(Math.min(6, Math.max(0, c[0] + m[0])), Math.min(23, Math.max(0, c[1] + m[1])), true);
  });
}

function moveFocus(d, h, focus) {
  const old = document.querySelector('#grid button[tabindex="0"]');
  if (old) old.setAttribute("tabindex", "-1");
  focusCell = [d, h];
  const b = document.querySelector('#grid button[data-day="' + d + '"][data-hour="' + h + '"]');
  if (b) {
    b.setAttribute("tabindex", "0");
    if (focus) b.focus();
  }
}

async function saveHours() {
  try {
    const r = await api("hours", { grid, timezone: $("h-tz").value.trim() });
    setStatus("hours-status", r.note);
    errors.hours = false;
    await refresh();
    say(r.note);
  } catch (err) {
    errors.hours = true;
    setStatus("hours-status", err.message, true);
    drawSteps();
  }
}

// ---------------------------------------------------------------- 5. keep awake

function drawAwake() {
  const tool = state.keepAwakeTool;
  $("awake-explain").textContent = tool
    ? "While its computation hours last, Lattice stops this computer from going to sleep, so " +
      "work is not interrupted (using " + tool + "). Outside the hours it sleeps as usual. The " +
      "screen may still turn off."
    : "This system has no known way to keep it awake; the setting is saved but has no effect.";
  $("awake-on").checked = !!(state.settings && state.settings.keepAwake);
}

async function saveAwake() {
  try {
    const r = await api("keep-awake", { enabled: $("awake-on").checked });
    setStatus("awake-status", r.note);
    errors.awake = false;
    await refresh();
    say(r.note);
  } catch (err) {
    errors.awake = true;
    setStatus("awake-status", err.message, true);
    drawSteps();
  }
}

// ---------------------------------------------------------------- 6. background

async function drawBackground() {
  const b = state.background;
  setStatus("bg-status", b.pid ? "The agent is running (pid " + b.pid + ")." : "");
  $("service-why").textContent = "Checking whether a background service can be used here…";
  try {
    const s = await api("service");
    $("service-why").textContent = s.available
      ? "Installs a user-level service that starts the agent whenever you log in."
      : "The background service cannot be used here: " + s.reason + " Use “Start now” below instead.";
    for (const btn of document.querySelectorAll("[data-service]")) btn.disabled = !s.available;
  } catch (err) {
    $("service-why").textContent = err.message;
  }
}

async function service(action) {
  const out = $("service-output");
  out.hidden = false;
  out.textContent = "Running " + action + "…";
  try {
    const r = await api("service", { action });
    out.textContent = r.output.join("\n") || (r.ok ? "Done." : "Failed.");
    await refresh();
    say(r.ok ? "Service " + action + " done." : "Service " + action + " failed.");
  } catch (err) {
    out.textContent = err.message;
  }
}

async function background(action) {
  try {
    const r = await api("background", { action });
    setStatus("bg-status", r.note);
    errors.background = false;
    await refresh();
    say(r.note);
  } catch (err) {
    errors.background = true;
    setStatus("bg-status", err.message, true);
    drawSteps();
  }
}

// ---------------------------------------------------------------- 7. status

async function pollStatus() {
  let s;
  try {
    s = await api("status");
  } catch (err) {
    $("st-conn").textContent = err.message;
    return;
  }
  const conn = $("st-conn");
  const approval = $("st-approval");
  if (!s.joined) {
    conn.textContent = "Not joined yet: finish steps 2 and 3.";
  } else if (s.serverError) {
    conn.textContent = "Cannot ask the control plane: " + s.serverError;
  } else {
    conn.textContent = s.status === "online" ? "Online" : s.status === "offline"
      ? "Offline: the agent is not connected" + (s.agentRunning ? " yet" : " (start it in step 6)")
      : "Not connected yet";
  }
  conn.dataset.state = s.status || "unknown";
  approval.replaceChildren();
  if (s.approval === "pending") {
    approval.append("Waiting for an admin to approve it. ",
      el("a", { href: s.approvalsUrl, target: "_blank", rel: "noopener" }, "Open Approvals"));
  } else if (s.approval) {
    approval.append(s.approval === "approved" ? "Approved" : s.approval +
      (s.approvalReason ? ": " + s.approvalReason : ""));
  } else approval.append("—");
  approval.dataset.state = s.approval || "unknown";
  $("st-rank").textContent = s.rank === null || s.rank === undefined
    ? (s.joined ? "Not ranked yet: ranks come from uptime and finished work over days" : "—")
    : s.rank + " of 1000";
  $("st-agent").textContent = s.agentRunning ? "Running on this machine" : "Not started from this page";
  $("st-work").textContent = s.workloads === null ? "unknown (Docker: " + s.dockerError + ")" : String(s.workloads);
  const list = $("st-problems");
  list.replaceChildren(...(s.problems.length ? s.problems.slice().reverse().map((p) =>
    el("li", {}, el("span", {}, (p.time ? p.time.slice(11, 19) + " " : "") + p.message),
      p.tip ? el("div", { class: "tip" }, "Tip: " + p.tip) : null)) : [el("li", {}, "None.")]));
  const online = s.status === "online" && s.approval === "approved";
  if (state.progress.status !== online) {
    state.progress.status = online;
    drawSteps();
    if (online) say("This machine is online and approved.");
  }
}

async function finish() {
  clearInterval(statusTimer);
  try {
    await api("finish", {});
  } catch {
    // it may already be gone
  }
  for (const s of document.querySelectorAll("main section[data-step]")) s.hidden = true;
  $("finished").hidden = false;
  $("steps").replaceChildren();
}

// ---------------------------------------------------------------- start

function firstUndone() {
  const p = state.progress;
  if (!p.signin) return "system";
  if (!state.joined) return "machine";
  for (const id of ["machine", "hours", "awake", "background"]) if (!p[id]) return id;
  return "status";
}

async function start() {
  for (const b of document.querySelectorAll("[data-next]")) b.addEventListener("click", next);
  $("sys-recheck").addEventListener("click", runSystemCheck);
  $("device-start").addEventListener("click", startDevice);
  $("token-use").addEventListener("click", useToken);
  $("label-add").addEventListener("click", () => $("labels").append(labelRow("", "")));
  $("machine-form").addEventListener("submit", saveMachine);
  $("m-cpu").addEventListener("input", cpuLabel);
  $("hours-save").addEventListener("click", saveHours);
  $("awake-save").addEventListener("click", saveAwake);
  for (const b of document.querySelectorAll("[data-service]")) {
    b.addEventListener("click", () => service(b.dataset.service));
  }
  $("bg-start").addEventListener("click", () => background("start"));
  $("bg-stop").addEventListener("click", () => background("stop"));
  $("finish").addEventListener("click", finish);
  gridEvents();
  try {
    await refresh();
  } catch (err) {
    document.body.prepend(el("p", { class: "error-text", role: "alert" }, err.message));
    return;
  }
  show(firstUndone(), false);
}

start();
`;
