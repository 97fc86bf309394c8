/**
 * Migration types: the Start-CsExMeetingMigration table, the mapping back, and the join used when requests merge.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MIGRATION_TYPES,
  broaderMigrationType,
  mergeMeetingTypeSelections,
  migrationEffect,
  migrationTypeFor,
  selectionForMigrationType,
  type MigrationType,
} from '../../../shared/domain/migration-type';

describe('migrationTypeFor', () => {
  it('follows the table of mms-behaviour.md §5.1', () => {
    assert.equal(migrationTypeFor('All', 'Current'), 'ToSameType');
    assert.equal(migrationTypeFor('SfB', 'Current'), 'ToSameType');
    assert.equal(migrationTypeFor('Teams', 'Current'), 'ToSameType');
    assert.equal(migrationTypeFor('All', 'Teams'), 'AllToTeams');
    assert.equal(migrationTypeFor('SfB', 'Teams'), 'SfbToTeams');
    assert.equal(migrationTypeFor('Teams', 'Teams'), 'TeamsToTeams');
  });

  it('maps each type back to a request of that type (SfbToSfb: the historical name of SfB/Current)', () => {
    assert.deepEqual(selectionForMigrationType('ToSameType'), {
      sourceMeetingType: 'All',
      targetMeetingType: 'Current',
    });
    assert.deepEqual(selectionForMigrationType('SfbToSfb'), {
      sourceMeetingType: 'SfB',
      targetMeetingType: 'Current',
    });
    assert.deepEqual(selectionForMigrationType('SfbToTeams'), {
      sourceMeetingType: 'SfB',
      targetMeetingType: 'Teams',
    });
    assert.deepEqual(selectionForMigrationType('TeamsToTeams'), {
      sourceMeetingType: 'Teams',
      targetMeetingType: 'Teams',
    });
    assert.deepEqual(selectionForMigrationType('AllToTeams'), {
      sourceMeetingType: 'All',
      targetMeetingType: 'Teams',
    });
    for (const t of MIGRATION_TYPES) {
      const s = selectionForMigrationType(t);
      assert.equal(
        migrationTypeFor(s.sourceMeetingType, s.targetMeetingType),
        t === 'SfbToSfb' ? 'ToSameType' : t,
      );
    }
  });
});

describe('broaderMigrationType', () => {
  // Row ∨ column, written out.
  const T: MigrationType[] = ['SfbToSfb', 'ToSameType', 'TeamsToTeams', 'SfbToTeams', 'AllToTeams'];
  // prettier-ignore
  const JOIN: MigrationType[][] = [
    /* SfbToSfb     */ ['SfbToSfb',   'ToSameType', 'ToSameType', 'SfbToTeams', 'AllToTeams'],
    /* ToSameType   */ ['ToSameType', 'ToSameType', 'ToSameType', 'AllToTeams', 'AllToTeams'],
    /* TeamsToTeams */ ['ToSameType', 'ToSameType', 'TeamsToTeams', 'AllToTeams', 'AllToTeams'],
    /* SfbToTeams   */ ['SfbToTeams', 'AllToTeams', 'AllToTeams', 'SfbToTeams', 'AllToTeams'],
    /* AllToTeams   */ ['AllToTeams', 'AllToTeams', 'AllToTeams', 'AllToTeams', 'AllToTeams'],
  ];

  it('matches the written-out join table', () => {
    T.forEach((a, i) =>
      T.forEach((b, j) => assert.equal(broaderMigrationType(a, b), JOIN[i]![j], `${a} ∨ ${b}`)),
    );
  });

  it('is commutative, associative and idempotent, so arrival order does not matter', () => {
    for (const a of T) {
      assert.equal(broaderMigrationType(a, a), a);
      for (const b of T) {
        assert.equal(broaderMigrationType(a, b), broaderMigrationType(b, a));
        for (const c of T) {
          assert.equal(
            broaderMigrationType(broaderMigrationType(a, b), c),
            broaderMigrationType(a, broaderMigrationType(b, c)),
          );
        }
      }
    }
  });

  it('never does less to any kind of meeting than either side', () => {
    const rank = { none: 0, refresh: 1, toTeams: 2 } as const;
    for (const a of T) {
      for (const b of T) {
        const j = migrationEffect(broaderMigrationType(a, b));
        for (const side of [a, b]) {
          const e = migrationEffect(side);
          assert.ok(rank[j.skype] >= rank[e.skype], `${a} ∨ ${b} skype`);
          assert.ok(rank[j.teams] >= rank[e.teams], `${a} ∨ ${b} teams`);
        }
      }
    }
  });

  it('keeps a pending conversion to Teams when a dial-in refresh merges in', () => {
    assert.equal(broaderMigrationType('SfbToTeams', 'ToSameType'), 'AllToTeams');
  });
});

describe('mergeMeetingTypeSelections', () => {
  it('keeps equal requests as they are, and widens different ones', () => {
    const teamsOnly = { sourceMeetingType: 'Teams', targetMeetingType: 'Current' } as const;
    assert.deepEqual(mergeMeetingTypeSelections(teamsOnly, teamsOnly), teamsOnly);
    assert.deepEqual(
      mergeMeetingTypeSelections(
        { sourceMeetingType: 'All', targetMeetingType: 'Current' },
        { sourceMeetingType: 'SfB', targetMeetingType: 'Teams' },
      ),
      { sourceMeetingType: 'All', targetMeetingType: 'Teams' },
    );
    assert.deepEqual(
      mergeMeetingTypeSelections(teamsOnly, { sourceMeetingType: 'SfB', targetMeetingType: 'Current' }),
      { sourceMeetingType: 'All', targetMeetingType: 'Current' },
    );
  });
});
