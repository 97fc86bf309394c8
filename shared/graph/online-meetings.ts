/**
 * OnlineMeetingsGateway: standalone Teams meetings (POST /users/{id}/onlineMeetings), for converting Skype
 * meetings to Teams. Needs OnlineMeetings.ReadWrite.All plus an application access policy granted to the users
 * (graph-facts §5); without it Graph answers 403 with a message saying so, passed on as GraphRequestError.
 */
import type { GraphClient } from './client';
import { segment } from './odata';
import type { CreateTeamsMeeting, OnlineMeetingsGateway, TeamsMeeting } from './ports';
import { parseGraph, teamsMeetingSchema } from './schemas';

export class GraphOnlineMeetingsGateway implements OnlineMeetingsGateway {
  constructor(private readonly graph: GraphClient) {}

  async createTeamsMeeting(userId: string, meeting: CreateTeamsMeeting): Promise<TeamsMeeting> {
    const createOrGet = meeting.externalId !== undefined;
    const operation = createOrGet ? 'createOrGet online meeting' : 'create online meeting';
    const res = await this.graph.send({
      method: 'POST',
      path: `/users/${segment(userId)}/onlineMeetings${createOrGet ? '/createOrGet' : ''}`,
      body: {
        subject: meeting.subject,
        startDateTime: meeting.start.toISOString(),
        endDateTime: meeting.end.toISOString(),
        ...(createOrGet ? { externalId: meeting.externalId } : {}),
      },
      // createOrGet with an externalId returns the same meeting when repeated, so it can be re-sent safely.
      idempotent: createOrGet,
      operation,
    });
    return parseGraph(teamsMeetingSchema, res.body, operation);
  }
}
