/**
 * The dashboard's page and style sheet, served as they are (GET /api/dashboard, /api/dashboard/app.css). Static:
 * no data, no secret and no script is ever written into them; the script (app.js, from client.ts) fills the page
 * through the API with DOM text nodes only.
 */
import { ROUTE_PREFIX } from '../openapi-document';

const STATES = ['Pending', 'InProgress', 'Succeeded', 'Failed'] as const;
const TYPES = ['SfbToTeams', 'TeamsToTeams', 'AllToTeams', 'ToSameType', 'SfbToSfb'] as const;

const options = (values: readonly string[]) =>
  values.map((v) => `<option value="${v}">${v}</option>`).join('');

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Meeting Migration Service</title>
<link rel="stylesheet" href="/${ROUTE_PREFIX}/dashboard/app.css">
<script src="/${ROUTE_PREFIX}/dashboard/app.js" defer></script>
</head>
<body>
<a class="skip" href="#users-heading">Skip to the users</a>
<header>
  <h1>Meeting Migration Service</h1>
  <p id="key-state" hidden>Function key set for this tab. <button type="button" id="forget-key">Forget the key</button></p>
</header>
<div id="error" role="alert" hidden></div>

<section id="key-section" aria-labelledby="key-heading" hidden>
  <h2 id="key-heading">Function key</h2>
  <p>The dashboard calls the service's API with its function key. It is kept in this tab only (sessionStorage) and
  sent as the <code>x-functions-key</code> header, never in an address. You can also open the page with
  <code>#key=…</code> after its address.</p>
  <form id="key-form">
    <label for="key-input">Function key</label>
    <input id="key-input" name="key" type="password" autocomplete="off" required>
    <button type="submit">Use this key</button>
  </form>
</section>

<main id="main" hidden>
  <section aria-labelledby="summary-heading">
    <h2 id="summary-heading">Migrations by state</h2>
    <ul id="summary" class="summary"></ul>
    <p id="refresh-status" role="status"></p>
  </section>

  <section aria-labelledby="start-heading">
    <h2 id="start-heading">Preview or start a user's migration</h2>
    <form id="start-form">
      <label for="start-identity">User (UPN or object id)</label>
      <input id="start-identity" name="identity" type="text" required autocomplete="off" spellcheck="false">
      <label for="start-source">Meetings</label>
      <select id="start-source" name="sourceMeetingType">
        <option value="All">All</option><option value="SfB">Skype for Business</option><option value="Teams">Teams</option>
      </select>
      <button type="button" id="preview-button">Preview</button>
      <button type="submit" id="start-button">Start migration</button>
    </form>
    <div id="start-result" role="status"></div>
    <div id="preview-result"></div>
  </section>

  <section id="list-view" aria-labelledby="users-heading">
    <h2 id="users-heading" tabindex="-1">Users</h2>
    <form id="filters" class="filters">
      <label for="filter-state">State</label>
      <select id="filter-state" name="state"><option value="">Any</option>${options(STATES)}</select>
      <label for="filter-type">Migration type</label>
      <select id="filter-type" name="migrationType"><option value="">Any</option>${options(TYPES)}</select>
      <label for="filter-search">Search users</label>
      <input id="filter-search" name="search" type="search" autocomplete="off" spellcheck="false">
      <label for="page-size">Rows per page</label>
      <select id="page-size" name="pageSize">
        <option value="10">10</option><option value="25" selected>25</option><option value="50">50</option><option value="100">100</option>
      </select>
      <button type="submit">Apply</button>
    </form>
    <div class="table-wrap" role="region" aria-labelledby="users-caption" tabindex="0">
    <table id="users">
      <caption id="users-caption">Users and their migration status</caption>
      <thead><tr>
        <th scope="col" data-sort="userPrincipalName"><button type="button">User</button></th>
        <th scope="col" data-sort="state"><button type="button">State</button></th>
        <th scope="col" data-sort="migrationType"><button type="button">Type</button></th>
        <th scope="col" data-sort="trigger"><button type="button">Trigger</button></th>
        <th scope="col" data-sort="totalMeeting"><button type="button">Meetings</button></th>
        <th scope="col" data-sort="succeededMeeting"><button type="button">Updated</button></th>
        <th scope="col" data-sort="skippedMeeting"><button type="button">Skipped</button></th>
        <th scope="col" data-sort="failedMeeting"><button type="button">Failed</button></th>
        <th scope="col" data-sort="retryCount"><button type="button">Retries</button></th>
        <th scope="col">Progress or next run</th>
        <th scope="col">Last message</th>
        <th scope="col" data-sort="modifiedDate"><button type="button">Modified</button></th>
      </tr></thead>
      <tbody></tbody>
    </table>
    </div>
    <nav class="pager" aria-label="Pages of users">
      <button type="button" id="prev-page">Previous page</button>
      <span id="page-info" aria-live="polite"></span>
      <button type="button" id="next-page">Next page</button>
    </nav>
  </section>

  <section id="user-view" aria-labelledby="user-heading" hidden>
    <p><button type="button" id="back">Back to all users</button></p>
    <h2 id="user-heading" tabindex="-1"></h2>
    <p>
      <button type="button" id="user-preview">Preview this user</button>
      <button type="button" id="user-start">Start this user's migration</button>
    </p>
    <div id="user-action-result" role="status"></div>
    <div id="user-preview-result"></div>
    <h3>Status</h3>
    <dl id="user-status" class="fields"></dl>
    <h3>Triggers</h3>
    <ol id="user-triggers"></ol>
    <h3>History</h3>
    <ol id="user-history"></ol>
    <h3 id="meetings-heading">Meetings of this migration</h3>
    <table id="user-meetings" aria-labelledby="meetings-heading">
      <thead><tr>
        <th scope="col">Subject</th><th scope="col">Type</th><th scope="col">Start</th><th scope="col">Block</th>
        <th scope="col">Outcome</th><th scope="col">Reason or error</th>
      </tr></thead>
      <tbody></tbody>
    </table>
    <p><button type="button" id="more-meetings" hidden>More meetings</button></p>
  </section>
</main>
</body>
</html>
`;

export const DASHBOARD_CSS = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fff; --muted: #5c5c5c; --line: #d0d0d0; --accent: #0b5cad; }
@media (prefers-color-scheme: dark) { :root { --fg: #eee; --bg: #161616; --muted: #b0b0b0; --line: #444; --accent: #7db4ff; } }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1400px; padding: 1rem 1.5rem 3rem; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.5rem; margin: .5rem 0; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
a, button.link { color: var(--accent); }
button { font: inherit; padding: .3rem .7rem; border: 1px solid var(--line); border-radius: 4px; background: transparent; color: inherit; cursor: pointer; }
button.link { border: 0; padding: 0; text-decoration: underline; text-align: left; }
button:disabled { opacity: .5; cursor: default; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
input, select { font: inherit; padding: .25rem .4rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: inherit; }
label { margin: 0 .3rem 0 .8rem; font-weight: 600; }
form label:first-child { margin-left: 0; }
form { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem 0; }
form button { margin-left: .6rem; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: .5rem; background: var(--bg); padding: .3rem; }
#error { border: 2px solid #c62828; padding: .5rem .8rem; margin: .5rem 0; border-radius: 4px; }
.summary { display: flex; flex-wrap: wrap; gap: .6rem; list-style: none; padding: 0; margin: 0; }
.summary button { min-width: 9rem; text-align: left; padding: .5rem .8rem; }
.summary .count { display: block; font-size: 1.6rem; font-weight: 700; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
.table-wrap { overflow-x: auto; }
caption { text-align: left; color: var(--muted); padding: .2rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th button { border: 0; padding: 0; font-weight: 700; }
th[aria-sort="ascending"] button::after { content: " ▲"; }
th[aria-sort="descending"] button::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.message { min-width: 18rem; max-width: 32rem; overflow-wrap: anywhere; }
td.when { white-space: nowrap; }
.state { font-weight: 700; }
.state-Pending { color: #8a5a00; } .state-InProgress { color: var(--accent); } .state-Succeeded { color: #1e7b34; } .state-Failed { color: #c62828; }
@media (prefers-color-scheme: dark) { .state-Pending { color: #ffcc66; } .state-Succeeded { color: #7ddc8f; } .state-Failed { color: #ff8a80; } }
.pager { display: flex; gap: 1rem; align-items: center; }
.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
.fields dt { font-weight: 600; }
.fields dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; border: 1px solid var(--line); padding: .4rem; max-height: 16rem; overflow: auto; }
[hidden] { display: none !important; }
`;
