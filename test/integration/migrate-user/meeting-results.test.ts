/**
 * Per-meeting results are kept per migration: after a second migration of the same user, the first one's
 * results still answer as that run left them (`?correlationId=`); a correlation id that is not the user's answers
 * 404; continuation tokens page only the user, migration and query they were handed out for (forged or foreign:
 * 400, never 500). Against Azurite and the sandbox, with the real repositories.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServiceError } from '../../../shared/services/errors';
import {
  listMeetingResults,
  meetingResultsQuerySchema,
  type MeetingResultsPage,
  type MigrationQueryPorts,
} from '../../../shared/services/migration-queries';
import { deliver, organizerEvents, requestRun, startFixture, type Fixture, hasMailbox } from './fixture';

describe('per-meeting results of every migration', () => {
  let f: Fixture;
  let ports: MigrationQueryPorts;
  before(async () => {
    f = await startFixture({ users: 8, meetings: 8, seed: 57 });
    ports = {
      profiles: f.repos.profiles,
      directory: f.graph.directory,
      statuses: f.repos.status,
      ledger: f.repos.ledger,
    };
  });
  after(() => f.stop());

  const usersWithUpdates = () =>
    f.seed.users.filter(
      (u) =>
        hasMailbox(u) &&
        organizerEvents(f).filter((x) => x.ev.organizerUserId === u.id && x.expect.kind === 'update')
          .length >= 3,
    );

  async function all(identity: string, raw: Record<string, string>): Promise<MeetingResultsPage['meetings']> {
    const out: MeetingResultsPage['meetings'] = [];
    let token: string | undefined;
    do {
      const q = meetingResultsQuerySchema.parse({
        ...raw,
        pageSize: '2',
        ...(token ? { continuationToken: token } : {}),
      });
      const page = await listMeetingResults(ports, identity, q);
      out.push(...page.meetings);
      token = page.continuationToken;
    } while (token !== undefined);
    return out;
  }

  async function rejects(p: Promise<unknown>, status: number, code: string): Promise<void> {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof ServiceError, String(e));
      assert.equal(e.httpStatus, status, e.message);
      assert.equal(e.code, code);
      return true;
    });
  }

  it('an earlier migration answers its own results after a later one ran', async () => {
    const [u] = usersWithUpdates();
    assert.ok(u);
    const first = await requestRun(f, u.id);
    assert.equal((await deliver(f, first)).kind, 'finished');
    const firstResults = await all(u.id, {});
    const updated = firstResults.filter((m) => m.outcome === 'updated').length;
    assert.ok(
      updated >= 3,
      `the first migration updated meetings: ${JSON.stringify(firstResults.map((m) => [m.outcome, m.reason, m.correlationId]))}`,
    );
    const second = await requestRun(f, u.id);
    assert.equal((await deliver(f, second)).kind, 'finished');

    const current = await all(u.id, {});
    assert.ok(current.every((m) => m.correlationId === second.correlationId));
    assert.equal(current.filter((m) => m.outcome === 'updated').length, 0, 'nothing left to update');

    const earlier = await all(u.id, { correlationId: first.correlationId ?? '' });
    assert.equal(earlier.length, firstResults.length, 'the first migration is answered in full');
    assert.deepEqual(
      earlier.map((m) => [m.eventId, m.outcome]),
      firstResults.map((m) => [m.eventId, m.outcome]),
    );
  });

  it("a correlation id that is not the user's answers 404; forged and foreign tokens answer 400", async () => {
    const [a, b] = usersWithUpdates();
    assert.ok(a && b);
    const ofB = await requestRun(f, b.id);
    assert.equal((await deliver(f, ofB)).kind, 'finished');
    const ofA = (await f.repos.status.get(a.id))?.correlationId;
    assert.ok(ofA);

    await rejects(
      listMeetingResults(ports, a.id, meetingResultsQuerySchema.parse({ correlationId: ofB.correlationId })),
      404,
      'migrationRunNotFound',
    );
    await rejects(
      listMeetingResults(
        ports,
        a.id,
        meetingResultsQuerySchema.parse({ correlationId: '0f0f0f0f-0000-4000-8000-000000000000' }),
      ),
      404,
      'migrationRunNotFound',
    );

    // A token handed out for B, replayed for A.
    const bPage = await listMeetingResults(ports, b.id, meetingResultsQuerySchema.parse({ pageSize: '1' }));
    assert.ok(bPage.continuationToken);
    await rejects(
      listMeetingResults(
        ports,
        a.id,
        meetingResultsQuerySchema.parse({ continuationToken: bPage.continuationToken }),
      ),
      400,
      'invalidParameter',
    );
    // The same token with another query (naming a migration it was not handed out for).
    await rejects(
      listMeetingResults(
        ports,
        b.id,
        meetingResultsQuerySchema.parse({
          continuationToken: bPage.continuationToken,
          correlationId: ofB.correlationId,
        }),
      ),
      400,
      'invalidParameter',
    );
    // Well-formed but forged: a cursor outside the migration, for A's own user id.
    const forged = Buffer.from(JSON.stringify({ u: a.id, c: ofA, q: false, k: 'zzz|elsewhere' })).toString(
      'base64url',
    );
    await rejects(
      listMeetingResults(ports, a.id, meetingResultsQuerySchema.parse({ continuationToken: forged })),
      400,
      'invalidParameter',
    );
    assert.throws(() => meetingResultsQuerySchema.parse({ continuationToken: 'bm90IGpzb24' }));
  });
});
