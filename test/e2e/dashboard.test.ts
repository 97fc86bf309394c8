/**
 * The dashboard (GET /api/dashboard) in a real headless browser: Chromium from the @sparticuz/chromium package
 * (installed by npm ci, nothing downloaded), driven by puppeteer-core (test/support/browser.ts), against the local
 * host (`npm start` as a black box) with its demo: every sandbox user migrated once. What an admin sees is
 * compared with what the API answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { launchBrowser, systemLibraries } from '../support/browser';
import { startLocalHost, type LocalHost } from '../support/local-host';

interface Status {
  userId: string;
  userPrincipalName: string;
  state: string;
  migrationType: string;
  totalMeeting: number;
  succeededMeeting: number;
  modifiedDate: string;
  triggers: string[];
}

const USERS = 14;

let local: LocalHost;
let browser: Browser;
let page: Page;
const requests: { url: string; key: string | undefined }[] = [];
const pageErrors: string[] = [];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${local.apiUrl}/api/${path}`, {
    ...init,
    headers: { 'x-functions-key': local.functionKey, 'content-type': 'application/json' },
  });
  const text = await res.text();
  assert.ok(res.ok, `${path} → ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

async function sandbox(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${local.graphUrl}/_sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  assert.ok(res.ok, `sandbox ${method} ${path} → ${res.status}`);
}

/** The users table as shown: one array of cell texts per row. */
function tableRows(): Promise<string[][]> {
  return page.$$eval('#users tbody tr', (trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')),
  );
}

/** Waits until the users table shows `upns` (in order). */
async function waitForUpns(upns: string[], what: string): Promise<void> {
  try {
    await page.waitForFunction(
      (expected: string[]) =>
        JSON.stringify(
          Array.from(document.querySelectorAll('#users tbody tr td:first-child')).map((td) => td.textContent),
        ) === JSON.stringify(expected),
      { timeout: 15_000 },
      upns,
    );
  } catch {
    assert.deepEqual(
      (await tableRows()).map((r) => r[0]),
      upns,
      what,
    );
  }
}

async function summary(): Promise<Record<string, number>> {
  return page.$$eval('#summary button', (buttons) =>
    Object.fromEntries(
      buttons.map((b) => [
        (b as HTMLElement).dataset.state ?? '',
        Number(b.querySelector('.count')?.textContent ?? 'NaN'),
      ]),
    ),
  );
}

async function applyFilters(values: { state?: string; type?: string; search?: string; pageSize?: string }) {
  if (values.state !== undefined) await page.select('#filter-state', values.state);
  if (values.type !== undefined) await page.select('#filter-type', values.type);
  if (values.pageSize !== undefined) await page.select('#page-size', values.pageSize);
  if (values.search !== undefined) {
    await page.$eval('#filter-search', (e) => ((e as HTMLInputElement).value = ''));
    await page.type('#filter-search', values.search);
  }
  // Submitted from the keyboard: Enter in the search field.
  await page.focus('#filter-search');
  await page.keyboard.press('Enter');
}

before(async () => {
  local = await startLocalHost(['--demo', '--users', String(USERS), '--meetings', '3', '--seed', '5'], {
    env: { MIGRATION_DELAY_SECONDS: '0' },
    readyTimeoutMs: 120_000,
    tmpPrefix: 'mms-e2e-dashboard-',
  });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  await page.setRequestInterception(true);
  page.on('request', (req: HTTPRequest) => {
    requests.push({ url: req.url(), key: req.headers()['x-functions-key'] });
    void req.continue();
  });
  page.on('pageerror', (e: unknown) => pageErrors.push(e instanceof Error ? e.message : String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
});

after(async () => {
  await browser?.close();
  await local?.stop();
});

describe('dashboard in a headless browser (GET /api/dashboard)', () => {
  it('is a static page with a strict CSP: no inline script, style or handler, no secret', async () => {
    const res = await fetch(`${local.apiUrl}/api/dashboard`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
    assert.doesNotMatch(html, /<style|\sstyle=/i, 'no inline style');
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handler');
    assert.ok(!html.includes(local.functionKey), 'the key is not in the page');

    const script = await fetch(`${local.apiUrl}/api/dashboard/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    const js = await script.text();
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(']) {
      assert.ok(!js.includes(sink), `the script never uses ${sink}`);
    }
    const css = await fetch(`${local.apiUrl}/api/dashboard/app.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  });

  it('takes the key from #key= into sessionStorage, drops it from the address, sends it only as a header', async () => {
    await page.goto(`${local.apiUrl}/api/dashboard#key=${encodeURIComponent(local.functionKey)}`);
    await page.waitForSelector('#users tbody tr');
    assert.equal(page.url(), `${local.apiUrl}/api/dashboard`, 'the fragment is gone from the address');
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem('mms.functionKey'),
      local: localStorage.length,
      cookie: document.cookie,
      history: history.length,
    }));
    assert.equal(stored.session, local.functionKey);
    assert.equal(stored.local, 0);
    assert.equal(stored.cookie, '');
    const calls = requests.filter((r) => /\/api\/(?!dashboard)/.test(r.url));
    assert.ok(calls.length >= 2, 'the page called the API');
    for (const r of calls) {
      assert.equal(r.key, local.functionKey, `${r.url} carries the key header`);
    }
    // What goes over the wire: the address without its fragment (browsers never send it).
    for (const r of requests) {
      const sent = r.url.split('#')[0] ?? '';
      assert.ok(!sent.includes(local.functionKey), `no URL sent holds the key: ${sent}`);
    }
    assert.ok(!requests.some((r) => /[?&]code=/.test(r.url)), 'never ?code=');
  });

  it("renders the demo tenant's users and states, counts by state, and refreshes by itself until nothing runs", async () => {
    // The demo may still be migrating: the page must get to the end without a reload.
    await page.waitForFunction(
      (n: number) => {
        const counts = Array.from(document.querySelectorAll('#summary .count')).map((c) =>
          Number(c.textContent),
        );
        const [pending, inProgress] = counts;
        return counts.reduce((a, b) => a + b, 0) === n && pending === 0 && inProgress === 0;
      },
      { timeout: 120_000 },
      USERS,
    );
    await page.waitForFunction(
      () => /Nothing is running/.test(document.getElementById('refresh-status')?.textContent ?? ''),
      { timeout: 15_000 },
    );
    const records = await api<Status[]>('migrations');
    assert.equal(records.length, USERS);
    const apiSummary = await api<{ state: string; userCount: number }[]>('migrations?summaryOnly');
    assert.deepEqual(await summary(), Object.fromEntries(apiSummary.map((r) => [r.state, r.userCount])));

    await waitForUpns(
      records.map((r) => r.userPrincipalName),
      'every user, by UPN',
    );
    const rows = await tableRows();
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[2], Number(r[4]), Number(r[5])]),
      records.map((s) => [s.userPrincipalName, s.state, s.migrationType, s.totalMeeting, s.succeededMeeting]),
    );
    assert.ok(
      records.some((s) => s.state === 'Succeeded'),
      'the demo tenant has migrated users',
    );
  });

  it('filters by state, type and text, sorts, and pages on the server', async () => {
    const all = await api<Status[]>('migrations');
    const state = all.some((s) => s.state === 'Failed') ? 'Failed' : 'Succeeded';
    await applyFilters({ state });
    await waitForUpns(
      all.filter((s) => s.state === state).map((s) => s.userPrincipalName),
      `only ${state} users`,
    );

    await applyFilters({ state: '', type: 'ToSameType' });
    await waitForUpns(
      all.filter((s) => s.migrationType === 'ToSameType').map((s) => s.userPrincipalName),
      'only ToSameType',
    );

    const needle = (all[3]?.userPrincipalName ?? '').slice(0, 3).toUpperCase();
    await applyFilters({ type: '', search: needle });
    await waitForUpns(
      all
        .filter((s) => s.userPrincipalName.toLowerCase().includes(needle.toLowerCase()))
        .map((s) => s.userPrincipalName),
      `users matching ${needle}`,
    );
    await applyFilters({ search: '' });

    // Sort by meetings, then the other way round (the header button, from the keyboard).
    const byMeetings = await api<Status[]>('migrations?orderBy=totalMeeting');
    await page.focus('#users th[data-sort="totalMeeting"] button');
    await page.keyboard.press('Enter');
    await waitForUpns(
      byMeetings.map((s) => s.userPrincipalName),
      'sorted by meetings',
    );
    assert.equal(
      await page.$eval('#users th[data-sort="totalMeeting"]', (th) => th.getAttribute('aria-sort')),
      'ascending',
    );
    await page.keyboard.press('Enter');
    const desc = await api<Status[]>('migrations?orderBy=totalMeeting%20desc');
    await waitForUpns(
      desc.map((s) => s.userPrincipalName),
      'sorted by meetings, descending',
    );
    await page.click('#users th[data-sort="userPrincipalName"] button');
    await waitForUpns(
      all.map((s) => s.userPrincipalName),
      'back to UPN order',
    );

    // Ten a page: the server pages (pageSize and continuationToken), the browser never holds all rows.
    const before = requests.length;
    await applyFilters({ pageSize: '10' });
    await waitForUpns(
      all.slice(0, 10).map((s) => s.userPrincipalName),
      'page 1',
    );
    assert.match(await page.$eval('#page-info', (e) => e.textContent ?? ''), /Page 1 of 2 \(14 users\)/);
    await page.click('#next-page');
    await waitForUpns(
      all.slice(10).map((s) => s.userPrincipalName),
      'page 2',
    );
    assert.equal(await page.$eval('#next-page', (b) => (b as HTMLButtonElement).disabled), true);
    await page.click('#prev-page');
    await waitForUpns(
      all.slice(0, 10).map((s) => s.userPrincipalName),
      'page 1 again',
    );
    const listCalls = requests.slice(before).filter((r) => r.url.includes('/api/migrations?'));
    assert.ok(listCalls.every((r) => /[?&]pageSize=10(&|$)/.test(r.url)));
    assert.ok(
      listCalls.some((r) => /[?&]continuationToken=/.test(r.url)),
      'page 2 came with the token',
    );
    await applyFilters({ pageSize: '25' });
  });

  it("opens a user's page from the keyboard: status, triggers, history and per-meeting results", async () => {
    const all = await api<Status[]>('migrations');
    const user = all.find((s) => s.state === 'Succeeded' && s.totalMeeting > 0);
    assert.ok(user, 'a migrated user with meetings');
    await waitForUpns(
      all.map((s) => s.userPrincipalName),
      'the list',
    );
    await page.focus(`#users button[data-user-id="${user.userId}"]`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (upn: string) =>
        document.getElementById('user-heading')?.textContent === upn &&
        (document.querySelector('#user-meetings tbody')?.children.length ?? 0) > 0,
      { timeout: 15_000 },
      user.userPrincipalName,
    );
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      'user-heading',
      'focus moves to the page',
    );

    const results = await api<{ meetings: { subject: string; outcome: string }[] }>(
      `migrations/${encodeURIComponent(user.userId)}/meetings?pageSize=100`,
    );
    const shown = await page.$$eval('#user-meetings tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')),
    );
    assert.deepEqual(
      shown.map((r) => [r[0], r[4]]),
      results.meetings.map((m) => [m.subject, m.outcome]),
      'every meeting with its outcome; subjects exactly as stored (any script, emoji)',
    );
    const triggers = await page.$$eval('#user-triggers li', (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(triggers, user.triggers);
    const history = await page.$$eval('#user-history li', (lis) => lis.map((li) => li.textContent ?? ''));
    assert.ok(history.some((h) => /Requested \(manualStart\)/.test(h)));
    assert.ok(history.some((h) => /Ended Succeeded/.test(h)));
    const status = await page.$eval('#user-status', (dl) => dl.textContent ?? '');
    assert.match(status, /StateSucceeded/);

    await page.focus('#back');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.getElementById('list-view')?.hidden);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'users-heading');
  });

  it('previews a user from the page: each meeting with its decision, nothing changed', async () => {
    const all = await api<Status[]>('migrations');
    const user = all.find((s) => s.state === 'Succeeded' && s.totalMeeting > 0);
    assert.ok(user);
    const before = await api<Status>(`migrations/${encodeURIComponent(user.userId)}`);
    await page.$eval('#start-identity', (e) => ((e as HTMLInputElement).value = ''));
    await page.type('#start-identity', user.userPrincipalName);
    await page.click('#preview-button');
    await page.waitForSelector('#preview-result tbody tr', { timeout: 30_000 });
    const preview = await api<{ meetings: { subject: string; decision: string }[] }>('migrations/preview', {
      method: 'POST',
      body: JSON.stringify({ identity: user.userPrincipalName, sourceMeetingType: 'All', pageSize: 200 }),
    });
    const shown = await page.$$eval('#preview-result tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')),
    );
    assert.deepEqual(
      shown.map((r) => [r[0], r[3]]),
      preview.meetings.map((m) => [m.subject, m.decision]),
    );
    const after = await api<Status>(`migrations/${encodeURIComponent(user.userId)}`);
    assert.deepEqual(after, before, 'a preview changes no status record');
  });

  it('starts a migration and follows it to the end by itself (no reload)', async () => {
    const all = await api<Status[]>('migrations');
    const user = all.find((s) => s.state === 'Succeeded' && s.totalMeeting > 0);
    assert.ok(user);
    await page.goto(`${local.apiUrl}/api/dashboard`);
    await waitForUpns(
      all.map((s) => s.userPrincipalName),
      'the list',
    );
    // Slow Graph down so that the run is seen running.
    await sandbox('PUT', 'throttling', { latencyMs: 400 });
    try {
      await page.type('#start-identity', user.userPrincipalName);
      await page.click('#start-button');
      await page.waitForFunction(
        () => /requested/.test(document.getElementById('start-result')?.textContent ?? ''),
        { timeout: 15_000 },
      );
      // The page shows it running, then, with no action and no reload, Succeeded again.
      const seen: string[] = [];
      const deadline = Date.now() + 90_000;
      for (;;) {
        const state = (await tableRows()).find((r) => r[0] === user.userPrincipalName)?.[1] ?? '';
        if (seen.at(-1) !== state) seen.push(state);
        if (state === 'Succeeded' && seen.length > 1) break;
        if (Date.now() > deadline) {
          const shown = await page.evaluate(() => ({
            error: document.getElementById('error')?.textContent,
            result: document.getElementById('start-result')?.textContent,
            refresh: document.getElementById('refresh-status')?.textContent,
          }));
          assert.fail(
            `the row never came back to Succeeded: saw ${seen.join(' → ')}; ${JSON.stringify(shown)}`,
          );
        }
        await sleep(100);
      }
      const after = await api<Status>(`migrations/${encodeURIComponent(user.userId)}`);
      assert.notEqual(after.modifiedDate, user.modifiedDate, 'a new run happened');
      assert.ok(
        seen.includes('Pending') || seen.includes('InProgress'),
        `the running state was shown: ${seen.join(' → ')}`,
      );
    } finally {
      await sandbox('PUT', 'throttling', { latencyMs: 0 });
    }
  });

  it('shows markup as text: a crafted #user= address runs nothing', async () => {
    const evil = '<img src=x onerror="window.__pwned=1">';
    await page.goto('about:blank');
    await page.goto(`${local.apiUrl}/api/dashboard#user=${encodeURIComponent(evil)}`);
    await page.waitForFunction(() => /img/.test(document.getElementById('error')?.textContent ?? ''), {
      timeout: 15_000,
    });
    const state = await page.evaluate(() => ({
      heading: document.getElementById('user-heading')?.textContent,
      error: document.getElementById('error')?.textContent ?? '',
      images: document.images.length,
      pwned: (window as unknown as { __pwned?: number }).__pwned,
    }));
    assert.equal(state.heading, evil);
    assert.match(state.error, /invalidParameter|userNotFound/);
    assert.ok(state.error.includes('<img'), 'the message shows the markup as text');
    assert.equal(state.images, 0);
    assert.equal(state.pwned, undefined);
  });

  it('every control is labelled and reachable from the keyboard', async () => {
    await page.goto(`${local.apiUrl}/api/dashboard`);
    await page.waitForSelector('#users tbody tr');
    const unlabelled = await page.evaluate(() => {
      const out: string[] = [];
      for (const e of Array.from(document.querySelectorAll('input, select, textarea'))) {
        const field = e as HTMLInputElement;
        if ((field.labels?.length ?? 0) === 0 && !field.getAttribute('aria-label')) out.push(field.id);
      }
      for (const b of Array.from(document.querySelectorAll('button'))) {
        if ((b.textContent ?? '').trim() === '' && !b.getAttribute('aria-label')) out.push(b.outerHTML);
      }
      return out;
    });
    assert.deepEqual(unlabelled, []);
    // Tab from the top reaches the filters, the table's sort buttons and the users' links, in order.
    const reached: string[] = [];
    await page.focus('body');
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(() => {
          const a = document.activeElement as HTMLElement | null;
          return a?.id || a?.dataset.userId || a?.textContent?.trim() || a?.tagName || '';
        }),
      );
    }
    for (const id of ['start-identity', 'preview-button', 'start-button', 'filter-state', 'filter-search']) {
      assert.ok(reached.includes(id), `Tab reaches #${id}: ${reached.join(' | ')}`);
    }
    assert.ok(reached.includes('User'), 'Tab reaches the sort buttons');
  });

  it('runs with no script error, and the browser needs nothing from the machine but the C library', () => {
    assert.deepEqual(
      // The API's 4xx answers the tests provoke are logged by the browser as failed loads; nothing else may be.
      pageErrors.filter(
        (e) => !/^Failed to load resource: the server responded with a status of 4\d\d/.test(e),
      ),
      [],
    );
    const libs = systemLibraries(browser);
    const allowed =
      /^(ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libgcc_s\.so\.1)$/;
    assert.deepEqual(
      libs.filter((l) => !allowed.test(l)),
      [],
      `libraries from the machine: ${libs.join(', ')}`,
    );
  });
});
