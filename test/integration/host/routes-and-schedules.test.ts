/** Route templates, timer schedules and host.json app-setting overrides as the local host reads them. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyHostJsonOverrides } from '../../../dev/host/host';
import { compareRoutes, compileRoute, matchRoute } from '../../../dev/host/routes';
import { parseSchedule } from '../../../dev/host/timer';

describe('route templates', () => {
  it('matches literals case-insensitively and decodes parameters', () => {
    const r = compileRoute('migrations/{identity}/meetings');
    assert.deepEqual(matchRoute(r, 'Migrations/ad%C3%A8le%40contoso.com/MEETINGS'), {
      identity: 'adèle@contoso.com',
    });
    assert.equal(matchRoute(r, 'migrations/x'), undefined);
    assert.equal(matchRoute(r, 'migrations/x/meetings/extra'), undefined);
  });

  it('supports optional trailing parameters, catch-all and constraints', () => {
    const opt = compileRoute('users/{id:guid}/{section?}');
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    assert.deepEqual(matchRoute(opt, `users/${id}`), { id });
    assert.deepEqual(matchRoute(opt, `users/${id}/dial-in`), { id, section: 'dial-in' });
    assert.equal(matchRoute(opt, 'users/not-a-guid'), undefined);
    const all = compileRoute('files/{*path}');
    assert.deepEqual(matchRoute(all, 'files/a/b/c.txt'), { path: 'a/b/c.txt' });
    assert.equal(matchRoute(all, 'files'), undefined);
  });

  it('rejects templates the host would refuse', () => {
    assert.throws(() => compileRoute('a/{x?}/b'), /only trailing segments can be optional/);
    assert.throws(() => compileRoute('a/{*x}/b'), /catch-all/);
    assert.throws(() => compileRoute('a/{x:regexish}'), /unsupported constraint/);
    assert.throws(() => compileRoute('a/{x'), /cannot read segment/);
  });

  it('orders literal segments before parameters', () => {
    const routes = ['bridges/{bridgeId}', 'bridges/summary', 'bridges/{*rest}'].map(compileRoute);
    assert.deepEqual(
      routes.sort(compareRoutes).map((r) => r.template),
      ['bridges/summary', 'bridges/{bridgeId}', 'bridges/{*rest}'],
    );
  });
});

describe('timer schedules', () => {
  const after = new Date('2026-03-04T10:20:30.500Z');

  it('reads six-field NCRONTAB expressions in UTC', () => {
    const s = parseSchedule('0 */5 * * * *', {}, 'renew');
    assert.equal(s.next(after).toISOString(), '2026-03-04T10:25:00.000Z');
    assert.equal(
      parseSchedule('0 30 9 * * Mon-Fri', {}, 'x').next(after).toISOString(),
      '2026-03-05T09:30:00.000Z',
    );
  });

  it('resolves %SETTING% and reads TimeSpan intervals', () => {
    const s = parseSchedule('%RENEW_SCHEDULE%', { RENEW_SCHEDULE: '0 0 * * * *' }, 'renew');
    assert.equal(s.next(after).toISOString(), '2026-03-04T11:00:00.000Z');
    assert.equal(parseSchedule('00:10:00', {}, 'x').next(after).toISOString(), '2026-03-04T10:30:30.500Z');
  });

  it('refuses five-field cron, unreadable expressions and missing settings, naming the function', () => {
    assert.throws(() => parseSchedule('*/5 * * * *', {}, 'renew'), /Timer "renew".*six-field/);
    assert.throws(() => parseSchedule('0 0 25 * * *', {}, 'renew'), /Timer "renew": cannot read/);
    assert.throws(() => parseSchedule('%NOPE%', {}, 'renew'), /app setting "NOPE" is not set/);
  });
});

describe('host.json overrides from app settings', () => {
  it('sets AzureFunctionsJobHost__a__b paths, case-insensitively, with numbers and booleans typed', () => {
    const json = {
      version: '2.0',
      extensions: { serviceBus: { maxConcurrentSessions: 8, maxConcurrentCalls: 16 } },
    };
    const out = applyHostJsonOverrides(json, {
      AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentSessions: '4',
      azurefunctionsjobhost__Extensions__ServiceBus__autoCompleteMessages: 'false',
      AzureFunctionsJobHost__logging__logLevel__default: 'Warning',
      UNRELATED: '1',
    });
    assert.deepEqual(out, {
      version: '2.0',
      extensions: {
        serviceBus: { maxConcurrentSessions: 4, maxConcurrentCalls: 16, autoCompleteMessages: false },
      },
      logging: { logLevel: { default: 'Warning' } },
    });
  });
});
