/** The onboarding page's styles: light and dark, phone width up. */
export const PAGE_CSS = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #5b6470; --line: #d5dae1;
  --accent: #1f5fd6; --accent-fg: #fff; --ok: #1a7f37; --bad: #c62828; --warn: #9a6700;
  --panel: #f5f7fa; --on: #2f7d4f; --off: #e6e9ee; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171c; --fg: #e8ebef; --muted: #a2abb7; --line: #343a44; --accent: #6ea0ff;
    --accent-fg: #0b1020; --ok: #4ac26b; --bad: #ff7b72; --warn: #d29922; --panel: #1c2027;
    --on: #3fa46a; --off: #2a3039; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
  background: var(--bg); color: var(--fg); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 2; }
.top { padding: 16px 20px 8px; border-bottom: 1px solid var(--line); }
.top h1 { margin: 0; font-size: 1.35rem; }
.muted, .hint { color: var(--muted); }
.hint { margin: 2px 0 10px; font-size: .9rem; }
.layout { display: grid; grid-template-columns: 230px minmax(0, 1fr); gap: 24px; padding: 20px;
  max-width: 1100px; margin: 0 auto; }
.steps { list-style: none; margin: 0; padding: 0; position: sticky; top: 12px; }
.steps li { margin: 0 0 4px; }
.steps button { width: 100%; text-align: left; display: flex; gap: 10px; align-items: center;
  border: 1px solid transparent; background: none; color: var(--fg); padding: 8px 10px;
  border-radius: 8px; font: inherit; cursor: pointer; }
.steps button[aria-current="step"] { border-color: var(--accent); background: var(--panel); }
.steps .mark { display: inline-grid; place-items: center; width: 24px; height: 24px;
  border-radius: 50%; border: 2px solid var(--line); font-size: .8rem; flex: none; }
.steps .done .mark { background: var(--ok); border-color: var(--ok); color: #fff; }
.steps .error .mark { background: var(--bad); border-color: var(--bad); color: #fff; }
main { min-width: 0; outline: none; }
main h2 { margin-top: 0; }
label { display: block; font-weight: 600; margin: 12px 0 4px; }
label.toggle { display: flex; gap: 10px; align-items: center; font-weight: 400; }
input[type=text], input[type=url], input[type=number] { width: 100%; max-width: 420px;
  padding: 8px 10px; border: 1px solid var(--line); border-radius: 6px; font: inherit;
  background: var(--bg); color: var(--fg); }
input[type=range] { width: 100%; max-width: 420px; }
input[type=checkbox] { width: 20px; height: 20px; }
fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 16px 0; padding: 8px 14px 14px; }
legend { font-weight: 600; padding: 0 4px; }
button, .button { font: inherit; padding: 8px 14px; border-radius: 6px; border: 1px solid var(--line);
  background: var(--panel); color: var(--fg); cursor: pointer; text-decoration: none;
  display: inline-block; }
button.primary, .button { background: var(--accent); border-color: var(--accent); color: var(--accent-fg); }
button:disabled { opacity: .55; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 14px 0; }
.checks { list-style: none; padding: 0; margin: 0; }
.checks li { display: grid; grid-template-columns: 28px 1fr; gap: 4px 8px; padding: 8px 0;
  border-bottom: 1px solid var(--line); }
.checks .icon { font-weight: 700; }
.checks .ok .icon { color: var(--ok); }
.checks .bad .icon { color: var(--bad); }
.checks .warn .icon { color: var(--warn); }
.checks .fix { grid-column: 2; color: var(--fg); background: var(--panel); padding: 6px 10px;
  border-radius: 6px; }
.code { font: 700 2.4rem/1.2 ui-monospace, monospace; letter-spacing: .12em; margin: 4px 0 12px; }
.ok-box { border-left: 4px solid var(--ok); background: var(--panel); padding: 8px 12px; }
.error-text { color: var(--bad); }
.output { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px;
  max-height: 320px; overflow: auto; white-space: pre-wrap; word-break: break-word;
  font: .85rem/1.4 ui-monospace, monospace; }
.cmd { font: .9rem ui-monospace, monospace; background: var(--panel); padding: 2px 6px; border-radius: 4px; }
.label-row { display: flex; gap: 6px; margin-bottom: 6px; align-items: center; }
.label-row input { flex: 1; min-width: 0; }
.presets { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 10px; }
.grid-wrap { overflow-x: auto; padding-bottom: 6px; }
.grid { border-collapse: separate; border-spacing: 2px; user-select: none; touch-action: none; }
.grid th { font: 600 .7rem system-ui, sans-serif; color: var(--muted); padding: 0 2px; }
.grid th[scope=row] { text-align: right; padding-right: 6px; }
.grid td { padding: 0; }
.grid button { width: 22px; height: 26px; padding: 0; border: 0; border-radius: 3px;
  background: var(--off); display: block; }
.grid button[aria-pressed=true] { background: var(--on); }
.legend { display: flex; gap: 14px; font-size: .85rem; color: var(--muted); margin: 4px 0 8px; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 12px;
  border-radius: 2px; margin-right: 5px; vertical-align: -1px; background: var(--off); }
.legend .on::before { background: var(--on); }
.status { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; }
.status dt { font-weight: 600; }
.status dd { margin: 0; }
.problems { padding-left: 18px; }
.problems .tip { color: var(--muted); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media (max-width: 720px) {
  .layout { grid-template-columns: minmax(0, 1fr); padding: 12px; gap: 12px; }
  nav { min-width: 0; }
  .steps { position: static; display: flex; flex-wrap: wrap; gap: 4px; }
  .steps li { margin: 0; flex: none; }
  .steps .label { display: none; }
  .steps button[aria-current="step"] .label { display: inline; }
  .grid { border-spacing: 1px; }
  .grid button { width: 12px; height: 24px; border-radius: 2px; }
  .grid th { font-size: .6rem; padding: 0; }
  .code { font-size: 2rem; }
}
`;
