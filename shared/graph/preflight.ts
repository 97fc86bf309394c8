/**
 * The read-only Graph requests of the preflight (shared/services/preflight.ts) that no other gateway sends: a
 * sample of users, and whether a mailbox's calendar can be read. Both are declared in routes.ts.
 */
import type { GraphClient } from './client';
import { buildPath, segment } from './odata';
import { parseGraph } from './schemas';
import { z } from 'zod';

const sampleSchema = z.object({
  value: z.array(
    z.object({
      id: z.string().min(1),
      userPrincipalName: z.string().min(1),
      onPremisesSyncEnabled: z.boolean().nullable().optional(),
      assignedPlans: z
        .array(
          z.object({
            service: z.string().nullable().optional(),
            capabilityStatus: z.string().nullable().optional(),
          }),
        )
        .nullable()
        .optional()
        .transform((v) => v ?? []),
    }),
  ),
});

export interface SampleUser {
  id: string;
  userPrincipalName: string;
  /** Holds an enabled Exchange Online plan: has a mailbox unless it is on-premises. */
  exchangeLicensed: boolean;
  /** Synchronised from on-premises AD (a hybrid user, whose mailbox may be on-premises). */
  synced: boolean;
}

export class GraphPreflightGateway {
  constructor(private readonly graph: GraphClient) {}

  /** The first `top` users of the directory (user-list.md; `$top` at most 999). */
  async sampleUsers(top: number): Promise<SampleUser[]> {
    const operation = 'list users';
    const res = await this.graph.send({
      method: 'GET',
      path: buildPath('/users', {
        $select: ['id', 'userPrincipalName', 'assignedPlans', 'onPremisesSyncEnabled'],
        $top: top,
      }),
      operation,
    });
    return parseGraph(sampleSchema, res.body, operation).value.map((u) => ({
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      synced: u.onPremisesSyncEnabled === true,
      exchangeLicensed: u.assignedPlans.some(
        (p) => p.service?.toLowerCase() === 'exchange' && p.capabilityStatus === 'Enabled',
      ),
    }));
  }

  /** Reads one event id of the user's calendar (user-list-events.md); throws GraphRequestError when refused. */
  async readCalendar(userId: string): Promise<void> {
    await this.graph.send({
      method: 'GET',
      path: buildPath(`/users/${segment(userId)}/events`, { $select: ['id'], $top: 1 }),
      mailbox: userId,
      operation: 'read calendar',
    });
  }
}
