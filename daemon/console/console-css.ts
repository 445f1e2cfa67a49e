/**
 * The console's style sheet, as a string module (served as /console/console.css). System fonts, a
 * light and a dark palette (`prefers-color-scheme`), a visible focus ring, and a layout that
 * reads at 1280×800 and folds to one column on a phone (390 px).
 */
export const CONSOLE_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1b1f24; --muted: #5a6472; --line: #d5dae1;
  --accent: #0b5cad; --accent-text: #ffffff; --danger: #b3261e; --ok: #1d7a3a; --warn: #8a5a00;
  --focus: #f0a000; --code: #eef1f5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  font-size: 15px; line-height: 1.45;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --panel: #1a1f25; --text: #e6e9ee; --muted: #9aa5b3; --line: #2e3640;
    --accent: #5aa2f0; --accent-text: #0c1117; --danger: #ff8a80; --ok: #7bd88f; --warn: #f3c969;
    --focus: #ffd166; --code: #232a33;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--panel); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .92em; }
pre { background: var(--code); padding: .75rem; overflow: auto; border-radius: 4px; white-space: pre-wrap; word-break: break-all; }
.shell { display: grid; grid-template-columns: 13rem minmax(0, 1fr); grid-template-rows: auto 1fr; min-height: 100vh; }
.content { min-width: 0; }
header.top { grid-column: 1 / -1; display: flex; align-items: center; gap: 1rem; padding: .6rem 1rem; background: var(--panel); border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header.top .brand { font-weight: 700; font-size: 1.1rem; margin-right: auto; }
header.top .who { color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
nav.side { background: var(--panel); border-right: 1px solid var(--line); padding: .5rem 0; }
nav.side ul { list-style: none; margin: 0; padding: 0; }
nav.side a { display: block; padding: .45rem 1rem; text-decoration: none; color: var(--text); }
nav.side a[aria-current="page"] { background: var(--bg); border-left: 3px solid var(--accent); font-weight: 600; }
main { padding: 1rem 1.25rem 3rem; min-width: 0; }
main:focus { outline: none; }
h1 { font-size: 1.4rem; margin: .2rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
section.card > h2:first-child { margin-top: 0; }
section.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; background: var(--panel); }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; overflow-wrap: normal; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
dl.details { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
dl.details dt { color: var(--muted); }
dl.details dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .82rem; border: 1px solid currentColor; white-space: nowrap; }
.badge.ok { color: var(--ok); } .badge.off { color: var(--muted); } .badge.warn { color: var(--warn); } .badge.bad { color: var(--danger); }
button, .button { font: inherit; padding: .4rem .9rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); cursor: pointer; }
button.secondary { background: transparent; color: var(--accent); }
button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
button:disabled { opacity: .55; cursor: not-allowed; }
.actions { display: flex; gap: .5rem; flex-wrap: wrap; margin: .5rem 0 1rem; }
form.filters { display: flex; gap: .75rem; flex-wrap: wrap; align-items: flex-end; margin: 0 0 1rem; }
label { display: flex; flex-direction: column; gap: .2rem; font-size: .88rem; color: var(--muted); }
input, select, textarea { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: .35rem .5rem; }
textarea { width: 100%; min-height: 7rem; font-family: ui-monospace, Menlo, Consolas, monospace; }
.pager { display: flex; gap: .5rem; align-items: center; margin: .75rem 0; }
.notice { padding: .6rem .9rem; border-radius: 4px; margin: 0 0 1rem; border: 1px solid var(--line); background: var(--panel); }
.notice.error { border-color: var(--danger); color: var(--danger); }
.notice.ok { border-color: var(--ok); color: var(--ok); }
.muted { color: var(--muted); }
.tool { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.tool [role="tabpanel"] { min-width: 0; }
[role="tablist"] { display: flex; gap: .25rem; margin-bottom: .5rem; }
[role="tab"] { background: transparent; color: var(--text); border: 1px solid var(--line); }
[role="tab"][aria-selected="true"] { background: var(--accent); color: var(--accent-text); border-color: var(--accent); }
.count { font-size: .82rem; color: var(--muted); }
.chart svg { width: 100%; height: auto; max-height: 220px; display: block; }
.chart .bar { fill: var(--accent); }
.chart .axis { stroke: var(--line); }
.chart text { fill: var(--muted); font-size: 11px; }
.timeline { list-style: none; padding: 0; margin: 0; border-left: 2px solid var(--line); }
.timeline li { padding: .2rem 0 .6rem 1rem; position: relative; }
.timeline li::before { content: ""; position: absolute; left: -6px; top: .55rem; width: 10px; height: 10px; border-radius: 50%; background: var(--accent); }
.stage-timeline svg { width: auto; max-width: 100%; margin-bottom: .5rem; }
.stage-timeline text { font-size: 13px; }
.stage-timeline text.version { fill: var(--text); font-weight: 600; }
.stage-timeline text.stage.system { fill: var(--accent); }
.secret-value pre { margin: .4rem 0 0; }
pre.plan { white-space: pre; word-break: normal; max-height: 36rem; }
pre.plan .plan-add { color: var(--ok); }
pre.plan .plan-destroy { color: var(--danger); }
pre.plan .plan-change, pre.plan .plan-replace { color: var(--warn); }
pre.plan .plan-note { color: var(--muted); }
dialog { border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: var(--text); max-width: 32rem; }
dialog::backdrop { background: rgb(0 0 0 / .4); }
.signed-out { max-width: 36rem; margin: 4rem auto; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 1.5rem; }
@media (max-width: 720px) {
  .shell { grid-template-columns: minmax(0, 1fr); grid-template-rows: auto auto 1fr; }
  nav.side { border-right: 0; border-bottom: 1px solid var(--line); }
  nav.side ul { display: flex; flex-wrap: wrap; }
  nav.side a { padding: .4rem .7rem; }
  nav.side a[aria-current="page"] { border-left: 0; border-bottom: 3px solid var(--accent); }
  main { padding: .75rem; }
  .tool { grid-template-columns: 1fr; }
  dl.details { grid-template-columns: 1fr; }
  dl.details dt { margin-top: .4rem; }
}
`;
