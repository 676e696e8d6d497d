/** The onboarding page's HTML (a string: the agent ships as one bundled file). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set up this machine · Lattice</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/app.css">
<script type="module" src="/app.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to the current step</a>
<header class="top"><h1>Set up this machine for Lattice</h1>
<p class="muted">Seven short steps. Everything stays on this computer until you join.</p></header>
<div class="layout">
<nav aria-label="Steps"><ol id="steps" class="steps"></ol></nav>
<main id="main" tabindex="-1">

<section data-step="system" aria-labelledby="h-system" hidden>
<h2 id="h-system">1. System check</h2>
<p>Lattice runs work in Docker containers. This checks the machine and Docker.</p>
<ul id="sys-list" class="checks" data-testid="system-checks"></ul>
<div id="docker-setup"></div>
<div class="actions"><button type="button" id="sys-recheck">Check again</button>
<button type="button" class="primary" data-next>Next</button></div>
</section>

<section data-step="signin" aria-labelledby="h-signin" hidden>
<h2 id="h-signin">2. Sign in</h2>
<p>Connect this machine to your Lattice control plane. You never type a password here: you
approve a short code on the dashboard instead.</p>
<p id="signin-joined" class="ok-box" hidden></p>
<div id="signin-form">
<label for="server-url">Control plane address</label>
<input id="server-url" type="url" inputmode="url" placeholder="https://lattice.example.com" autocomplete="url">
<div class="actions"><button type="button" class="primary" id="device-start">Get a code</button></div>
<div id="device-box" hidden>
<p>Your code:</p>
<p class="code" id="user-code" data-testid="user-code"></p>
<p><a id="device-link" class="button" target="_blank" rel="noopener">Open the dashboard to approve it</a></p>
<p class="muted">Sign in to the dashboard as an admin and approve the code there.</p>
</div>
<details id="token-box"><summary>Use a join token instead</summary>
<label for="join-token">Join token (from the dashboard's Join page)</label>
<input id="join-token" type="text" autocomplete="off" spellcheck="false">
<div class="actions"><button type="button" id="token-use">Use this token</button></div>
</details>
</div>
<p id="signin-status" role="status" data-testid="signin-status"></p>
<div class="actions"><button type="button" class="primary" data-next>Next</button></div>
</section>

<section data-step="machine" aria-labelledby="h-machine" hidden>
<h2 id="h-machine">3. This machine</h2>
<form id="machine-form" novalidate>
<label for="m-name">Name</label>
<input id="m-name" type="text" maxlength="100" required>
<p class="hint" id="m-fixed" hidden>The name and labels are fixed once the machine has joined.</p>
<fieldset><legend>Labels (optional)</legend>
<div id="labels"></div>
<button type="button" id="label-add">Add a label</button></fieldset>
<label for="m-cluster">Cluster (optional)</label>
<input id="m-cluster" type="text" maxlength="63" placeholder="lab-3" aria-describedby="m-cluster-hint">
<p class="hint" id="m-cluster-hint">Groups several machines into one named cluster.</p>
<p>Pool: <strong id="m-pool">chosen when it joins</strong> <span class="muted">(an admin can move it)</span></p>
<fieldset><legend>What it shares</legend>
<label for="m-cpu">Maximum CPU: <output id="m-cpu-out" for="m-cpu">100%</output></label>
<input id="m-cpu" type="range" min="1" max="100" step="1" value="100" aria-describedby="m-cpu-hint">
<p class="hint" id="m-cpu-hint"></p>
<label for="m-mem">Memory (GiB)</label>
<input id="m-mem" type="number" min="1" step="1" aria-describedby="m-mem-hint">
<p class="hint" id="m-mem-hint"></p>
<label for="m-disk">Disk (GiB)</label>
<input id="m-disk" type="number" min="1" step="1" aria-describedby="m-disk-hint">
<p class="hint" id="m-disk-hint"></p>
</fieldset>
<div class="actions"><button type="submit" class="primary" id="machine-save">Join and save</button></div>
</form>
<p id="machine-status" role="status" data-testid="machine-status"></p>
</section>

<section data-step="hours" aria-labelledby="h-hours" hidden>
<h2 id="h-hours">4. Computation hours</h2>
<p>New work starts only in the hours switched on. Click or drag across cells; with the keyboard,
move with the arrow keys and press Space.</p>
<div class="presets" role="group" aria-label="Presets" id="presets"></div>
<p class="legend" aria-hidden="true"><span class="on">takes work</span><span>off</span></p>
<div class="grid-wrap"><table class="grid" id="grid" aria-label="Weekly hours"></table></div>
<label for="h-tz">Time zone</label>
<input id="h-tz" type="text" spellcheck="false">
<div class="actions"><button type="button" class="primary" id="hours-save">Save hours</button></div>
<p id="hours-status" role="status" data-testid="hours-status"></p>
</section>

<section data-step="awake" aria-labelledby="h-awake" hidden>
<h2 id="h-awake">5. Keep awake</h2>
<p id="awake-explain"></p>
<label class="toggle"><input type="checkbox" id="awake-on"> Keep this machine awake during its computation hours</label>
<div class="actions"><button type="button" class="primary" id="awake-save">Save</button></div>
<p id="awake-status" role="status" data-testid="awake-status"></p>
</section>

<section data-step="background" aria-labelledby="h-background" hidden>
<h2 id="h-background">6. Run in the background</h2>
<p>The agent must run for this machine to take work.</p>
<h3>As a service (starts when you log in)</h3>
<p id="service-why" data-testid="service-why"></p>
<div class="actions" id="service-buttons">
<button type="button" data-service="install">Install</button>
<button type="button" data-service="start">Start</button>
<button type="button" data-service="stop">Stop</button>
<button type="button" data-service="uninstall">Uninstall</button></div>
<pre id="service-output" class="output" hidden></pre>
<h3>Or just for now</h3>
<p>Runs the agent until you stop it or restart the computer.</p>
<div class="actions"><button type="button" class="primary" id="bg-start">Start now</button>
<button type="button" id="bg-stop">Stop</button></div>
<p id="bg-status" role="status" data-testid="bg-status"></p>
</section>

<section data-step="status" aria-labelledby="h-status" hidden>
<h2 id="h-status">7. Status</h2>
<dl class="status" data-testid="status">
<dt>Connection</dt><dd id="st-conn">…</dd>
<dt>Approval</dt><dd id="st-approval">…</dd>
<dt>Rank</dt><dd id="st-rank">…</dd>
<dt>Agent</dt><dd id="st-agent">…</dd>
<dt>Running workloads</dt><dd id="st-work">…</dd>
</dl>
<h3>Recent problems</h3>
<ul id="st-problems" class="problems"></ul>
<div class="actions"><button type="button" class="primary" id="finish">Finish</button></div>
</section>

<section id="finished" hidden><h2>All set</h2><p>You can close this tab. The page has stopped;
run <code>lattice-agent onboard</code> again to change anything.</p></section>
</main>
</div>
<div id="live" class="sr-only" aria-live="polite"></div>
</body>
</html>
`;
