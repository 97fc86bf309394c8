/** Shared helpers for the meeting-block tests: the fixture corpus and sample block infos. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { MeetingBlockInfo } from '../../../shared/domain/meeting-block';

/** Repository root, from the compiled dist/test/unit/meeting-block. */
export const repoRoot = resolve(__dirname, '../../../..');
export const fixturesDir = join(repoRoot, 'test', 'fixtures', 'bodies');

const fixtureSchema = z.object({
  file: z.string(),
  contentType: z.enum(['html', 'text']),
  notes: z.string(),
  expected: z
    .object({
      kind: z.enum(['teams', 'skype']),
      start: z.number().int().nonnegative(),
      end: z.number().int().nonnegative(),
      joinUrl: z.string(),
      conferenceId: z.string().optional(),
      lcid: z.number().int().optional(),
      head: z.string(),
      tail: z.string(),
    })
    .nullable(),
});
export type Fixture = z.infer<typeof fixtureSchema> & { body: string };

export function loadFixtures(): Fixture[] {
  const manifest = z
    .array(fixtureSchema)
    .parse(JSON.parse(readFileSync(join(fixturesDir, 'manifest.json'), 'utf8')));
  return manifest.map((f) => ({ ...f, body: readFileSync(join(fixturesDir, f.file), 'utf8') }));
}

export const TEAMS_JOIN =
  'https://teams.microsoft.com/l/meetup-join/19%3ameeting_OWI4ZDk3ZjMtYjQ2Mi00%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf-86f1-41af-91ab-2d7cd011db47%22%2c%22Oid%22%3a%22b3a7c2d1-0f4e-4d5a-9c8b-1a2b3c4d5e6f%22%7d';
export const SKYPE_JOIN = 'https://meet.lync.com/contoso/alice/F8RMKTS3';

export function teamsInfo(overrides: Partial<MeetingBlockInfo> = {}): MeetingBlockInfo {
  return {
    kind: 'teams',
    joinUrl: TEAMS_JOIN,
    conferenceId: '987654321',
    meetingId: '218281740470',
    passcode: 'BPLJz4',
    tollNumbers: [{ number: '+1 323-555-0123', place: 'United States, Los Angeles' }],
    tollFreeNumbers: [{ number: '+1 866-555-0199', place: 'United States' }],
    dialInUrl: 'https://dialin.teams.microsoft.com/8551f4c1-bea3-441a-8738-69aa517a91c5?id=987654321',
    resetPinUrl: 'https://dialin.teams.microsoft.com/usp/pstnconferencing',
    meetingOptionsUrl:
      'https://teams.microsoft.com/meetingOptions/?organizerId=b3a7c2d1&tenantId=72f988bf&threadId=19_meeting_OWI4@thread.v2&messageId=0&language=en-US',
    ...overrides,
  };
}

export function skypeInfo(overrides: Partial<MeetingBlockInfo> = {}): MeetingBlockInfo {
  return {
    kind: 'skype',
    joinUrl: SKYPE_JOIN,
    conferenceId: '84512397',
    tollNumbers: [{ number: '+1 (425) 555-0100', place: 'Redmond, WA' }],
    tollFreeNumbers: [],
    dialInUrl: 'https://dialin.lync.com/8c1e2f4d-1234-4cde-9abc-0123456789ab',
    resetPinUrl: 'https://dialin.lync.com/8c1e2f4d-1234-4cde-9abc-0123456789ab',
    ...overrides,
  };
}
