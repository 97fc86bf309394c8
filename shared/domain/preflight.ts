/**
 * The preflight report (GET /api/preflight, `npm run mms -- preflight`): one row per check, pass or fail, each
 * failure with the exact command that fixes it. shared/services/preflight.ts runs the checks.
 */
import { z } from 'zod';

export const PREFLIGHT_STATUSES = ['pass', 'fail'] as const;

export const preflightCheckSchema = z.object({
  id: z.string().meta({
    description:
      'What is checked: permission, user, mailbox, calendar, teamsAccessPolicy, subscription, handshake.',
  }),
  target: z.string().meta({ description: 'The permission, user, subscription or URL checked.' }),
  status: z.enum(PREFLIGHT_STATUSES),
  detail: z.string(),
  fix: z.string().optional().meta({ description: 'For a failure: the exact command that fixes it.' }),
});
export type PreflightCheck = z.infer<typeof preflightCheckSchema>;

export const preflightReportSchema = z.object({
  ok: z.boolean().meta({ description: 'True when every check passed.' }),
  graph: z.string().meta({ description: 'The Graph base URL checked.' }),
  user: z
    .string()
    .nullable()
    .meta({ description: 'The user the mailbox checks ran for (named, or a sample).' }),
  checkedAt: z.string(),
  checks: z.array(preflightCheckSchema),
});
export type PreflightReport = z.infer<typeof preflightReportSchema>;
