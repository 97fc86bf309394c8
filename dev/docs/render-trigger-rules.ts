/**
 * Renders docs/trigger-rules.md (the README's "Trigger rules" section) from `TRIGGER_RULES`, so the document
 * cannot drift from the code: test/unit/admin-actions/trigger-rules-doc.test.ts compares the file with
 * `renderTriggerRulesMarkdown()`.
 *
 *   node dist/dev/docs/render-trigger-rules.js            prints the document
 *   node dist/dev/docs/render-trigger-rules.js --write    rewrites docs/trigger-rules.md
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TRIGGER_RULES,
  type ChangeKind,
  type TriggerGate,
  type TriggerRule,
} from '../../shared/domain/trigger-rules';

/** What each gate needs, in the tenant settings' names. */
export const GATE_SETTINGS: Readonly<Record<TriggerGate, string>> = {
  always: 'none (an explicit admin request)',
  migration: '`meetingMigrationEnabled`',
  dialIn: '`meetingMigrationEnabled` + `automaticallyMigrateUserMeetings`',
  dialInAndAcp:
    '`meetingMigrationEnabled` + `automaticallyMigrateUserMeetings` + `automaticallyReplaceAcpProvider`',
  never: '— (not a trigger)',
};

/** Triggers first (table order), then the non-triggers. */
function orderedRules(): [ChangeKind, TriggerRule][] {
  const entries = Object.entries(TRIGGER_RULES) as [ChangeKind, TriggerRule][];
  return [...entries.filter(([, r]) => r.gate !== 'never'), ...entries.filter(([, r]) => r.gate === 'never')];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function migrationTypeCell(rule: TriggerRule): string {
  if (rule.migrationType === null) return 'none';
  if (rule.migrationType === 'request') return "the admin's `sourceMeetingType`/`targetMeetingType`";
  return `\`${rule.migrationType}\``;
}

export const TRIGGER_RULES_DOC_PATH = join('docs', 'trigger-rules.md');

/** The whole of docs/trigger-rules.md. */
export function renderTriggerRulesMarkdown(): string {
  const lines: string[] = [
    '# Trigger rules',
    '',
    '<!-- Generated from TRIGGER_RULES (shared/domain/trigger-rules.ts) by dev/docs/render-trigger-rules.ts;',
    '     run `npm run build && node dist/dev/docs/render-trigger-rules.js --write` after changing the rules. -->',
    '',
    "What starts a migration of a user's meetings, which tenant settings gate it, and which `migrationType` it",
    'asks for. Settings: `meetingMigrationEnabled` (`/api/settings/migration`), `automaticallyMigrateUserMeetings`',
    'and `automaticallyReplaceAcpProvider` (`/api/settings/dial-in`). MMS trigger numbers refer to',
    '`reference/mms-behaviour.md` §1.',
    '',
    "Every trigger goes through one path: the request is recorded on the user's status (`Pending`, with the",
    'trigger and the time it runs, `MIGRATION_DELAY_SECONDS` later). Triggers for a user who is already `Pending`',
    'merge into that migration (the broader `migrationType` wins); a trigger while the user is `InProgress` queues',
    'exactly one follow-up.',
    '',
    '| Trigger | MMS | Gating setting | Resulting migrationType | Notes |',
    '|---|---|---|---|---|',
  ];
  for (const [kind, rule] of orderedRules()) {
    lines.push(
      `| \`${kind}\`: ${cell(rule.description)} | ${rule.mms ?? '—'} | ${GATE_SETTINGS[rule.gate]} | ` +
        `${migrationTypeCell(rule)} | ${cell(rule.note ?? '')} |`,
    );
  }
  lines.push(
    '',
    'A user on a third-party audio-conferencing provider is not migrated by dial-in triggers: their invitations',
    "show the provider's numbers. The admin actions that produce these triggers:",
    '',
    '- `PATCH /api/users/{identity}/dial-in`: enable/disable, provider, bridge, default numbers, conference id',
    '  (one migration per PATCH, whatever the number of fields changed);',
    '- `DELETE /api/bridges/{bridgeId}/numbers/{number}`: every user whose default the number was;',
    '- `PUT /api/users/{identity}/teams-upgrade`: a per-user grant.',
    '',
  );
  return lines.join('\n');
}

if (require.main === module) {
  const text = renderTriggerRulesMarkdown();
  if (process.argv.includes('--write')) {
    const target = join(__dirname, '..', '..', '..', TRIGGER_RULES_DOC_PATH);
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  } else {
    process.stdout.write(text);
  }
}
