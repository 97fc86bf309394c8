/// <reference lib="dom" />
/**
 * The dashboard's script, run in the admin's browser (served as GET /api/dashboard/app.js by
 * functions/dashboard.ts; the page is functions/dashboard-assets/page.ts). It calls the admin API with the function
 * key in the `x-functions-key` header. The key is typed once into the page (or given as `#key=…` after the
 * address: a fragment never reaches a server, and it is removed from the address at once) and kept in
 * sessionStorage, so it lives as long as the tab and is never written into a URL.
 *
 * Everything the API answers is written with textContent (never innerHTML): subjects, messages and names are
 * text, whatever they contain. The page refreshes by itself every few seconds while any migration is Pending or
 * InProgress, and stops when none is.
 */
export {};

const KEY_STORAGE = 'mms.functionKey';
const REFRESH_MS = 3000;

// ---------------------------------------------------------------------------------------------------------------
// The API

/** The API root: the page is at <root>dashboard. */
const API_ROOT = location.pathname.replace(/dashboard\/?$/, '');

interface ApiError {
  status: number;
  code: string;
  message: string;
}

class ApiFailure extends Error {
  constructor(readonly detail: ApiError) {
    super(`${detail.code}: ${detail.message}`);
  }
}

function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const key = storedKey();
  if (key === null) throw new ApiFailure({ status: 401, code: 'noKey', message: 'Enter the function key.' });
  const headers: Record<string, string> = { 'x-functions-key': key, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(API_ROOT + path, {
    method,
    headers,
    cache: 'no-store',
    credentials: 'omit',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    throw new ApiFailure({
      status: res.status,
      code: typeof err?.code === 'string' ? err.code : `http${res.status}`,
      message:
        typeof err?.message === 'string'
          ? err.message
          : res.status === 401
            ? 'The function key was refused.'
            : res.status === 404
              ? 'Not found on this server.'
              : `The server answered ${res.status}.`,
    });
  }
  return json as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Shapes the page reads (the OpenAPI document, GET /api/openapi.json, has them all)

interface Status {
  userId: string;
  userPrincipalName: string;
  state: string;
  migrationType: string;
  retryCount: number;
  lastMessage: string;
  totalMeeting: number;
  succeededMeeting: number;
  failedMeeting: number;
  skippedMeeting: number;
  invitesUpdate: number;
  correlationId: string;
  createDate: string;
  modifiedDate: string;
  trigger: string;
  triggers: string[];
  sourceMeetingType: string;
  targetMeetingType: string;
  notBefore: string | null;
  startDate: string | null;
  endDate: string | null;
  progress: { discoveredMeeting: number; processedMeeting: number; percent?: number } | null;
  lastMessageCode: string;
  followUp: { triggers: string[]; notBefore: string } | null;
  queuePosition?: number | null;
  estimatedStart?: string | null;
  estimatedEnd?: string | null;
  [more: string]: unknown;
}

interface Page {
  value: Status[];
  continuationToken?: string;
  totalCount?: number;
}

interface MeetingResult {
  eventId: string;
  eventType: string;
  subject: string;
  start: string;
  blockKind: string;
  outcome: string;
  reason?: string;
  errorCode?: string;
  errorMessage?: string;
}

interface PreviewMeeting {
  subject: string;
  eventType: string;
  start: string;
  nextOccurrence?: string | null;
  decision: string;
  reason?: string;
  error?: string;
  blockBefore?: string;
  blockAfter?: string;
}

interface Preview {
  userPrincipalName: string;
  migrationType: string;
  counts: Record<string, unknown>;
  meetings: PreviewMeeting[];
  continuationToken?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers: text only

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string | number | null,
  className?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className !== undefined) e.className = className;
  return e;
}

function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '';
  return iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
}

function showError(e: unknown): void {
  const box = byId('error');
  if (e instanceof ApiFailure && e.detail.status === 401) {
    sessionStorage.removeItem(KEY_STORAGE);
    showKeyForm();
    box.textContent = `The function key was refused (${e.detail.message}). Enter it again.`;
  } else {
    box.textContent = e instanceof ApiFailure ? `${e.detail.code}: ${e.detail.message}` : String(e);
  }
  box.hidden = false;
}

function clearError(): void {
  const box = byId('error');
  box.hidden = true;
  box.textContent = '';
}

// ---------------------------------------------------------------------------------------------------------------
// The key

function takeKeyFromFragment(): void {
  const m = /^#key=(.+)$/.exec(location.hash);
  if (m?.[1] === undefined) return;
  let key = m[1];
  try {
    key = decodeURIComponent(key);
  } catch {
    /* kept as given */
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  // Out of the address bar, the history and any bookmark at once.
  history.replaceState(null, '', location.pathname + location.search);
}

function showKeyForm(): void {
  byId('key-section').hidden = false;
  byId('main').hidden = true;
  byId('key-state').hidden = true;
  stopRefresh();
  byId<HTMLInputElement>('key-input').focus();
}

function showMain(): void {
  byId('key-section').hidden = true;
  byId('main').hidden = false;
  byId('key-state').hidden = false;
}

// ---------------------------------------------------------------------------------------------------------------
// Summary and refresh

let refreshTimer: number | undefined;
let running = false;

function stopRefresh(): void {
  if (refreshTimer !== undefined) window.clearTimeout(refreshTimer);
  refreshTimer = undefined;
}

async function loadSummary(): Promise<void> {
  const rows = await api<{ state: string; userCount: number }[]>('GET', 'migrations?summaryOnly');
  const list = byId('summary');
  list.replaceChildren();
  for (const r of rows) {
    const li = el('li');
    const b = el('button', null, `state-filter state-${r.state}`);
    b.type = 'button';
    b.dataset.state = r.state;
    b.append(el('span', r.userCount, 'count'), el('span', r.state, 'state'));
    b.setAttribute('aria-label', `${r.state}: ${r.userCount} users. Show them.`);
    b.addEventListener('click', () => {
      byId<HTMLSelectElement>('filter-state').value = r.state;
      list_.state = r.state;
      resetPaging();
      goToList();
      void refreshList();
    });
    li.append(b);
    list.append(li);
  }
  running = rows.some((r) => (r.state === 'Pending' || r.state === 'InProgress') && r.userCount > 0);
}

function scheduleRefresh(): void {
  stopRefresh();
  const status = byId('refresh-status');
  const time = new Date().toISOString();
  if (running) {
    status.textContent = `Migrations are running: refreshing every ${REFRESH_MS / 1000} seconds (last ${when(time)}).`;
    refreshTimer = window.setTimeout(() => void refreshAll(), REFRESH_MS);
  } else {
    status.textContent = `Nothing is running (checked ${when(time)}).`;
  }
}

async function refreshAll(): Promise<void> {
  try {
    await loadSummary();
    if (currentUser !== null) await loadUser(currentUser, false);
    else await refreshList();
    clearError();
  } catch (e) {
    showError(e);
  }
  if (storedKey() !== null) scheduleRefresh();
}

// ---------------------------------------------------------------------------------------------------------------
// The users table: filters, sort and server-side paging (GET /api/migrations with pageSize/continuationToken)

const list_ = {
  state: '',
  migrationType: '',
  search: '',
  orderBy: 'userPrincipalName',
  descending: false,
  pageSize: 25,
  /** tokens[i]: the continuation token of page i (undefined for the first). */
  tokens: [undefined] as (string | undefined)[],
  page: 0,
  next: undefined as string | undefined,
};

function resetPaging(): void {
  list_.tokens = [undefined];
  list_.page = 0;
}

function listQuery(): string {
  const q = new URLSearchParams();
  if (list_.state !== '') q.set('state', list_.state);
  if (list_.migrationType !== '') q.set('migrationType', list_.migrationType);
  if (list_.search !== '') q.set('search', list_.search);
  q.set('orderBy', `${list_.orderBy} ${list_.descending ? 'desc' : 'asc'}`);
  q.set('pageSize', String(list_.pageSize));
  const token = list_.tokens[list_.page];
  if (token !== undefined) q.set('continuationToken', token);
  return q.toString();
}

function progressText(s: Status): string {
  if (s.state === 'Pending') {
    const parts: string[] = [];
    if (typeof s.queuePosition === 'number') parts.push(`#${s.queuePosition} in queue`);
    const start = s.estimatedStart ?? s.notBefore;
    if (start) parts.push(`runs ${when(start)}`);
    return parts.join(', ');
  }
  if (s.state === 'InProgress' && s.progress !== null) {
    const pct =
      typeof s.progress.percent === 'number'
        ? s.progress.percent
        : s.progress.discoveredMeeting > 0
          ? Math.floor((100 * s.progress.processedMeeting) / s.progress.discoveredMeeting)
          : 0;
    const end = typeof s.estimatedEnd === 'string' ? `, ends ${when(s.estimatedEnd)}` : '';
    return `${s.progress.processedMeeting}/${s.progress.discoveredMeeting} meetings (${pct}%)${end}`;
  }
  return '';
}

function renderRows(rows: Status[]): void {
  const tbody = byId<HTMLTableElement>('users').tBodies[0];
  if (tbody === undefined) return;
  const focused =
    document.activeElement instanceof HTMLElement ? document.activeElement.dataset.userId : undefined;
  tbody.replaceChildren();
  for (const s of rows) {
    const tr = el('tr');
    tr.dataset.userId = s.userId;
    const user = el('td');
    const link = el('button', s.userPrincipalName || s.userId, 'link');
    link.type = 'button';
    link.dataset.userId = s.userId;
    link.setAttribute('aria-label', `Open ${s.userPrincipalName || s.userId}`);
    link.addEventListener('click', () => openUser(s.userId));
    user.append(link);
    tr.append(
      user,
      el('td', s.state, `state state-${s.state}`),
      el('td', s.migrationType),
      el('td', s.trigger),
      el('td', s.totalMeeting, 'num'),
      el('td', s.succeededMeeting, 'num'),
      el('td', s.skippedMeeting, 'num'),
      el('td', s.failedMeeting, 'num'),
      el('td', s.retryCount, 'num'),
      el('td', progressText(s)),
      el('td', s.lastMessage, 'message'),
      el('td', when(s.modifiedDate), 'when'),
    );
    tbody.append(tr);
  }
  if (rows.length === 0) {
    const tr = el('tr');
    const td = el('td', 'No user matches.');
    td.colSpan = 12;
    tr.append(td);
    tbody.append(tr);
  }
  if (focused !== undefined) {
    const again = tbody.querySelector<HTMLElement>(`button[data-user-id="${CSS.escape(focused)}"]`);
    again?.focus();
  }
}

function renderSortState(): void {
  for (const th of Array.from(document.querySelectorAll<HTMLElement>('#users th[data-sort]'))) {
    if (th.dataset.sort === list_.orderBy) {
      th.setAttribute('aria-sort', list_.descending ? 'descending' : 'ascending');
    } else {
      th.removeAttribute('aria-sort');
    }
  }
}

async function refreshList(): Promise<void> {
  const page = await api<Page>('GET', `migrations?${listQuery()}`);
  renderRows(page.value);
  renderSortState();
  list_.next = page.continuationToken;
  const total = page.totalCount;
  const pages = total === undefined ? undefined : Math.max(1, Math.ceil(total / list_.pageSize));
  byId('page-info').textContent =
    `Page ${list_.page + 1}${pages !== undefined ? ` of ${pages}` : ''}` +
    (total !== undefined ? ` (${total} ${total === 1 ? 'user' : 'users'})` : '');
  byId<HTMLButtonElement>('prev-page').disabled = list_.page === 0;
  byId<HTMLButtonElement>('next-page').disabled = list_.next === undefined;
}

function wireList(): void {
  byId<HTMLFormElement>('filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    list_.state = byId<HTMLSelectElement>('filter-state').value;
    list_.migrationType = byId<HTMLSelectElement>('filter-type').value;
    list_.search = byId<HTMLInputElement>('filter-search').value.trim();
    list_.pageSize = Number(byId<HTMLSelectElement>('page-size').value) || 25;
    resetPaging();
    void run(refreshList);
  });
  for (const th of Array.from(document.querySelectorAll<HTMLElement>('#users th[data-sort]'))) {
    th.querySelector('button')?.addEventListener('click', () => {
      const field = th.dataset.sort ?? 'userPrincipalName';
      list_.descending = list_.orderBy === field ? !list_.descending : false;
      list_.orderBy = field;
      resetPaging();
      void run(refreshList);
    });
  }
  byId('next-page').addEventListener('click', () => {
    if (list_.next === undefined) return;
    list_.tokens[list_.page + 1] = list_.next;
    list_.page += 1;
    void run(refreshList);
  });
  byId('prev-page').addEventListener('click', () => {
    if (list_.page === 0) return;
    list_.page -= 1;
    void run(refreshList);
  });
}

/** Runs an action, showing its error; then refreshes on its own schedule. */
async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
    clearError();
  } catch (e) {
    showError(e);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Preview and start

function renderPreview(target: HTMLElement, p: Preview): void {
  target.replaceChildren();
  const h = el('h3', `Preview for ${p.userPrincipalName} (${p.migrationType}): nothing was changed`);
  const counts = el(
    'p',
    Object.entries(p.counts)
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(' · '),
  );
  const table = el('table');
  const caption = el('caption', 'What a migration would do with each meeting');
  const head = el('tr');
  for (const c of [
    'Subject',
    'Type',
    'Start or next occurrence',
    'Decision',
    'Reason',
    'Block before → after',
  ]) {
    const th = el('th', c);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const m of p.meetings) {
    const tr = el('tr');
    const blocks = el('td');
    if (m.blockBefore !== undefined || m.blockAfter !== undefined) {
      const details = el('details');
      details.append(el('summary', 'Show'), el('pre', m.blockBefore ?? ''), el('pre', m.blockAfter ?? ''));
      blocks.append(details);
    }
    tr.append(
      el('td', m.subject),
      el('td', m.eventType),
      el('td', when(m.nextOccurrence ?? m.start)),
      el('td', m.decision, `decision-${m.decision}`),
      el('td', m.reason ?? m.error ?? ''),
      blocks,
    );
    tbody.append(tr);
  }
  table.append(caption, thead, tbody);
  target.append(h, counts, table);
  if (p.continuationToken !== undefined) {
    target.append(el('p', `Showing the first ${p.meetings.length} meetings.`));
  }
}

async function preview(
  identity: string,
  source: string,
  out: HTMLElement,
  status: HTMLElement,
): Promise<void> {
  status.textContent = `Previewing ${identity}…`;
  try {
    const p = await api<Preview>('POST', 'migrations/preview', {
      identity,
      sourceMeetingType: source,
      pageSize: 200,
    });
    renderPreview(out, p);
    status.textContent = `Preview of ${p.userPrincipalName}: ${p.meetings.length} meetings.`;
    clearError();
  } catch (e) {
    status.textContent = '';
    showError(e);
  }
}

async function start(identity: string, source: string, status: HTMLElement): Promise<void> {
  status.textContent = `Starting ${identity}…`;
  try {
    const s = await api<Status>('POST', 'migrations', { identity, sourceMeetingType: source });
    status.textContent = `Migration of ${s.userPrincipalName} requested: ${s.state} (${s.lastMessage}).`;
    clearError();
    await refreshAll();
  } catch (e) {
    status.textContent = '';
    showError(e);
  }
}

function wireStart(): void {
  const identity = byId<HTMLInputElement>('start-identity');
  const source = byId<HTMLSelectElement>('start-source');
  const status = byId('start-result');
  byId<HTMLFormElement>('start-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (identity.value.trim() === '') return;
    void start(identity.value.trim(), source.value, status);
  });
  byId('preview-button').addEventListener('click', () => {
    if (!identity.reportValidity()) return;
    void preview(identity.value.trim(), source.value, byId('preview-result'), status);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// A user's page: status, triggers, history, per-meeting results

let currentUser: string | null = null;
let meetingsToken: string | undefined;

function openUser(userId: string): void {
  location.hash = `user=${encodeURIComponent(userId)}`;
}

function goToList(): void {
  if (location.hash !== '') history.pushState(null, '', location.pathname + location.search);
  void route();
}

function field(dl: HTMLElement, name: string, value: string | number | null | undefined): void {
  if (value === null || value === undefined || value === '') return;
  dl.append(el('dt', name), el('dd', value));
}

function history_(s: Status): [string, string][] {
  const out: [string, string][] = [[s.createDate, `Requested (${s.trigger})`]];
  if (s.notBefore !== null && s.state === 'Pending') out.push([s.notBefore, 'Runs no earlier than this']);
  if (s.startDate !== null)
    out.push([s.startDate, `Run started${s.retryCount > 0 ? ` (retry ${s.retryCount})` : ''}`]);
  if (s.endDate !== null) out.push([s.endDate, `Ended ${s.state}: ${s.lastMessage}`]);
  else out.push([s.modifiedDate, `Last change: ${s.state}: ${s.lastMessage}`]);
  if (s.followUp !== null)
    out.push([s.followUp.notBefore, `Follow-up queued (${s.followUp.triggers.join(', ')})`]);
  return out.sort(([a], [b]) => a.localeCompare(b));
}

async function loadUser(userId: string, resetMeetings: boolean): Promise<void> {
  const id = encodeURIComponent(userId);
  const s = await api<Status>('GET', `migrations/${id}`);
  byId('user-heading').textContent = s.userPrincipalName || s.userId;
  const dl = byId('user-status');
  dl.replaceChildren();
  field(dl, 'State', s.state);
  field(dl, 'Last message', s.lastMessage);
  field(dl, 'Migration type', s.migrationType);
  field(
    dl,
    'Meetings',
    `${s.totalMeeting} found, ${s.succeededMeeting} updated, ${s.skippedMeeting} skipped, ${s.failedMeeting} failed`,
  );
  field(dl, 'Invitations sent', s.invitesUpdate);
  field(dl, 'Progress', progressText(s));
  field(dl, 'Retries', s.retryCount);
  field(dl, 'Source → target', `${s.sourceMeetingType} → ${s.targetMeetingType}`);
  field(dl, 'User id', s.userId);
  field(dl, 'Correlation id', s.correlationId);
  const triggers = byId('user-triggers');
  triggers.replaceChildren(...s.triggers.map((t) => el('li', t)));
  const hist = byId('user-history');
  hist.replaceChildren(...history_(s).map(([at, what]) => el('li', `${when(at)}: ${what}`)));

  const tbody = byId<HTMLTableElement>('user-meetings').tBodies[0];
  if (tbody === undefined) return;
  if (resetMeetings) meetingsToken = undefined;
  // A refresh reloads what is shown (the first page); "More meetings" appends further pages.
  const q = new URLSearchParams({ pageSize: '100' });
  const page = await api<{ meetings: MeetingResult[]; continuationToken?: string }>(
    'GET',
    `migrations/${id}/meetings?${q.toString()}`,
  );
  tbody.replaceChildren();
  appendMeetings(tbody, page.meetings);
  meetingsToken = page.continuationToken;
  byId('more-meetings').hidden = meetingsToken === undefined;
}

function appendMeetings(tbody: HTMLTableSectionElement, meetings: MeetingResult[]): void {
  for (const m of meetings) {
    const tr = el('tr');
    tr.append(
      el('td', m.subject),
      el('td', m.eventType),
      el('td', when(m.start)),
      el('td', m.blockKind),
      el('td', m.outcome, `outcome-${m.outcome}`),
      el('td', m.reason ?? [m.errorCode, m.errorMessage].filter((x) => x !== undefined).join(': ')),
    );
    tbody.append(tr);
  }
  if (tbody.rows.length === 0) {
    const tr = el('tr');
    const td = el('td', 'No meeting results for this migration yet.');
    td.colSpan = 6;
    tr.append(td);
    tbody.append(tr);
  }
}

function wireUser(): void {
  byId('back').addEventListener('click', () => goToList());
  byId('more-meetings').addEventListener('click', () => {
    if (currentUser === null || meetingsToken === undefined) return;
    const id = encodeURIComponent(currentUser);
    const q = new URLSearchParams({ pageSize: '100', continuationToken: meetingsToken });
    void run(async () => {
      const page = await api<{ meetings: MeetingResult[]; continuationToken?: string }>(
        'GET',
        `migrations/${id}/meetings?${q.toString()}`,
      );
      const tbody = byId<HTMLTableElement>('user-meetings').tBodies[0];
      if (tbody !== undefined) appendMeetings(tbody, page.meetings);
      meetingsToken = page.continuationToken;
      byId('more-meetings').hidden = meetingsToken === undefined;
    });
  });
  byId('user-preview').addEventListener('click', () => {
    if (currentUser === null) return;
    void preview(currentUser, 'All', byId('user-preview-result'), byId('user-action-result'));
  });
  byId('user-start').addEventListener('click', () => {
    if (currentUser === null) return;
    void start(currentUser, 'All', byId('user-action-result'));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Routing: #user=<id> shows a user; no fragment shows the list

async function route(): Promise<void> {
  const m = /^#user=(.+)$/.exec(location.hash);
  const listView = byId('list-view');
  const userView = byId('user-view');
  if (m?.[1] !== undefined) {
    let id = m[1];
    try {
      id = decodeURIComponent(id);
    } catch {
      /* as given */
    }
    const changed = currentUser !== id;
    currentUser = id;
    listView.hidden = true;
    userView.hidden = false;
    if (changed) {
      byId('user-heading').textContent = id;
      byId('user-preview-result').replaceChildren();
      byId('user-action-result').textContent = '';
      byId('user-heading').focus();
    }
    await run(() => loadUser(id, changed));
  } else {
    const wasUser = currentUser !== null;
    currentUser = null;
    userView.hidden = true;
    listView.hidden = false;
    if (wasUser) byId('users-heading').focus();
    await run(refreshList);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Start

async function begin(): Promise<void> {
  showMain();
  await route();
  await refreshAll();
}

function init(): void {
  takeKeyFromFragment();
  byId<HTMLFormElement>('key-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = byId<HTMLInputElement>('key-input');
    const key = input.value.trim();
    if (key === '') return;
    sessionStorage.setItem(KEY_STORAGE, key);
    input.value = '';
    clearError();
    void begin();
  });
  byId('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    showKeyForm();
  });
  wireList();
  wireStart();
  wireUser();
  window.addEventListener('hashchange', () => {
    if (/^#key=/.test(location.hash)) {
      takeKeyFromFragment();
      void begin();
      return;
    }
    void route();
  });
  window.addEventListener('popstate', () => void route());
  if (storedKey() === null) showKeyForm();
  else void begin();
}

init();
