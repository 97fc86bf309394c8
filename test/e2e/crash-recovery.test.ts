/**
 * The function host killed with SIGKILL half-way through a long migration, then started again with nothing
 * touched: the user ends Succeeded, every attendee received at most one update per meeting, and the record
 * counts every update once (the dead host's included). The host runs as in `npm start` (dist/dev/host/main.js
 * with the embedded queue kept in Table Storage), against Azurite and a sandbox tenant that outlive it, as Graph
 * and storage outlive a crashed Functions host. The message lock is shortened (MMS_QUEUE_LOCK_SECONDS) so the
 * redelivery comes in seconds rather than Service Bus's 5 minutes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type SandboxHandle } from '../../dev/sandbox';
import { generateTenant } from '../../dev/sandbox/generator';
import { tenantSeed } from '../../dev/sandbox/seed';
import { hasMailbox } from '../../dev/sandbox/tenant';
import { loadLocalData } from '../../dev/local-data';
import type { ReadyMessage } from '../../dev/host/main';
import { createRepositories } from '../../shared/storage/repositories';
import { testTables } from '../support/tables';
import { NODE, ROOT } from '../support/local-host';

const AUDIO_PLAN = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';
const KEY = 'crash-test-key';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Host {
  child: ChildProcess;
  api: string;
  output: () => string;
}

describe('a function host killed mid-run (SIGKILL) and started again', () => {
  let sandbox: SandboxHandle;
  let env: Record<string, string | undefined>;
  let userId = '';
  let organizerEvents = 0;
  const hosts: ChildProcess[] = [];

  before(async () => {
    const input = generateTenant({ users: 4, meetings: 150, seed: 77 });
    const seed = tenantSeed.parse(input);
    sandbox = await startSandbox({ seed: input });
    // Slow enough that the kill lands half-way.
    sandbox.tenant.throttle.setConfig({ latencyMs: 15 });
    const tables = testTables('crash');
    await loadLocalData(createRepositories(tables), input, {
      audioConferencingPlanIds: [AUDIO_PLAN],
      now: new Date(),
    });
    const online = seed.users.filter(hasMailbox);
    const byCount = online
      .map((u) => ({
        u,
        n: sandbox.tenant.storedEvents().filter((e) => e.organizerUserId === u.id && e.mailboxUserId === u.id)
          .length,
      }))
      .sort((a, b) => b.n - a.n);
    userId = byCount[0]?.u.id ?? '';
    organizerEvents = byCount[0]?.n ?? 0;
    env = {
      ...process.env,
      TABLES_CONNECTION_STRING:
        tables.tables.kind === 'connectionString' ? tables.tables.connectionString : '',
      TABLES_ENDPOINT: '',
      TABLES_PREFIX: tables.tablesPrefix,
      QUEUE_TRANSPORT: 'embedded',
      GRAPH_BASE_URL: sandbox.url,
      GRAPH_CREDENTIAL: 'sandbox',
      GRAPH_SANDBOX_TOKEN: sandbox.token,
      MIGRATION_DELAY_SECONDS: '0',
      AUDIO_CONFERENCING_PLAN_IDS: AUDIO_PLAN,
      MMS_FUNCTION_KEY: KEY,
      MMS_QUEUE_LOCK_SECONDS: '3',
      FUNCTIONS_WORKER_RUNTIME: 'node',
      NODE_PATH: [join(ROOT, 'dist', 'dev', 'host', 'stubs'), process.env.NODE_PATH]
        .filter((p) => p !== undefined && p !== '')
        .join(delimiter),
      NODE_EXTRA_CA_CERTS: join(ROOT, 'dev', 'sandbox', 'certs', 'sandbox-dev-only.crt'),
    };
    delete env.NOTIFICATION_URL;
    delete env.GRAPH_CLIENT_STATE;
  });
  after(async () => {
    for (const h of hosts) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
    await sandbox.stop();
  });

  async function startHost(): Promise<Host> {
    const child = spawn(NODE, [join(ROOT, 'dist', 'dev', 'host', 'main.js'), '--port', '0'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    hosts.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`host not ready:\n${out}`)), 60_000);
      child.on('message', (m: unknown) => {
        if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready') {
          clearTimeout(timer);
          resolve(m as ReadyMessage);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`host exited (${signal ?? code}):\n${out}`));
      });
    });
    return { child, api: `${ready.url}/${ready.routePrefix}`, output: () => out };
  }

  const patchesOf = (id: string) =>
    sandbox.tenant
      .updateLog()
      .filter((u) => u.organizer.length > 0 && u.mailboxUserId === id && u.cause === 'patch');

  async function status(api: string): Promise<{ state: string; invitesUpdate: number; lastMessage: string }> {
    const res = await fetch(`${api}/migrations/${userId}`, { headers: { 'x-functions-key': KEY } });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { state: string; invitesUpdate: number; lastMessage: string };
  }

  it('ends Succeeded with no duplicate update and every update counted once', async () => {
    assert.ok(organizerEvents >= 40, `a long migration (${organizerEvents} meetings)`);
    const first = await startHost();
    const started = await fetch(`${first.api}/migrations`, {
      method: 'POST',
      headers: { 'x-functions-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ identity: userId }),
    });
    assert.equal(started.status, 202, await started.text());

    // Half-way: kill the whole host process, no goodbye.
    const deadline = Date.now() + 60_000;
    while (new Set(patchesOf(userId).map((u) => u.eventId)).size < 12) {
      assert.ok(Date.now() < deadline, `the run did not get going:\n${first.output()}`);
      await sleep(10);
    }
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const beforeRestart = new Set(patchesOf(userId).map((u) => u.eventId)).size;
    const second = await startHost();
    assert.equal((await status(second.api)).state, 'InProgress', 'the dead run is still InProgress');

    // Touch nothing: the durable queue redelivers the message once its lock expires, and the run resumes.
    let s = await status(second.api);
    const until = Date.now() + 120_000;
    while (s.state !== 'Succeeded') {
      assert.ok(Date.now() < until, `not Succeeded: ${JSON.stringify(s)}\n${second.output()}`);
      assert.notEqual(s.state, 'Failed', s.lastMessage);
      await sleep(250);
      s = await status(second.api);
    }

    const counts = sandbox.tenant.updateCounts();
    const updated = new Set(patchesOf(userId).map((u) => u.eventId));
    assert.ok(updated.size > beforeRestart, 'the restarted host finished the work');
    for (const eventId of updated) {
      const c = counts[eventId];
      assert.ok(c);
      for (const [attendee, n] of Object.entries(c.byAttendee)) {
        const own = n - (c.fromSeriesMaster[attendee] ?? 0);
        assert.ok(own <= 1, `${attendee} got ${own} updates of ${eventId}`);
      }
    }
    assert.equal(s.invitesUpdate, updated.size, "every update counted once, the dead host's included");
    second.child.kill('SIGTERM');
  });
});
