/**
 * docs/trigger-rules.md (the README's "Trigger rules" section) is generated from TRIGGER_RULES: this test fails
 * when the rules change and the document was not regenerated (node dist/dev/docs/render-trigger-rules.js --write).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GATE_SETTINGS,
  renderTriggerRulesMarkdown,
  TRIGGER_RULES_DOC_PATH,
} from '../../../dev/docs/render-trigger-rules';
import { TRIGGER_RULES, type ChangeKind } from '../../../shared/domain/trigger-rules';

const ROOT = join(__dirname, '..', '..', '..', '..');

describe('docs/trigger-rules.md', () => {
  it('is exactly what TRIGGER_RULES renders to', () => {
    const onDisk = readFileSync(join(ROOT, TRIGGER_RULES_DOC_PATH), 'utf8');
    assert.equal(
      onDisk,
      renderTriggerRulesMarkdown(),
      'docs/trigger-rules.md is stale: run `npm run build && node dist/dev/docs/render-trigger-rules.js --write`',
    );
  });

  it('has one table row per rule with its gating setting and migration type', () => {
    const text = renderTriggerRulesMarkdown();
    for (const [kind, rule] of Object.entries(TRIGGER_RULES) as [
      ChangeKind,
      (typeof TRIGGER_RULES)[ChangeKind],
    ][]) {
      const row = text.split('\n').find((l) => l.startsWith(`| \`${kind}\`:`));
      assert.ok(row, `no row for ${kind}`);
      const cells = row.split(' | ');
      assert.equal(cells[2], GATE_SETTINGS[rule.gate], `gate of ${kind}`);
      const type = cells[3] ?? '';
      if (rule.migrationType === null) assert.equal(type, 'none');
      else if (rule.migrationType !== 'request') assert.equal(type, `\`${rule.migrationType}\``);
    }
  });

  it('names the three tenant settings and lists the triggers before the non-triggers', () => {
    const text = renderTriggerRulesMarkdown();
    for (const s of [
      'meetingMigrationEnabled',
      'automaticallyMigrateUserMeetings',
      'automaticallyReplaceAcpProvider',
    ]) {
      assert.ok(text.includes(`\`${s}\``), s);
    }
    const rows = text.split('\n').filter((l) => l.startsWith('| `'));
    const firstNever = rows.findIndex((r) => r.includes('— (not a trigger)'));
    assert.ok(firstNever > 0);
    assert.ok(rows.slice(firstNever).every((r) => r.includes('— (not a trigger)')));
  });
});

describe('README "Trigger rules"', () => {
  it('holds the same table as the rules render to', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = renderTriggerRulesMarkdown()
      .split('\n')
      .filter((l) => l.startsWith('|'));
    assert.ok(rows.length > 10);
    for (const row of rows) assert.ok(readme.includes(row), `README lacks the row: ${row.slice(0, 80)}`);
  });
});
