/**
 * Teams online meetings as Graph v1.0 documents them, for an application (not a signed-in user):
 *
 * - `POST /users/{id}/onlineMeetings` (DC `api/application-post-onlinemeetings.md`): a standalone meeting, 201.
 * - `POST /users/{id}/onlineMeetings/createOrGet` (DC `api/onlinemeeting-createorget.md`): `externalId` required;
 *   a meeting is identified by tenant + organizer + externalId: 201 with a new meeting, 200 with the existing one
 *   unchanged (subject and times of the repeat are ignored). start/end default to now and start + 1 h.
 * - `GET /users/{id}/onlineMeetings?$filter=JoinWebUrl eq '…'` (or `joinMeetingIdSettings/joinMeetingId eq '…'`)
 *   and `GET /users/{id}/onlineMeetings/{meetingId}` (DC `api/onlinemeeting-get.md`). No other query option: 400.
 *
 * What Graph requires, enforced here (stricter where the documents leave doubt):
 * - `{id}` is the organizer's object id: a UPN answers 400 (the documents say "userId is the object ID").
 * - A Teams application access policy granting the app the user (DC `concepts/cloud-communication-online-meeting
 *   -application-access-policy.md`): withheld → 403 "No Application Access Policy found for this app." The control
 *   API withholds and grants it per user (`PUT /_sandbox/users/{id}/teams-access-policy`).
 * - A Teams licence: the organizer needs the TEAMS1 service plan enabled, else 403 (no document states the exact
 *   answer; the sandbox refuses, so the service cannot come to rely on creating meetings for unlicensed users).
 * - `audioConferencing` only when the organizer holds Audio Conferencing (MCOMEETADV) with Microsoft dial-in
 *   enabled: numbers from their dial-in settings and bridge, their conference id. It is computed when the meeting
 *   is read, so a meeting shows the organizer's current dial-in, as Teams does.
 * - `joinInformation.content` is the invitation HTML as Graph encodes it: the whole `data:text/html,…` URL
 *   percent-encoded with upper-case hex and `+` for spaces (the Japanese sample of application-post-onlinemeetings
 *   .md: `data%3Atext%2Fhtml%2C%0A++%3Cdiv+…`), in the language of `Accept-Language` (English when unknown).
 *
 * Teams meetings of seeded Teams calendar events are registered too (an event made in Outlook has a meeting
 * behind it), so they are found by their join URL.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';
import { PERMISSIONS } from './auth';
import { describeIssues, GraphError, ok, parseJsonBody, type SandboxRequest } from './http';
import { PLANS } from './licences';
import type { GraphRoute, RouteContext } from './router';
import type { SeedBridge } from './seed';
import type { SandboxTenant, StoredOnlineMeeting, StoredUser } from './tenant';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOUR_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------- request bodies

const dateTime = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'must be an ISO 8601 date-time',
  });

/** DC application-post-onlinemeetings.md, "Request body" (the properties an application may set). */
const createBody = z
  .object({
    subject: z.string().optional(),
    startDateTime: dateTime.optional(),
    endDateTime: dateTime.optional(),
    externalId: z.string().optional(),
    participants: z.object({}).passthrough().optional(),
    lobbyBypassSettings: z.object({}).passthrough().optional(),
    allowedPresenters: z.string().optional(),
    isEntryExitAnnounced: z.boolean().optional(),
    allowMeetingChat: z.string().optional(),
    allowTeamworkReactions: z.boolean().optional(),
    recordAutomatically: z.boolean().optional(),
  })
  .strict();

/** DC onlinemeeting-createorget.md, "Request body": externalId is required. */
const createOrGetBody = z
  .object({
    externalId: z.string().min(1, 'is required'),
    subject: z.string().optional(),
    startDateTime: dateTime.optional(),
    endDateTime: dateTime.optional(),
    participants: z.object({}).passthrough().optional(),
    chatInfo: z.object({}).passthrough().optional(),
  })
  .strict();

// ---------------------------------------------------------------------------------------------- users

function planEnabled(u: StoredUser, servicePlanId: string): boolean {
  return u.assignedPlans.some(
    (p) =>
      p.servicePlanId.toLowerCase() === servicePlanId &&
      (p.capabilityStatus === 'Enabled' || p.capabilityStatus === 'Warning'),
  );
}

/** The organizer named by the path: an object id, an existing user, licensed for Teams, granted by the policy. */
function organizer(ctx: RouteContext): StoredUser {
  const raw = ctx.params.user ?? '';
  if (!GUID.test(raw)) {
    throw new GraphError(
      400,
      'BadRequest',
      `onlineMeetings takes the organizer's Microsoft Entra object id; '${raw}' is not one (user principal names are not accepted).`,
    );
  }
  const u = ctx.tenant.findUser(raw);
  if (!u) throw new GraphError(404, 'NotFound', `The user '${raw}' was not found in the tenant.`);
  if (!ctx.tenant.hasTeamsAccessPolicy(u.id)) {
    throw new GraphError(403, 'Forbidden', 'No Application Access Policy found for this app.');
  }
  if (!planEnabled(u, PLANS.TEAMS1.servicePlanId)) {
    throw new GraphError(
      403,
      'Forbidden',
      `The user '${u.id}' has no Microsoft Teams licence (service plan TEAMS1); online meetings cannot be created or read for them.`,
    );
  }
  return u;
}

// ---------------------------------------------------------------------------------------------- dial-in

interface Audio {
  conferenceId: string;
  tollNumber: string;
  tollFreeNumber: string | null;
  dialinUrl: string;
}

/** A stable 9-digit id derived from a seed (the meeting's conference id when the user has none of their own). */
function stableDigits(seed: string, n = 9): string {
  const h = createHash('sha256').update(seed).digest();
  let s = String(((h[0] ?? 0) % 9) + 1);
  for (let i = 1; s.length < n; i++) s += String((h[i % h.length] ?? 0) % 10);
  return s;
}

/** The organizer's dial-in as Teams shows it in a meeting, now; null without Audio Conferencing. */
export function audioFor(tenant: SandboxTenant, u: StoredUser, meetingSeed: string): Audio | null {
  if (!planEnabled(u, PLANS.MCOMEETADV.servicePlanId)) return null;
  const dialIn = u.sandboxDialIn;
  if (dialIn && (!dialIn.enabled || dialIn.provider !== 'Microsoft')) return null;
  const bridges: SeedBridge[] = tenant.bridges;
  const bridge =
    bridges.find((b) => b.id === dialIn?.bridgeId) ?? bridges.find((b) => b.isDefault) ?? bridges[0];
  if (!bridge) return null;
  return {
    conferenceId: dialIn?.conferenceId ?? stableDigits(meetingSeed),
    tollNumber: dialIn?.tollNumber ?? bridge.defaultTollNumber,
    tollFreeNumber: dialIn?.tollFreeNumber ?? bridge.defaultTollFreeNumber ?? null,
    dialinUrl: bridge.dialInUrl,
  };
}

// ---------------------------------------------------------------------------------------------- invitation

interface InviteWords {
  title: string;
  joinHeading: string;
  joinLink: string;
  meetingId: string;
  passcode: string;
  callIn: string;
  tollFree: string;
  phoneConferenceId: string;
  findLocal: string;
  resetPin: string;
  learnMore: string;
}

/** Teams invitation wording (2022+ template) in the languages the sandbox speaks; others get English. */
const INVITE_WORDS: Record<string, InviteWords> = {
  en: {
    title: 'Microsoft Teams meeting',
    joinHeading: 'Join on your computer, mobile app or room device',
    joinLink: 'Click here to join the meeting',
    meetingId: 'Meeting ID:',
    passcode: 'Passcode:',
    callIn: 'Or call in (audio only)',
    tollFree: '(Toll-free)',
    phoneConferenceId: 'Phone Conference ID:',
    findLocal: 'Find a local number',
    resetPin: 'Reset PIN',
    learnMore: 'Learn More',
  },
  de: {
    title: 'Microsoft Teams-Besprechung',
    joinHeading: 'Auf dem Computer, in der mobilen App oder im Raumgerät teilnehmen',
    joinLink: 'Klicken Sie hier, um an der Besprechung teilzunehmen.',
    meetingId: 'Besprechungs-ID:',
    passcode: 'Passcode:',
    callIn: 'Oder rufen Sie an (nur Audio)',
    tollFree: '(Gebührenfrei)',
    phoneConferenceId: 'Konferenz-ID für Telefon:',
    findLocal: 'Ortsgebundene Nummer suchen',
    resetPin: 'PIN zurücksetzen',
    learnMore: 'Weitere Informationen',
  },
  fr: {
    title: 'Réunion Microsoft Teams',
    joinHeading: 'Rejoindre sur votre ordinateur, application mobile ou appareil de salle',
    joinLink: 'Cliquez ici pour participer à la réunion',
    meetingId: 'ID de réunion :',
    passcode: 'Code secret :',
    callIn: 'Ou appelez (audio uniquement)',
    tollFree: '(Numéro gratuit)',
    phoneConferenceId: 'ID de conférence téléphonique :',
    findLocal: 'Trouver un numéro local',
    resetPin: 'Réinitialiser le code confidentiel',
    learnMore: 'En savoir plus',
  },
  es: {
    title: 'Reunión de Microsoft Teams',
    joinHeading: 'Unirse desde el equipo, la aplicación móvil o el dispositivo de sala',
    joinLink: 'Haga clic aquí para unirse a la reunión',
    meetingId: 'Id. de reunión:',
    passcode: 'Código de acceso:',
    callIn: 'O llame (solo audio)',
    tollFree: '(Gratuito)',
    phoneConferenceId: 'Id. de conferencia telefónica:',
    findLocal: 'Buscar un número local',
    resetPin: 'Restablecer PIN',
    learnMore: 'Más información',
  },
  ja: {
    title: 'Microsoft Teams 会議',
    joinHeading: 'コンピューター、モバイル アプリケーション、またはルーム デバイスで参加する',
    joinLink: 'ここをクリックして会議に参加してください',
    meetingId: '会議 ID:',
    passcode: 'パスコード:',
    callIn: 'または電話をかける (音声のみ)',
    tollFree: '(フリーダイヤル)',
    phoneConferenceId: '電話会議 ID:',
    findLocal: '最寄りの番号を検索',
    resetPin: 'PIN のリセット',
    learnMore: '詳細情報',
  },
};

/** The language of `Accept-Language` the sandbox speaks (first listed tag, by its primary subtag), else en-US. */
export function inviteLanguage(req: SandboxRequest): { tag: string; words: InviteWords } {
  const first = (req.headers['accept-language'] ?? '').split(',')[0]?.split(';')[0]?.trim() ?? '';
  const primary = first.split('-')[0]?.toLowerCase() ?? '';
  const words = INVITE_WORDS[primary];
  return words ? { tag: first, words } : { tag: 'en-US', words: INVITE_WORDS.en! };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const spacedDigits = (d: string) => d.replace(/(\d{3})(?=\d)/g, '$1 ');

function invitationHtml(m: StoredOnlineMeeting, audio: Audio | null, lang: string, w: InviteWords): string {
  const rule =
    '<div style="width:100%;height: 20px;"><span style="white-space:nowrap;color:gray;opacity:.36;">' +
    '_'.repeat(80) +
    '</span></div>';
  const tel = (n: string) => `tel:${n.replace(/[^+\d]/g, '')},,${audio?.conferenceId ?? ''}#`;
  const phone = audio
    ? `<div style="margin-bottom:20px;margin-top:20px"><div style="margin-bottom:4px;font-weight:bold"><span style="font-size:14px;color:#252424">${esc(w.callIn)}</span></div>` +
      `<div style="margin-bottom:0px"><a href="${esc(tel(audio.tollNumber))}" target="_blank">${esc(audio.tollNumber)},,${audio.conferenceId}#</a></div>` +
      (audio.tollFreeNumber
        ? `<div style="margin-bottom:0px"><a href="${esc(tel(audio.tollFreeNumber))}" target="_blank">${esc(audio.tollFreeNumber)},,${audio.conferenceId}#</a> ${esc(w.tollFree)}</div>`
        : '') +
      `<div style="margin-bottom:4px"><span style="font-size:14px;color:#252424">${esc(w.phoneConferenceId)} </span><span style="font-size:16px;color:#252424">${spacedDigits(audio.conferenceId)}#</span></div>` +
      `<div><a href="${esc(audio.dialinUrl)}" target="_blank">${esc(w.findLocal)}</a> | <a href="https://dialin.teams.microsoft.com/usp/pstnconferencing" target="_blank">${esc(w.resetPin)}</a></div></div>`
    : '';
  return (
    '\n  ' +
    rule +
    `<div class="me-email-text" lang="${esc(lang)}" style="color:#252424;font-family:'Segoe UI','Helvetica Neue',Helvetica,Arial,sans-serif;">` +
    `<div style="margin-top:24px;margin-bottom:20px;"><span style="font-size:24px;color:#252424">${esc(w.title)}</span></div>` +
    `<div style="margin-bottom:20px;"><div style="margin-top:0px;margin-bottom:0px;font-weight:bold"><span style="font-size:14px;color:#252424">${esc(w.joinHeading)}</span></div>` +
    `<a class="me-email-headline" style="font-size:14px;font-family:'Segoe UI Semibold';text-decoration:underline;color:#6264a7;" href="${esc(m.joinWebUrl)}" target="_blank" rel="noreferrer noopener">${esc(w.joinLink)}</a></div>` +
    `<div style="margin-bottom:20px;margin-top:20px"><div style="margin-bottom:4px"><span data-tid="meeting-code" style="font-size:14px;color:#252424;">${esc(w.meetingId)} <span style="font-size:16px;color:#252424;">${spacedDigits(m.joinMeetingId)}</span></span><br>` +
    `<span style="font-size:14px;color:#252424;">${esc(w.passcode)} </span><span style="font-size:16px;color:#252424;">${esc(m.passcode)}</span></div></div>` +
    phone +
    `<div style="margin-top:20px;margin-bottom:20px"><a href="https://aka.ms/JoinTeamsMeeting" target="_blank">${esc(w.learnMore)}</a></div></div>` +
    rule +
    '\n'
  );
}

/**
 * A `data:` URL encoded the way Graph encodes `joinInformation.content`: every character but letters, digits and
 * `-_.!*()` percent-encoded with upper-case hex, spaces as `+` (the prefix `data:text/html,` included).
 */
export function graphUrlEncode(s: string): string {
  return encodeURIComponent(s).replace(/'/g, '%27').replace(/~/g, '%7E').replace(/%20/g, '+');
}

// ---------------------------------------------------------------------------------------------- meetings

function newMeeting(
  tenant: SandboxTenant,
  u: StoredUser,
  fields: {
    subject: string | null;
    startMs: number;
    endMs: number;
    externalId: string | null;
    createdVia: StoredOnlineMeeting['createdVia'];
    joinWebUrl?: string;
  },
): StoredOnlineMeeting {
  const thread = `19:meeting_${randomBytes(36).toString('base64url').slice(0, 48)}@thread.v2`;
  const context = JSON.stringify({ Tid: tenant.tenantId, Oid: u.id });
  const joinWebUrl =
    fields.joinWebUrl ??
    `https://teams.microsoft.com/l/meetup-join/${encodeURIComponent(thread)}/0?context=${encodeURIComponent(context)}`;
  // The meeting behind a seeded event takes its meeting ID and passcode from its join link, so that a tenant
  // loaded twice from one seed serves the same meetings (as one real tenant would).
  let joinMeetingId: string;
  let passcode: string;
  if (fields.joinWebUrl !== undefined) {
    joinMeetingId = stableDigits(`meetingId\n${fields.joinWebUrl}`, 12);
    passcode = createHash('sha256')
      .update(`passcode\n${fields.joinWebUrl}`)
      .digest('base64url')
      .replace(/[-_]/g, 'x')
      .slice(0, 6);
  } else {
    joinMeetingId = String(randomInt(1, 10));
    while (joinMeetingId.length < 12) joinMeetingId += String(randomInt(0, 10));
    passcode = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
  }
  return {
    id: Buffer.from(`1*${u.id}*0**${thread}`).toString('base64url'),
    userId: u.id,
    externalId: fields.externalId,
    createdVia: fields.createdVia,
    subject: fields.subject,
    startMs: fields.startMs,
    endMs: fields.endMs,
    creationDateTime: new Date().toISOString(),
    joinWebUrl,
    threadId: thread,
    joinMeetingId,
    passcode,
  };
}

/** A stored meeting as Graph serves it, in the request's language. */
export function renderOnlineMeeting(
  tenant: SandboxTenant,
  m: StoredOnlineMeeting,
  lang: { tag: string; words: InviteWords },
): Record<string, unknown> {
  const u = tenant.findUser(m.userId);
  const audio = u ? audioFor(tenant, u, m.id) : null;
  return {
    id: m.id,
    creationDateTime: m.creationDateTime,
    startDateTime: new Date(m.startMs).toISOString(),
    endDateTime: new Date(m.endMs).toISOString(),
    joinWebUrl: m.joinWebUrl,
    subject: m.subject,
    isBroadcast: false,
    externalId: m.externalId,
    videoTeleconferenceId: null,
    isEntryExitAnnounced: true,
    allowedPresenters: 'everyone',
    allowMeetingChat: 'enabled',
    allowTeamworkReactions: true,
    allowAttendeeToEnableCamera: true,
    allowAttendeeToEnableMic: true,
    recordAutomatically: false,
    meetingOptionsWebUrl: `https://teams.microsoft.com/meetingOptions/?organizerId=${m.userId}&tenantId=${tenant.tenantId}&threadId=${encodeURIComponent(m.threadId)}&messageId=0&language=${encodeURIComponent(lang.tag)}`,
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
    chatInfo: { threadId: m.threadId, messageId: '0', replyChainMessageId: null },
    joinMeetingIdSettings: {
      isPasscodeRequired: true,
      joinMeetingId: m.joinMeetingId,
      passcode: m.passcode,
    },
    lobbyBypassSettings: { scope: 'organization', isDialInBypassEnabled: false },
    participants: {
      organizer: {
        upn: u?.userPrincipalName ?? null,
        role: 'presenter',
        identity: { user: { id: m.userId, displayName: null } },
      },
      attendees: [],
    },
    joinInformation: {
      content: graphUrlEncode('data:text/html,' + invitationHtml(m, audio, lang.tag, lang.words)),
      contentType: 'html',
    },
  };
}

/** start/end of a new meeting: as given, else now and start + 1 hour; end before start → 400. */
function span(b: { startDateTime?: string | undefined; endDateTime?: string | undefined }): {
  startMs: number;
  endMs: number;
} {
  const startMs = b.startDateTime !== undefined ? Date.parse(b.startDateTime) : Date.now();
  const endMs = b.endDateTime !== undefined ? Date.parse(b.endDateTime) : startMs + HOUR_MS;
  if (endMs < startMs)
    throw new GraphError(400, 'BadRequest', 'endDateTime must not be before startDateTime.');
  return { startMs, endMs };
}

function parseBody<T>(schema: z.ZodType<T>, ctx: RouteContext): T {
  const parsed = schema.safeParse(parseJsonBody(ctx.req));
  if (!parsed.success) throw new GraphError(400, 'BadRequest', describeIssues(parsed.error.issues));
  return parsed.data;
}

function contextUrl(ctx: RouteContext, userId: string, entity: boolean): string {
  return `${ctx.baseUrl}/v1.0/$metadata#users('${userId}')/onlineMeetings${entity ? '/$entity' : ''}`;
}

/** No query option where the documents show none. */
function noQuery(req: SandboxRequest): void {
  const names = [...req.query.keys()];
  if (names.length) {
    throw new GraphError(400, 'BadRequest', `Query option '${names[0]}' is not supported on this request.`);
  }
}

/**
 * The one `$filter` documented for listing a user's online meetings: `JoinWebUrl eq '…'` or
 * `joinMeetingIdSettings/joinMeetingId eq '…'` (OData string literal, `''` for a quote).
 */
function parseMeetingFilter(req: SandboxRequest): { field: 'joinWebUrl' | 'joinMeetingId'; value: string } {
  for (const name of req.query.keys()) {
    if (name !== '$filter') {
      throw new GraphError(400, 'BadRequest', `Query option '${name}' is not supported on onlineMeetings.`);
    }
  }
  const raw = req.query.get('$filter');
  if (raw === null) {
    throw new GraphError(
      400,
      'BadRequest',
      "Listing online meetings needs $filter=JoinWebUrl eq '{joinWebUrl}' or joinMeetingIdSettings/joinMeetingId eq '{id}'.",
    );
  }
  const m = /^\s*(JoinWebUrl|joinMeetingIdSettings\/joinMeetingId)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(raw);
  if (!m?.[1] || m[2] === undefined) {
    throw new GraphError(400, 'BadRequest', `Unsupported $filter on onlineMeetings: ${raw}`);
  }
  return {
    field: m[1].toLowerCase() === 'joinwebUrl'.toLowerCase() ? 'joinWebUrl' : 'joinMeetingId',
    value: m[2].replace(/''/g, "'"),
  };
}

export const onlineMeetingRoutes: GraphRoute[] = [
  {
    method: 'POST',
    pattern: '/users/:user/onlineMeetings',
    permissions: PERMISSIONS.writeOnlineMeetings,
    shapes: { request: 'onlineMeeting', response: 'onlineMeeting' },
    handler: (ctx) => {
      noQuery(ctx.req);
      const u = organizer(ctx);
      const b = parseBody(createBody, ctx);
      const m = newMeeting(ctx.tenant, u, {
        subject: b.subject ?? null,
        ...span(b),
        externalId: b.externalId ?? null,
        createdVia: 'create',
      });
      ctx.tenant.saveOnlineMeeting(m);
      return ok(
        {
          '@odata.context': contextUrl(ctx, u.id, true),
          ...renderOnlineMeeting(ctx.tenant, m, inviteLanguage(ctx.req)),
        },
        201,
      );
    },
  },
  {
    method: 'POST',
    pattern: '/users/:user/onlineMeetings/createOrGet',
    permissions: PERMISSIONS.writeOnlineMeetings,
    shapes: { request: 'action:onlineMeeting.createOrGet', response: 'onlineMeeting' },
    handler: (ctx) => {
      noQuery(ctx.req);
      const u = organizer(ctx);
      const b = parseBody(createOrGetBody, ctx);
      const existing = ctx.tenant.onlineMeetingByExternalId(u.id, b.externalId);
      const m =
        existing ??
        newMeeting(ctx.tenant, u, {
          subject: b.subject ?? null,
          ...span(b),
          externalId: b.externalId,
          createdVia: 'createOrGet',
        });
      if (!existing) ctx.tenant.saveOnlineMeeting(m);
      return ok(
        {
          '@odata.context': contextUrl(ctx, u.id, true),
          ...renderOnlineMeeting(ctx.tenant, m, inviteLanguage(ctx.req)),
        },
        existing ? 200 : 201,
      );
    },
  },
  {
    method: 'GET',
    pattern: '/users/:user/onlineMeetings',
    permissions: PERMISSIONS.readOnlineMeetings,
    shapes: { response: 'Collection(onlineMeeting)' },
    handler: (ctx) => {
      const u = organizer(ctx);
      const f = parseMeetingFilter(ctx.req);
      const lang = inviteLanguage(ctx.req);
      const found = ctx.tenant
        .onlineMeetingsOf(u.id)
        .filter((m) => (f.field === 'joinWebUrl' ? m.joinWebUrl === f.value : m.joinMeetingId === f.value));
      return ok({
        '@odata.context': contextUrl(ctx, u.id, false),
        value: found.map((m) => renderOnlineMeeting(ctx.tenant, m, lang)),
      });
    },
  },
  {
    method: 'GET',
    pattern: '/users/:user/onlineMeetings/:meeting',
    permissions: PERMISSIONS.readOnlineMeetings,
    shapes: { response: 'onlineMeeting' },
    handler: (ctx) => {
      noQuery(ctx.req);
      const u = organizer(ctx);
      const m = ctx.tenant.onlineMeetingsOf(u.id).find((x) => x.id === ctx.params.meeting);
      if (!m) throw new GraphError(404, 'NotFound', 'The online meeting was not found.');
      return ok({
        '@odata.context': contextUrl(ctx, u.id, true),
        ...renderOnlineMeeting(ctx.tenant, m, inviteLanguage(ctx.req)),
      });
    },
  },
];

/**
 * The Teams meeting behind a seeded Teams calendar event (organizer's copy), registered at load so that it can be
 * found by its join URL like any meeting Outlook creates.
 */
export function seededOnlineMeeting(
  tenant: SandboxTenant,
  u: StoredUser,
  event: { subject: string; startMs: number; endMs: number; joinUrl: string },
): StoredOnlineMeeting {
  return newMeeting(tenant, u, {
    subject: event.subject,
    startMs: event.startMs,
    endMs: event.endMs,
    externalId: null,
    createdVia: 'seed',
    joinWebUrl: event.joinUrl,
  });
}

/** The control API's view of a stored meeting: who organizes it, its externalId, how it was made. */
export function controlView(tenant: SandboxTenant, m: StoredOnlineMeeting): Record<string, unknown> {
  const u = tenant.findUser(m.userId);
  return {
    id: m.id,
    organizer: { id: m.userId, userPrincipalName: u?.userPrincipalName ?? null },
    externalId: m.externalId,
    createdVia: m.createdVia,
    subject: m.subject,
    startDateTime: new Date(m.startMs).toISOString(),
    endDateTime: new Date(m.endMs).toISOString(),
    creationDateTime: m.creationDateTime,
    joinWebUrl: m.joinWebUrl,
    joinMeetingId: m.joinMeetingId,
    audioConferencing: u ? audioFor(tenant, u, m.id) : null,
  };
}
