/**
 * Migration types: what a migration does to which meetings.
 *
 * An admin (or a trigger) asks for a migration with `Start-CsExMeetingMigration`'s two parameters,
 * `sourceMeetingType` (which meetings: All, SfB or Teams) and `targetMeetingType` (Current: refresh each meeting
 * in its own kind; Teams: make it a Teams meeting). The status record reports the pair as one `migrationType`,
 * with MMS's names (reference/mms-behaviour.md §5.1 and §5.2).
 *
 * When two requests for one user merge (a trigger arrives while a migration is pending), the merged migration
 * must do everything either request asked for: `broaderMigrationType` is that join. See its comment for the
 * order.
 */
import { z } from 'zod';

export const SOURCE_MEETING_TYPES = ['All', 'SfB', 'Teams'] as const;
export type SourceMeetingType = (typeof SOURCE_MEETING_TYPES)[number];
export const sourceMeetingTypeSchema = z.enum(SOURCE_MEETING_TYPES);

export const TARGET_MEETING_TYPES = ['Current', 'Teams'] as const;
export type TargetMeetingType = (typeof TARGET_MEETING_TYPES)[number];
export const targetMeetingTypeSchema = z.enum(TARGET_MEETING_TYPES);

/** MMS's `MigrationType` values. `SfbToSfb` is historical: `migrationTypeFor` never produces it. */
export const MIGRATION_TYPES = [
  'SfbToTeams',
  'TeamsToTeams',
  'AllToTeams',
  'ToSameType',
  'SfbToSfb',
] as const;
export type MigrationType = (typeof MIGRATION_TYPES)[number];
export const migrationTypeSchema = z.enum(MIGRATION_TYPES);

/** A migration request as `Start-CsExMeetingMigration` takes it. */
export interface MeetingTypeSelection {
  sourceMeetingType: SourceMeetingType;
  targetMeetingType: TargetMeetingType;
}

/**
 * The `migrationType` of a request, per the table of mms-behaviour.md §5.1:
 *
 * | source \ target | Current    | Teams        |
 * |-----------------|------------|--------------|
 * | All             | ToSameType | AllToTeams   |
 * | SfB             | ToSameType | SfbToTeams   |
 * | Teams           | ToSameType | TeamsToTeams |
 *
 * (MMS once reported SfB/Current as `SfbToSfb`; today it reports `ToSameType`, and so do we. The status record
 * keeps the exact `sourceMeetingType` next to it, so nothing is lost.)
 */
export function migrationTypeFor(source: SourceMeetingType, target: TargetMeetingType): MigrationType {
  if (target === 'Current') return 'ToSameType';
  switch (source) {
    case 'All':
      return 'AllToTeams';
    case 'SfB':
      return 'SfbToTeams';
    case 'Teams':
      return 'TeamsToTeams';
  }
}

/**
 * The request a migration type stands for, when only the type is known (a merged migration, an old record).
 * `ToSameType` maps to the widest request of that type, All/Current.
 */
export function selectionForMigrationType(type: MigrationType): MeetingTypeSelection {
  switch (type) {
    case 'ToSameType':
      return { sourceMeetingType: 'All', targetMeetingType: 'Current' };
    case 'SfbToSfb':
      return { sourceMeetingType: 'SfB', targetMeetingType: 'Current' };
    case 'SfbToTeams':
      return { sourceMeetingType: 'SfB', targetMeetingType: 'Teams' };
    case 'TeamsToTeams':
      return { sourceMeetingType: 'Teams', targetMeetingType: 'Teams' };
    case 'AllToTeams':
      return { sourceMeetingType: 'All', targetMeetingType: 'Teams' };
  }
}

/**
 * What a migration type does to each kind of meeting: `none` (left alone), `refresh` (the block is rewritten in
 * the meeting's own kind, with current coordinates) or `toTeams` (a Skype meeting becomes a Teams meeting).
 * A Teams meeting "converted to Teams" is a refresh, so Teams meetings only have `none` or `refresh`.
 */
export interface MigrationEffect {
  skype: 'none' | 'refresh' | 'toTeams';
  teams: 'none' | 'refresh';
}

export function migrationEffect(type: MigrationType): MigrationEffect {
  switch (type) {
    case 'SfbToSfb':
      return { skype: 'refresh', teams: 'none' };
    case 'ToSameType':
      return { skype: 'refresh', teams: 'refresh' };
    case 'TeamsToTeams':
      return { skype: 'none', teams: 'refresh' };
    case 'SfbToTeams':
      return { skype: 'toTeams', teams: 'none' };
    case 'AllToTeams':
      return { skype: 'toTeams', teams: 'refresh' };
  }
}

const SKYPE_RANK = { none: 0, refresh: 1, toTeams: 2 } as const;
const TEAMS_RANK = { none: 0, refresh: 1 } as const;

function typeForEffect(e: MigrationEffect): MigrationType {
  if (e.skype === 'toTeams') return e.teams === 'refresh' ? 'AllToTeams' : 'SfbToTeams';
  if (e.skype === 'refresh') return e.teams === 'refresh' ? 'ToSameType' : 'SfbToSfb';
  return 'TeamsToTeams';
}

/**
 * The smallest migration type that does everything `a` and `b` do: the one a merged migration runs.
 *
 * Per kind of meeting, `none` < `refresh` < `toTeams` (a conversion to Teams also writes current coordinates, so
 * it covers a refresh; it is never undone, so a pending conversion is never lost to a merge). The join is taken
 * per kind and named again. The resulting order (⊂ = "does less than"):
 *
 *     SfbToSfb ⊂ ToSameType ⊂ AllToTeams      TeamsToTeams ⊂ ToSameType      SfbToSfb ⊂ SfbToTeams ⊂ AllToTeams
 *
 * and the incomparable pairs meet above both: SfbToTeams + ToSameType = AllToTeams,
 * SfbToTeams + TeamsToTeams = AllToTeams, SfbToSfb + TeamsToTeams = ToSameType.
 * It is commutative, associative and idempotent, so the order in which triggers arrive does not matter.
 */
export function broaderMigrationType(a: MigrationType, b: MigrationType): MigrationType {
  const ea = migrationEffect(a);
  const eb = migrationEffect(b);
  return typeForEffect({
    skype: SKYPE_RANK[ea.skype] >= SKYPE_RANK[eb.skype] ? ea.skype : eb.skype,
    teams: TEAMS_RANK[ea.teams] >= TEAMS_RANK[eb.teams] ? ea.teams : eb.teams,
  });
}

/**
 * Merges two requests. Equal requests stay as they are; different ones become the request of their
 * `broaderMigrationType` (`selectionForMigrationType`), which selects at least every meeting either selected.
 */
export function mergeMeetingTypeSelections(
  a: MeetingTypeSelection,
  b: MeetingTypeSelection,
): MeetingTypeSelection {
  if (a.sourceMeetingType === b.sourceMeetingType && a.targetMeetingType === b.targetMeetingType) return a;
  const ta = migrationTypeFor(a.sourceMeetingType, a.targetMeetingType);
  const tb = migrationTypeFor(b.sourceMeetingType, b.targetMeetingType);
  return selectionForMigrationType(broaderMigrationType(ta, tb));
}
