/**
 * `POST /users/{id}/onlineMeetings`: a standalone Teams meeting as Graph returns it — join URL, meeting id and
 * passcode, chat thread, participants, audio conferencing from the organizer's bridge (only when the organizer
 * has the Audio Conferencing plan), and `joinInformation` as a URL-encoded `data:text/html,` invitation.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';
import { PERMISSIONS } from './auth';
import { describeIssues, GraphError, ok, parseJsonBody } from './http';
import { PLANS } from './licences';
import type { GraphRoute } from './router';
import type { SeedBridge } from './seed';
import type { SandboxTenant, StoredUser } from './tenant';

const createBody = z
  .object({
    subject: z.string().optional(),
    startDateTime: z.string().optional(),
    endDateTime: z.string().optional(),
    externalId: z.string().optional(),
    participants: z.unknown().optional(),
    lobbyBypassSettings: z.unknown().optional(),
    allowedPresenters: z.string().optional(),
  })
  .passthrough();

function digits(n: number): string {
  let s = String(randomInt(1, 10));
  while (s.length < n) s += String(randomInt(0, 10));
  return s;
}

function hasAudioConferencing(u: StoredUser): boolean {
  return u.assignedPlans.some(
    (p) =>
      p.servicePlanId.toLowerCase() === PLANS.MCOMEETADV.servicePlanId && p.capabilityStatus === 'Enabled',
  );
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Audio {
  conferenceId: string;
  tollNumber: string;
  tollFreeNumber: string | null;
  dialinUrl: string;
}

function audioFor(tenant: SandboxTenant, u: StoredUser): Audio | null {
  if (!hasAudioConferencing(u)) return null;
  const dialIn = u.sandboxDialIn;
  if (dialIn && (!dialIn.enabled || dialIn.provider !== 'Microsoft')) return null;
  const bridges: SeedBridge[] = tenant.bridges;
  const bridge =
    bridges.find((b) => b.id === dialIn?.bridgeId) ?? bridges.find((b) => b.isDefault) ?? bridges[0];
  if (!bridge) return null;
  return {
    conferenceId: dialIn?.conferenceId ?? digits(9),
    tollNumber: dialIn?.tollNumber ?? bridge.defaultTollNumber,
    tollFreeNumber: dialIn?.tollFreeNumber ?? bridge.defaultTollFreeNumber ?? null,
    dialinUrl: bridge.dialInUrl,
  };
}

function joinInformation(joinUrl: string, meetingId: string, passcode: string, audio: Audio | null): string {
  const rule =
    '<div style="width:100%"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36;">________________________________________________________________________________</span></div>';
  const spaced = meetingId.replace(/(\d{3})(?=\d)/g, '$1 ');
  const phone = audio
    ? `<div style="margin-bottom:20px;margin-top:20px"><div style="margin-bottom:4px;font-weight:bold"><span style="font-size:14px;color:#252424">Or call in (audio only)</span></div>` +
      `<div style="margin-bottom:0px"><a href="tel:${esc(audio.tollNumber.replace(/[^+\d]/g, ''))},,${audio.conferenceId}#" target="_blank">${esc(audio.tollNumber)},,${audio.conferenceId}#</a></div>` +
      (audio.tollFreeNumber
        ? `<div style="margin-bottom:0px"><a href="tel:${esc(audio.tollFreeNumber.replace(/[^+\d]/g, ''))},,${audio.conferenceId}#" target="_blank">${esc(audio.tollFreeNumber)},,${audio.conferenceId}#</a> (Toll-free)</div>`
        : '') +
      `<div style="margin-bottom:4px"><span style="font-size:14px;color:#252424">Phone conference ID: </span><span style="font-size:16px;color:#252424">${audio.conferenceId.replace(/(\d{3})(?=\d)/g, '$1 ')}#</span></div>` +
      `<div><a href="${esc(audio.dialinUrl)}" target="_blank">Find a local number</a> | <a href="https://dialin.teams.microsoft.com/usp/pstnconferencing" target="_blank">Reset PIN</a></div></div>`
    : '';
  return (
    rule +
    '<div class="me-email-text" lang="en-US" style="color:#252424;font-family:\'Segoe UI\',\'Helvetica Neue\',Helvetica,Arial,sans-serif;">' +
    '<div style="margin-top:24px;margin-bottom:20px;"><span style="font-size:24px;color:#252424">Microsoft Teams meeting</span></div>' +
    '<div style="margin-bottom:20px;"><div style="margin-top:0px;margin-bottom:0px;font-weight:bold"><span style="font-size:14px;color:#252424">Join on your computer, mobile app or room device</span></div>' +
    `<a class="me-email-headline" style="font-size:14px;font-family:'Segoe UI Semibold';text-decoration:underline;color:#6264a7;" href="${esc(joinUrl)}" target="_blank" rel="noreferrer noopener">Click here to join the meeting</a></div>` +
    `<div style="margin-bottom:20px;margin-top:20px"><div style="margin-bottom:4px"><span data-tid="meeting-code" style="font-size:14px;color:#252424;">Meeting ID: <span style="font-size:16px;color:#252424;">${spaced}</span></span><br>` +
    `<span style="font-size:14px;color:#252424;">Passcode: </span><span style="font-size:16px;color:#252424;">${esc(passcode)}</span></div></div>` +
    phone +
    '<div style="margin-top:20px;margin-bottom:20px"><a href="https://aka.ms/JoinTeamsMeeting" target="_blank">Learn More</a></div></div>' +
    rule
  );
}

export const onlineMeetingRoutes: GraphRoute[] = [
  {
    method: 'POST',
    pattern: '/users/:user/onlineMeetings',
    permissions: PERMISSIONS.writeOnlineMeetings,
    handler: (ctx) => {
      const u = ctx.tenant.requireUser(ctx.params.user ?? '');
      const parsed = createBody.safeParse(parseJsonBody(ctx.req));
      if (!parsed.success) throw new GraphError(400, 'BadRequest', describeIssues(parsed.error.issues));
      const b = parsed.data;
      const now = new Date();
      const start = b.startDateTime ? new Date(b.startDateTime) : now;
      const end = b.endDateTime ? new Date(b.endDateTime) : new Date(start.getTime() + 3_600_000);
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
        throw new GraphError(400, 'BadRequest', 'startDateTime and endDateTime must be ISO 8601 date-times.');
      }
      const thread = `19:meeting_${randomBytes(36).toString('base64url').slice(0, 48)}@thread.v2`;
      const context = JSON.stringify({ Tid: ctx.tenant.tenantId, Oid: u.id });
      const joinWebUrl = `https://teams.microsoft.com/l/meetup-join/${encodeURIComponent(thread)}/0?context=${encodeURIComponent(context)}`;
      const meetingId = digits(12);
      const passcode = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
      const audio = audioFor(ctx.tenant, u);
      const id = Buffer.from(`1*${u.id}*0**${thread}`).toString('base64url');
      const json: Record<string, unknown> = {
        '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#users('${encodeURIComponent(u.id)}')/onlineMeetings/$entity`,
        id,
        creationDateTime: now.toISOString(),
        startDateTime: start.toISOString(),
        endDateTime: end.toISOString(),
        joinWebUrl,
        subject: b.subject ?? null,
        isBroadcast: false,
        externalId: b.externalId ?? null,
        videoTeleconferenceId: null,
        isEntryExitAnnounced: true,
        allowedPresenters: 'everyone',
        allowMeetingChat: 'enabled',
        allowTeamworkReactions: true,
        allowAttendeeToEnableCamera: true,
        allowAttendeeToEnableMic: true,
        recordAutomatically: false,
        meetingOptionsWebUrl: `https://teams.microsoft.com/meetingOptions/?organizerId=${u.id}&tenantId=${ctx.tenant.tenantId}&threadId=${encodeURIComponent(thread)}&messageId=0&language=en-US`,
        audioConferencing: audio
          ? {
              conferenceId: audio.conferenceId,
              tollNumber: audio.tollNumber,
              tollFreeNumber: audio.tollFreeNumber,
              tollNumbers: [audio.tollNumber],
              tollFreeNumbers: audio.tollFreeNumber ? [audio.tollFreeNumber] : [],
              dialinUrl: audio.dialinUrl,
            }
          : null,
        chatInfo: { threadId: thread, messageId: '0', replyChainMessageId: null },
        joinMeetingIdSettings: { isPasscodeRequired: true, joinMeetingId: meetingId, passcode },
        lobbyBypassSettings: { scope: 'organization', isDialInBypassEnabled: false },
        participants: {
          organizer: {
            upn: u.userPrincipalName,
            role: 'presenter',
            identity: { user: { id: u.id, displayName: null } },
          },
          attendees: [],
        },
        joinInformation: {
          content:
            'data:text/html,' + encodeURIComponent(joinInformation(joinWebUrl, meetingId, passcode, audio)),
          contentType: 'html',
        },
      };
      ctx.tenant.saveOnlineMeeting(u.id, json);
      return ok(json, 201);
    },
  },
];
