/**
 * OnlineMeetingsGateway: Teams meetings, for converting Skype meetings to Teams and for reading what a Teams
 * meeting's invitation must show (join link, meeting ID and passcode, dial-in).
 *
 * - `POST /users/{id}/onlineMeetings/createOrGet` (DC `api/onlinemeeting-createorget.md`): keyed by tenant + user
 *   + externalId, 201 for a new meeting, 200 for the existing one, so a retry never makes a second meeting.
 * - `GET /users/{id}/onlineMeetings?$filter=JoinWebUrl eq '…'` (DC `api/onlinemeeting-get.md`).
 *
 * Both need OnlineMeetings.ReadWrite.All plus a Teams application access policy granted to the user; without it
 * Graph answers 403, passed on as GraphRequestError. `{id}` is always the user's object id (Graph takes no UPN
 * here). `Accept-Language` asks for the invitation (`joinInformation`) in the organizer's language.
 */
import type { GraphClient } from './client';
import { segment } from './odata';
import type { CreateTeamsMeeting, OnlineMeetingsGateway, TeamsMeeting } from './ports';
import { collectionPage, parseGraph, teamsMeetingSchema } from './schemas';

/** An OData string literal: single quotes doubled. */
function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export class GraphOnlineMeetingsGateway implements OnlineMeetingsGateway {
  constructor(private readonly graph: GraphClient) {}

  async createTeamsMeeting(
    userId: string,
    meeting: CreateTeamsMeeting,
  ): Promise<TeamsMeeting & { created: boolean }> {
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
      ...(meeting.language !== undefined ? { headers: { 'Accept-Language': meeting.language } } : {}),
      // createOrGet with an externalId returns the same meeting when repeated, so it can be re-sent safely.
      idempotent: createOrGet,
      operation,
    });
    return { ...parseGraph(teamsMeetingSchema, res.body, operation), created: res.status === 201 };
  }

  async findTeamsMeetingByJoinUrl(
    userId: string,
    joinWebUrl: string,
    options: { language?: string } = {},
  ): Promise<TeamsMeeting | null> {
    const operation = 'find online meeting by join URL';
    const filter = encodeURIComponent(`JoinWebUrl eq ${literal(joinWebUrl)}`);
    const res = await this.graph.send({
      method: 'GET',
      path: `/users/${segment(userId)}/onlineMeetings?$filter=${filter}`,
      ...(options.language !== undefined ? { headers: { 'Accept-Language': options.language } } : {}),
      operation,
    });
    const page = parseGraph(collectionPage, res.body, operation);
    const first = page.value[0];
    return first === undefined ? null : parseGraph(teamsMeetingSchema, first, operation);
  }
}
