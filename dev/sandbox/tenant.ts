/**
 * The sandbox tenant's state and every operation on it: users (licences, directory attributes, deletion, the
 * change sequence delta queries read), mailboxes and their events (series expansion, exceptions, PATCH with the
 * update log), online meetings, and the request log. The HTTP routes and the control API both call this class;
 * `SandboxHandle.tenant` exposes it for programmatic control.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { TokenIssuer } from './auth';
import { describeIssues, GraphError } from './http';
import { skuById } from './licences';
import { seededOnlineMeeting } from './online-meetings';
import { expandRecurrence, type Recurrence } from './recurrence';
import type { itemBody } from './seed';
import {
  seedGroup,
  tenantSeed,
  type SeedBridge,
  type SeedGroup,
  type SeedEvent,
  type SeedUser,
  type TenantSeed,
  type TenantSeedInput,
  dateTimeTimeZone,
  seedAttendee,
} from './seed';
import { ShapeChecks, shapeChecksFromEnv } from './schema-check';
import { Subscriptions } from './subscriptions';
import { Throttle } from './throttle';
import { dttzToMs, ianaZone, isoUtc, msToDttz } from './time';

export class SeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

export interface StoredUser extends SeedUser {
  /** Further Graph user properties set through the control API (jobTitle, department, ...). */
  extra: Record<string, unknown>;
  createdDateTime: string;
  /** Change sequence number of the last change (delta queries read it). */
  version: number;
}

export interface ExtendedProperty {
  id: string;
  value: string;
}

type Attendee = z.infer<typeof seedAttendee>;
type DateTimeTimeZone = z.infer<typeof dateTimeTimeZone>;
type ItemBody = z.infer<typeof itemBody>;

export interface StoredEvent {
  id: string;
  mailboxUserId: string;
  organizerUserId: string;
  organizer: { name: string; address: string };
  iCalUId: string;
  changeKey: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  type: 'singleInstance' | 'seriesMaster' | 'exception';
  seriesMasterId: string | null;
  /** For exceptions: the occurrence's original start (UTC epoch ms). */
  originalStartMs: number | null;
  subject: string;
  body: ItemBody;
  start: DateTimeTimeZone;
  end: DateTimeTimeZone;
  originalStartTimeZone: string;
  originalEndTimeZone: string;
  isAllDay: boolean;
  isCancelled: boolean;
  isDraft: boolean;
  isOnlineMeeting: boolean;
  onlineMeetingProvider: SeedEvent['onlineMeetingProvider'];
  onlineMeeting: SeedEvent['onlineMeeting'] | null;
  onlineMeetingUrl: string | null;
  location: { displayName: string } | undefined;
  attendees: Attendee[];
  recurrence: Recurrence | null;
  hasAttachments: boolean;
  extendedProperties: ExtendedProperty[];
  sandboxCase: string | undefined;
}

/** An event as a view shows it: stored, or an occurrence computed from its series master. */
export interface EventInstance {
  ev: StoredEvent;
  /** Set for computed occurrences (type `occurrence`). */
  occurrence?: { id: string; startMs: number; endMs: number; master: StoredEvent };
}

export interface UpdateLogEntry {
  sequence: number;
  time: string;
  eventId: string;
  iCalUId: string;
  mailboxUserId: string;
  organizer: string;
  attendee: string;
  changes: string[];
  /**
   * `patch`: the PATCH of this event. `seriesMasterPatch`: the resend Exchange sends for a separately edited
   * instance (an exception) when its series master is updated (one per exception and attendee, documented by
   * Microsoft), even though the exception keeps its own body.
   */
  cause: 'patch' | 'seriesMasterPatch';
}

export interface UpdateCount {
  total: number;
  byAttendee: Record<string, number>;
  fromSeriesMaster: Record<string, number>;
}

export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  mailbox: string | null;
  status: number;
  /** Requests in flight for the mailbox when this one arrived (itself included when admitted). */
  concurrency: number;
  /** The Graph route the request matched (its pattern, e.g. `/users/:user/events`). */
  route?: string;
  /** The application permission of the token that admitted it (absent when refused before or by the check). */
  permission?: string;
  batchId?: string;
}

/** A Teams online meeting (dev/sandbox/online-meetings.ts renders it as Graph serves it). */
export interface StoredOnlineMeeting {
  id: string;
  /** The organizer's object id. */
  userId: string;
  /** createOrGet's key (with the tenant and the organizer); null for meetings made otherwise. */
  externalId: string | null;
  createdVia: 'create' | 'createOrGet' | 'seed';
  subject: string | null;
  startMs: number;
  endMs: number;
  creationDateTime: string;
  joinWebUrl: string;
  threadId: string;
  joinMeetingId: string;
  passcode: string;
}

export const eventPatch = z
  .object({
    subject: z.string().optional(),
    // Graph accepts the bodyType enum in any case ("HTML" in its own samples) and answers in lower case.
    body: z
      .object({
        contentType: z
          .string()
          .transform((t) => t.toLowerCase())
          .pipe(z.enum(['html', 'text'])),
        content: z.string(),
      })
      .strict()
      .optional(),
    start: dateTimeTimeZone.optional(),
    end: dateTimeTimeZone.optional(),
    location: z.object({ displayName: z.string() }).passthrough().optional(),
    attendees: z.array(seedAttendee).optional(),
    isOnlineMeeting: z.boolean().optional(),
    onlineMeetingProvider: z
      .enum(['unknown', 'teamsForBusiness', 'skypeForBusiness', 'skypeForConsumer'])
      .optional(),
    isAllDay: z.boolean().optional(),
    isDraft: z.boolean().optional(),
    singleValueExtendedProperties: z.array(z.object({ id: z.string().min(1), value: z.string() })).optional(),
    categories: z.array(z.string()).optional(),
    importance: z.enum(['low', 'normal', 'high']).optional(),
    sensitivity: z.enum(['normal', 'personal', 'private', 'confidential']).optional(),
    showAs: z.enum(['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown']).optional(),
    isReminderOn: z.boolean().optional(),
    reminderMinutesBeforeStart: z.number().int().optional(),
    responseRequested: z.boolean().optional(),
  })
  .strict();
export type EventPatch = z.infer<typeof eventPatch>;

const OCCURRENCE_SUFFIX = /_(\d{8}T\d{6}Z)$/;

function newEventId(): string {
  return 'AAMkAG' + randomBytes(33).toString('base64url').replace(/[-_]/g, 'Q') + '=';
}

function newChangeKey(): string {
  return randomBytes(12).toString('base64');
}

function newICalUId(): string {
  return '040000008200E00074C5B7101A82E00800000000' + randomBytes(24).toString('hex').toUpperCase();
}

export function occurrenceId(masterId: string, startMs: number): string {
  return `${masterId}_${isoUtc(startMs).replace(/[-:]/g, '')}`;
}

function parseOccurrenceId(id: string): { masterId: string; startMs: number } | undefined {
  const m = OCCURRENCE_SUFFIX.exec(id);
  if (!m?.[1]) return undefined;
  const c = m[1];
  const ms = Date.parse(
    `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(9, 11)}:${c.slice(11, 13)}:${c.slice(13, 15)}Z`,
  );
  return Number.isNaN(ms) ? undefined : { masterId: id.slice(0, m.index), startMs: ms };
}

/** An occurrence's iCalUId: Outlook's global object id with the occurrence date embedded. */
export function occurrenceICalUId(masterUid: string, startMs: number): string {
  if (!/^040000008200E00074C5B7101A82E008/i.test(masterUid) || masterUid.length < 40) return masterUid;
  const d = new Date(startMs);
  const date =
    d.getUTCFullYear().toString(16).padStart(4, '0') +
    (d.getUTCMonth() + 1).toString(16).padStart(2, '0') +
    d.getUTCDate().toString(16).padStart(2, '0');
  return (masterUid.slice(0, 32) + date + masterUid.slice(40)).toUpperCase();
}

/** Extended property ids compare case-insensitively on type and GUID, case-sensitively on the name. */
export function normalisePropertyId(id: string): string {
  const m = /^\s*(\w+)\s+\{?([0-9a-fA-F-]{36})\}?\s+(Name|Id)\s+(.+?)\s*$/i.exec(id);
  if (!m) return id.trim();
  const kind = m[3]!.toLowerCase() === 'name' ? 'Name' : 'Id';
  const name = kind === 'Id' ? m[4]!.toLowerCase() : m[4]!;
  return `${m[1]!.toLowerCase()} {${m[2]!.toUpperCase()}} ${kind} ${name}`;
}

/**
 * The part of a Teams join link that names the meeting (`19:meeting_…@thread.v2`, or the id of a `/meet/` link),
 * in a form that compares across escapings (`%3a`/`%3A`/`:`, `&amp;`, letter case).
 */
function meetingKey(joinUrl: string): string | null {
  const flat = flattenLink(joinUrl);
  const thread = /19:meeting_[^/@]+@thread\.v2/.exec(flat);
  if (thread) return thread[0];
  const meet = /\/meet\/([0-9a-z]+)/.exec(flat);
  return meet ? `/meet/${meet[1]}` : null;
}

function flattenLink(s: string): string {
  return s
    .toLowerCase()
    .replace(/&amp;/g, '&')
    .replace(/%3a/g, ':')
    .replace(/%40/g, '@')
    .replace(/%2f/g, '/');
}

/** Whether a body still carries the Teams meeting blob: the link that names the event's meeting. */
export function carriesMeetingBlob(body: string, joinUrl: string): boolean {
  const key = meetingKey(joinUrl);
  return key !== null && flattenLink(body).includes(key);
}

/**
 * Whether a cloud user has an Exchange Online mailbox: an enabled plan of the `exchange` service, in
 * assignedPlans or in an assigned SKU (its disabled plans left out). A user without any Exchange plan (no licence
 * at all, never licensed for Exchange, or the licence removed) has none, and Graph answers
 * MailboxNotEnabledForRESTAPI for them (msgraph-sdk-javascript#1756): a seed that wants a mailbox gives the user
 * an Exchange plan.
 */
export function hasExchangeLicence(u: Pick<SeedUser, 'assignedPlans' | 'assignedLicenses'>): boolean {
  const exchange = (service: string) => service.toLowerCase() === 'exchange';
  if (u.assignedPlans.some((p) => exchange(p.service) && p.capabilityStatus === 'Enabled')) return true;
  return u.assignedLicenses.some((l) =>
    (skuById(l.skuId)?.plans ?? []).some(
      (p) => exchange(p.service) && !l.disabledPlans.includes(p.servicePlanId),
    ),
  );
}

/**
 * Whether Graph reaches the user's mailbox: in Exchange Online and licensed for it (a cloud user without an
 * Exchange plan has no mailbox: MailboxNotEnabledForRESTAPI). Tests and the demo pick users with this, never by
 * the mailbox location alone.
 */
export function hasMailbox(
  u: Pick<SeedUser, 'sandboxMailboxLocation' | 'assignedPlans' | 'assignedLicenses'>,
): boolean {
  return u.sandboxMailboxLocation === 'exchangeOnline' && hasExchangeLicence(u);
}

export interface TenantEvents {
  userChanged(user: StoredUser, changeType: 'updated' | 'deleted'): void;
}

export class SandboxTenant {
  tenantId = '00000000-0000-0000-0000-000000000000';
  domain = 'sandbox.onmicrosoft.com';
  /** Changes on every load/reset: delta tokens from an earlier epoch need a resync. */
  epoch = randomUUID();
  readonly throttle = new Throttle();
  /** Issues and verifies the app's access tokens. */
  readonly tokens = new TokenIssuer(() => this.tenantId);
  /** The application permissions admin-consented to the app; tokens issued from now on carry them. */
  grantedRoles: string[] = [];
  /** Audio-conferencing bridges of the tenant (online meetings take their dial-in numbers from them). */
  bridges: SeedBridge[] = [];
  readonly subscriptions: Subscriptions;
  /** Checks of every body against the Graph v1.0 schema (schema-check.ts), with what they found. */
  readonly shapes = new ShapeChecks(shapeChecksFromEnv());
  private users = new Map<string, StoredUser>();
  private deletedUsers = new Map<string, { sequence: number; reason: 'changed' | 'deleted' }>();
  /** Soft-deleted users (directory deleted items), restorable for 30 days. */
  private softDeleted = new Map<string, { user: StoredUser; deletedDateTime: string }>();
  private events = new Map<string, StoredEvent>();
  /** Indexes over `events`: per mailbox, exceptions per series master, and per iCalUId. */
  private byMailbox = new Map<string, Map<string, StoredEvent>>();
  private exceptionsByMaster = new Map<string, Map<number, StoredEvent>>();
  private byICalUId = new Map<string, Set<StoredEvent>>();
  private updateLogEntries: UpdateLogEntry[] = [];
  private requestLogEntries: RequestLogEntry[] = [];
  private meetings = new Map<string, StoredOnlineMeeting>();
  private groups = new Map<string, SeedGroup>();
  /** Mailboxes outside the app's Exchange RBAC scope. */
  private outOfScope = new Set<string>();
  /**
   * Teams events whose next body PATCH turns them non-online whatever the body holds: Exchange's meeting blob is
   * more than the link the sandbox looks for, and body PATCHes have been reported to disable Teams meetings
   * (msgraph-sdk-dotnet#2895, microsoft-graph-docs#12244).
   */
  readonly losesOnlineMeeting = new Set<string>();
  /** Users the Teams application access policy does not grant the app (onlineMeetings answers 403). */
  private teamsPolicyWithheld = new Set<string>();
  private sequence = 0;
  private initialSeed: TenantSeedInput | undefined;

  constructor(options: { notificationRetryDelaysMs?: number[]; validationTimeoutMs?: number } = {}) {
    this.subscriptions = new Subscriptions(this, options);
  }

  // ---------------------------------------------------------------- loading

  /** Replaces the whole tenant with a seed (validated; a bad field throws SeedError naming it). */
  load(input: TenantSeedInput): { users: number; events: number };
  load(input: unknown): { users: number; events: number };
  load(input: unknown): { users: number; events: number } {
    const parsed = tenantSeed.safeParse(input);
    if (!parsed.success) throw new SeedError(describeIssues(parsed.error.issues));
    const seed: TenantSeed = parsed.data;
    const users = new Map<string, StoredUser>();
    const now = new Date().toISOString();
    const upns = new Set<string>();
    seed.users.forEach((u, i) => {
      if (users.has(u.id.toLowerCase())) throw new SeedError(`users.${i}.id: duplicate id ${u.id}`);
      if (upns.has(u.userPrincipalName.toLowerCase())) {
        throw new SeedError(`users.${i}.userPrincipalName: duplicate ${u.userPrincipalName}`);
      }
      if (!ianaZone(u.mailboxTimeZone)) throw new SeedError(`users.${i}.mailboxTimeZone: unknown time zone`);
      upns.add(u.userPrincipalName.toLowerCase());
      users.set(u.id.toLowerCase(), {
        ...u,
        id: u.id.toLowerCase(),
        extra: {},
        createdDateTime: now,
        version: 0,
      });
    });
    const events = new Map<string, StoredEvent>();
    seed.events.forEach((e, i) => this.loadEvent(e, i, users, events, now));
    const groups = new Map<string, SeedGroup>();
    seed.groups.forEach((g, i) => {
      const id = g.id.toLowerCase();
      if (groups.has(id) || users.has(id)) throw new SeedError(`groups.${i}.id: duplicate id ${g.id}`);
      groups.set(id, { ...g, id, members: g.members.map((m) => m.toLowerCase()) });
    });
    seed.groups.forEach((g, i) =>
      g.members.forEach((m, j) => {
        const id = m.toLowerCase();
        if (!users.has(id) && !groups.has(id)) {
          throw new SeedError(`groups.${i}.members.${j}: no user or group ${m}`);
        }
      }),
    );

    this.tenantId = seed.tenantId.toLowerCase();
    this.domain = seed.domain;
    this.users = users;
    this.groups = groups;
    this.events = new Map();
    this.byMailbox.clear();
    this.exceptionsByMaster.clear();
    this.byICalUId.clear();
    for (const ev of events.values()) this.addEvent(ev);
    this.bridges = seed.bridges;
    this.deletedUsers.clear();
    this.softDeleted.clear();
    this.updateLogEntries = [];
    this.meetings.clear();
    this.outOfScope.clear();
    this.losesOnlineMeeting.clear();
    this.teamsPolicyWithheld.clear();
    this.registerSeededTeamsMeetings();
    this.epoch = randomUUID();
    this.sequence = 1;
    for (const u of users.values()) u.version = 1;
    this.subscriptions.clear();
    this.initialSeed = input as TenantSeedInput;
    return { users: users.size, events: seed.events.length };
  }

  /** Back to the last loaded seed (or an empty tenant), logs, faults and subscriptions cleared. */
  reset(): void {
    this.throttle.reset();
    this.requestLogEntries = [];
    if (this.initialSeed) this.load(this.initialSeed);
    else this.load({ tenantId: this.tenantId, domain: this.domain, users: [], events: [] });
  }

  private loadEvent(
    e: SeedEvent,
    i: number,
    users: Map<string, StoredUser>,
    events: Map<string, StoredEvent>,
    now: string,
  ): void {
    const where = `events.${i}`;
    const mailbox = users.get(e.mailboxUserId.toLowerCase());
    if (!mailbox) throw new SeedError(`${where}.mailboxUserId: no user ${e.mailboxUserId}`);
    const organizer = users.get(e.organizerUserId.toLowerCase());
    if (!organizer) throw new SeedError(`${where}.organizerUserId: no user ${e.organizerUserId}`);
    for (const [field, v] of [
      ['start', e.start],
      ['end', e.end],
    ] as const) {
      if (!ianaZone(v.timeZone))
        throw new SeedError(`${where}.${field}.timeZone: unknown time zone '${v.timeZone}'`);
      if (Number.isNaN(Date.parse(`${v.dateTime.slice(0, 19)}Z`))) {
        throw new SeedError(`${where}.${field}.dateTime: invalid date-time '${v.dateTime}'`);
      }
    }
    if (dttzToMs(e.end) < dttzToMs(e.start)) throw new SeedError(`${where}.end: before start`);
    const id = e.id ?? newEventId();
    if (events.has(id)) throw new SeedError(`${where}.id: duplicate event id ${id}`);
    const ev: StoredEvent = {
      id,
      mailboxUserId: mailbox.id,
      organizerUserId: organizer.id,
      organizer: { name: organizer.displayName, address: organizer.mail ?? organizer.userPrincipalName },
      iCalUId: e.iCalUId ?? newICalUId(),
      changeKey: newChangeKey(),
      createdDateTime: now,
      lastModifiedDateTime: now,
      type: e.recurrence ? 'seriesMaster' : 'singleInstance',
      seriesMasterId: null,
      originalStartMs: null,
      subject: e.subject,
      body: e.body,
      start: e.start,
      end: e.end,
      originalStartTimeZone: e.originalStartTimeZone ?? e.start.timeZone,
      originalEndTimeZone: e.originalEndTimeZone ?? e.end.timeZone,
      isAllDay: e.isAllDay,
      isCancelled: e.isCancelled,
      isDraft: e.isDraft,
      isOnlineMeeting: e.isOnlineMeeting,
      onlineMeetingProvider: e.onlineMeetingProvider,
      onlineMeeting: e.onlineMeeting ?? null,
      onlineMeetingUrl: e.onlineMeetingUrl ?? null,
      location: e.location,
      attendees: e.attendees,
      recurrence: e.recurrence ?? null,
      hasAttachments: e.hasAttachments,
      extendedProperties: e.singleValueExtendedProperties.map((p) => ({ id: p.id, value: p.value })),
      sandboxCase: e.sandboxCase,
    };
    events.set(id, ev);
    if (e.exceptions.length && !ev.recurrence)
      throw new SeedError(`${where}.exceptions: only a series has exceptions`);
    e.exceptions.forEach((x, j) => {
      const ms = Date.parse(x.originalStart);
      const occ = ev.recurrence ? expandRecurrence(ev.recurrence, ev.start, ev.end, ms + 1) : [];
      const hit = occ.find((o) => o.startMs === ms);
      if (!hit)
        throw new SeedError(`${where}.exceptions.${j}.originalStart: not an occurrence of the series`);
      const exc = this.materialise(ev, hit.startMs, hit.endMs, now);
      if (x.subject !== undefined) exc.subject = x.subject;
      if (x.body) exc.body = x.body;
      if (x.start) exc.start = x.start;
      if (x.end) exc.end = x.end;
      if (x.isCancelled) exc.isCancelled = true;
      events.set(exc.id, exc);
    });
  }

  /** An exception record for one occurrence of a master (a copy of the master's fields). */
  private materialise(master: StoredEvent, startMs: number, endMs: number, now: string): StoredEvent {
    return {
      ...structuredClone(master),
      id: occurrenceId(master.id, startMs),
      type: 'exception',
      seriesMasterId: master.id,
      originalStartMs: startMs,
      iCalUId: occurrenceICalUId(master.iCalUId, startMs),
      start: msToDttz(startMs, master.start.timeZone),
      end: msToDttz(endMs, master.end.timeZone),
      recurrence: null,
      changeKey: newChangeKey(),
      createdDateTime: now,
      lastModifiedDateTime: now,
    };
  }

  // ---------------------------------------------------------------- groups

  listGroups(): SeedGroup[] {
    return [...this.groups.values()];
  }

  /** Creates or replaces a group (control API); members must be existing users or groups. */
  putGroup(input: unknown): SeedGroup {
    const parsed = seedGroup.safeParse(input);
    if (!parsed.success) throw new SeedError(describeIssues(parsed.error.issues));
    const g = { ...parsed.data, id: parsed.data.id.toLowerCase() };
    g.members = g.members.map((m) => m.toLowerCase());
    if (this.users.has(g.id)) throw new SeedError(`id: ${g.id} is a user`);
    g.members.forEach((m, j) => {
      if (!this.users.has(m) && !this.groups.has(m) && m !== g.id) {
        throw new SeedError(`members.${j}: no user or group ${m}`);
      }
    });
    this.groups.set(g.id, g);
    return g;
  }

  /** The group, or Graph's 404 (400 for an id that is not a GUID, as Entra answers). */
  requireGroup(id: string): SeedGroup {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
      throw new GraphError(400, 'Request_BadRequest', `Invalid object identifier '${id}'.`);
    }
    const g = this.groups.get(id.toLowerCase());
    if (!g) {
      throw new GraphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    return g;
  }

  /**
   * The group's members, nested groups expanded (the nested groups themselves included, as Graph lists them),
   * each object once, in the order they are reached (breadth first). Cycles are allowed and end.
   */
  transitiveMembers(
    id: string,
  ): ({ kind: 'user'; user: StoredUser } | { kind: 'group'; group: SeedGroup })[] {
    const root = this.requireGroup(id);
    const seen = new Set<string>([root.id]);
    const out: ({ kind: 'user'; user: StoredUser } | { kind: 'group'; group: SeedGroup })[] = [];
    const queue: SeedGroup[] = [root];
    for (let g = queue.shift(); g !== undefined; g = queue.shift()) {
      for (const m of g.members) {
        if (seen.has(m)) continue;
        seen.add(m);
        const user = this.users.get(m);
        if (user) {
          out.push({ kind: 'user', user });
          continue;
        }
        const nested = this.groups.get(m);
        if (nested) {
          out.push({ kind: 'group', group: nested });
          queue.push(nested);
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- users

  listUsers(): StoredUser[] {
    return [...this.users.values()];
  }

  /** A user by object id or userPrincipalName (case-insensitive). */
  findUser(idOrUpn: string): StoredUser | undefined {
    const key = idOrUpn.toLowerCase();
    const byId = this.users.get(key);
    if (byId) return byId;
    for (const u of this.users.values()) if (u.userPrincipalName.toLowerCase() === key) return u;
    return undefined;
  }

  requireUser(idOrUpn: string): StoredUser {
    const u = this.findUser(idOrUpn);
    if (!u) {
      throw new GraphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    return u;
  }

  /**
   * The user's mailbox, or Graph's error: 404 `MailboxNotEnabledForRESTAPI` for a mailbox REST cannot reach
   * (on-premises, or a cloud user without an Exchange Online licence, who has none), 403 `ErrorAccessDenied`
   * for a mailbox outside the app's Exchange RBAC scope.
   */
  requireMailbox(idOrUpn: string): StoredUser {
    // Outlook routes answer an unknown user with their own error, not the directory's.
    const u = this.findUser(idOrUpn);
    if (!u) throw new GraphError(404, 'ErrorInvalidUser', `The requested user '${idOrUpn}' is invalid.`);
    if (u.sandboxMailboxLocation !== 'exchangeOnline' || !hasExchangeLicence(u)) {
      throw new GraphError(
        404,
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      );
    }
    if (this.outOfScope.has(u.id)) {
      throw new GraphError(403, 'ErrorAccessDenied', 'Access to OData is disabled.');
    }
    return u;
  }

  /** Puts a mailbox inside or outside the app's Exchange RBAC for Applications scope (a management scope). */
  setMailboxInScope(userId: string, inScope: boolean): void {
    if (inScope) this.outOfScope.delete(userId.toLowerCase());
    else this.outOfScope.add(userId.toLowerCase());
  }

  mailboxInScope(userId: string): boolean {
    return !this.outOfScope.has(userId.toLowerCase());
  }

  /** A soft-deleted user (GET /directory/deletedItems/{id}), or undefined. */
  deletedUser(id: string): { user: StoredUser; deletedDateTime: string } | undefined {
    return this.softDeleted.get(id.toLowerCase());
  }

  private touch(u: StoredUser): void {
    u.version = ++this.sequence;
  }

  /** Directory changes seen after `sinceSequence` (delta). */
  changesSince(sinceSequence: number): {
    changed: StoredUser[];
    removed: { id: string; reason: 'changed' | 'deleted'; sequence: number }[];
  } {
    return {
      changed: [...this.users.values()].filter((u) => u.version > sinceSequence),
      removed: [...this.deletedUsers.entries()]
        .filter(([, d]) => d.sequence > sinceSequence)
        .map(([id, d]) => ({ id, reason: d.reason, sequence: d.sequence })),
    };
  }

  currentSequence(): number {
    return this.sequence;
  }

  /** Adds a user (Graph fires `updated` for a created user). */
  createUser(input: unknown): StoredUser {
    const parsed = tenantSeed.shape.users.element.safeParse(input);
    if (!parsed.success) throw new SeedError(describeIssues(parsed.error.issues));
    const u = parsed.data;
    if (this.findUser(u.id) || this.findUser(u.userPrincipalName))
      throw new SeedError('id: a user with this id or UPN exists');
    const stored: StoredUser = {
      ...u,
      id: u.id.toLowerCase(),
      extra: {},
      createdDateTime: new Date().toISOString(),
      version: 0,
    };
    this.users.set(stored.id, stored);
    this.deletedUsers.delete(stored.id);
    this.softDeleted.delete(stored.id);
    this.touch(stored);
    this.subscriptions.userChanged(stored, 'updated');
    return stored;
  }

  /** Graph's assignLicense: adds and removes SKUs and recomputes assignedPlans from the catalogue. */
  assignLicense(idOrUpn: string, input: unknown): StoredUser {
    const body = z
      .object({
        addLicenses: z.array(
          z.object({ skuId: z.string().uuid(), disabledPlans: z.array(z.string().uuid()).default([]) }),
        ),
        removeLicenses: z.array(z.string().uuid()),
      })
      .safeParse(input);
    if (!body.success) throw new GraphError(400, 'Request_BadRequest', describeIssues(body.error.issues));
    const u = this.requireUser(idOrUpn);
    for (const l of body.data.addLicenses) {
      if (!skuById(l.skuId)) {
        throw new GraphError(
          400,
          'Request_BadRequest',
          `License ${l.skuId} does not correspond to a valid company License.`,
        );
      }
    }
    const remove = new Set(body.data.removeLicenses.map((s) => s.toLowerCase()));
    for (const s of remove) {
      if (!u.assignedLicenses.some((l) => l.skuId.toLowerCase() === s)) {
        throw new GraphError(400, 'Request_BadRequest', `User does not have a corresponding license ${s}.`);
      }
    }
    let licences = u.assignedLicenses.filter((l) => !remove.has(l.skuId.toLowerCase()));
    for (const add of body.data.addLicenses) {
      licences = licences.filter((l) => l.skuId.toLowerCase() !== add.skuId.toLowerCase());
      licences.push({
        skuId: add.skuId.toLowerCase(),
        disabledPlans: add.disabledPlans.map((p) => p.toLowerCase()),
      });
    }
    u.assignedLicenses = licences;
    this.recomputePlans(u);
    this.touch(u);
    this.subscriptions.userChanged(u, 'updated');
    return u;
  }

  private recomputePlans(u: StoredUser): void {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const enabled = new Map<string, string>();
    for (const l of u.assignedLicenses) {
      for (const p of skuById(l.skuId)?.plans ?? []) {
        if (!l.disabledPlans.includes(p.servicePlanId)) enabled.set(p.servicePlanId, p.service);
      }
    }
    const plans = u.assignedPlans.map((p) => ({ ...p }));
    for (const p of plans) {
      const id = p.servicePlanId.toLowerCase();
      if (enabled.has(id)) {
        if (p.capabilityStatus !== 'Enabled')
          Object.assign(p, { capabilityStatus: 'Enabled', assignedDateTime: now });
        enabled.delete(id);
      } else if (p.capabilityStatus === 'Enabled') {
        Object.assign(p, { capabilityStatus: 'Deleted', assignedDateTime: now });
      }
    }
    for (const [servicePlanId, service] of enabled) {
      plans.push({ assignedDateTime: now, capabilityStatus: 'Enabled', service, servicePlanId });
    }
    u.assignedPlans = plans;
  }

  /** Changes directory attributes (any seed user field but id, or further Graph user properties). */
  updateUser(idOrUpn: string, input: unknown): StoredUser {
    const u = this.requireUser(idOrUpn);
    const known = tenantSeed.shape.users.element.omit({ id: true }).partial();
    const extraFields = z
      .object({
        jobTitle: z.string().nullable(),
        department: z.string().nullable(),
        officeLocation: z.string().nullable(),
        mobilePhone: z.string().nullable(),
        businessPhones: z.array(z.string()),
        companyName: z.string().nullable(),
        city: z.string().nullable(),
        country: z.string().nullable(),
        employeeId: z.string().nullable(),
        onPremisesSyncEnabled: z.boolean().nullable(),
        proxyAddresses: z.array(z.string()),
      })
      .partial();
    const parsed = known.extend(extraFields.shape).strict().safeParse(input);
    if (!parsed.success) throw new SeedError(describeIssues(parsed.error.issues));
    const extraKeys = new Set(Object.keys(extraFields.shape));
    const patch = parsed.data as Record<string, unknown>;
    // Only fields actually present in the input (zod defaults must not overwrite).
    const given = new Set(Object.keys(input as object));
    for (const [k, v] of Object.entries(patch)) {
      if (!given.has(k)) continue;
      if (extraKeys.has(k)) u.extra[k] = v;
      else (u as unknown as Record<string, unknown>)[k] = v;
    }
    if (given.has('userPrincipalName')) {
      const clash = [...this.users.values()].find(
        (o) => o !== u && o.userPrincipalName.toLowerCase() === u.userPrincipalName.toLowerCase(),
      );
      if (clash) throw new SeedError('userPrincipalName: already used by another user');
    }
    this.touch(u);
    this.subscriptions.userChanged(u, 'updated');
    return u;
  }

  /** Deletes a user: `soft` (Graph fires `updated`, delta reason `changed`) or permanent (`deleted`). */
  deleteUser(idOrUpn: string, mode: 'soft' | 'permanent' = 'permanent'): void {
    const u = this.requireUser(idOrUpn);
    this.users.delete(u.id);
    if (mode === 'soft') this.softDeleted.set(u.id, { user: u, deletedDateTime: new Date().toISOString() });
    this.deletedUsers.set(u.id, {
      sequence: ++this.sequence,
      reason: mode === 'soft' ? 'changed' : 'deleted',
    });
    this.subscriptions.userChanged(u, mode === 'soft' ? 'updated' : 'deleted');
  }

  // ---------------------------------------------------------------- events

  /** Stored events (masters, single instances, exceptions), optionally of one mailbox. */
  storedEvents(mailboxUserId?: string): StoredEvent[] {
    if (!mailboxUserId) return [...this.events.values()];
    return [...(this.byMailbox.get(mailboxUserId.toLowerCase())?.values() ?? [])];
  }

  private addEvent(ev: StoredEvent): void {
    this.events.set(ev.id, ev);
    let mb = this.byMailbox.get(ev.mailboxUserId);
    if (!mb) this.byMailbox.set(ev.mailboxUserId, (mb = new Map<string, StoredEvent>()));
    mb.set(ev.id, ev);
    if (ev.seriesMasterId && ev.originalStartMs !== null) {
      let ex = this.exceptionsByMaster.get(ev.seriesMasterId);
      if (!ex) this.exceptionsByMaster.set(ev.seriesMasterId, (ex = new Map<number, StoredEvent>()));
      ex.set(ev.originalStartMs, ev);
    } else {
      let same = this.byICalUId.get(ev.iCalUId);
      if (!same) this.byICalUId.set(ev.iCalUId, (same = new Set<StoredEvent>()));
      same.add(ev);
    }
  }

  /** Stored exceptions of a series master (cancelled ones included), by original start. */
  exceptionsOfMaster(masterId: string): StoredEvent[] {
    return [...this.exceptionsOf(masterId).entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  }

  /** Exceptions of a series master, by original start. */
  private exceptionsOf(masterId: string): Map<number, StoredEvent> {
    return this.exceptionsByMaster.get(masterId) ?? new Map<number, StoredEvent>();
  }

  /** Any event id (stored or a computed occurrence) to its instance, within a mailbox. */
  findEvent(mailboxUserId: string, id: string): EventInstance | undefined {
    const stored = this.events.get(id);
    // A cancelled occurrence is gone from the calendar.
    if (stored)
      return stored.mailboxUserId === mailboxUserId && !(stored.type === 'exception' && stored.isCancelled)
        ? { ev: stored }
        : undefined;
    const occ = parseOccurrenceId(id);
    if (!occ) return undefined;
    const master = this.events.get(occ.masterId);
    if (!master || master.mailboxUserId !== mailboxUserId || !master.recurrence) return undefined;
    const hit = expandRecurrence(master.recurrence, master.start, master.end, occ.startMs + 1).find(
      (o) => o.startMs === occ.startMs,
    );
    if (!hit) return undefined;
    return { ev: master, occurrence: { id, startMs: hit.startMs, endMs: hit.endMs, master } };
  }

  requireEvent(mailboxUserId: string, id: string): EventInstance {
    const found = this.findEvent(mailboxUserId, id);
    if (!found)
      throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    return found;
  }

  /** Occurrences and exceptions of a series overlapping [fromMs, toMs), cancelled ones left out. */
  seriesInstances(master: StoredEvent, fromMs: number, toMs: number): EventInstance[] {
    if (!master.recurrence) return [];
    const exceptions = this.exceptionsOf(master.id);
    const out: EventInstance[] = [];
    // Exceptions may have been moved into the window from outside: consider every occurrence until the
    // later of the window end and the latest exception's original start.
    const until = Math.max(toMs, ...[...exceptions.keys()].map((k) => k + 1));
    for (const o of expandRecurrence(master.recurrence, master.start, master.end, until)) {
      const exc = exceptions.get(o.startMs);
      if (exc) {
        if (exc.isCancelled) continue;
        const s = dttzToMs(exc.start);
        const e = dttzToMs(exc.end);
        if (s < toMs && (e > fromMs || (s === e && s >= fromMs))) out.push({ ev: exc });
      } else if (o.startMs < toMs && (o.endMs > fromMs || (o.startMs === o.endMs && o.startMs >= fromMs))) {
        out.push({ ev: master, occurrence: { id: occurrenceId(master.id, o.startMs), ...o, master } });
      }
    }
    return out;
  }

  /** calendarView: occurrences, exceptions and single instances of a mailbox overlapping the window. */
  calendarView(mailboxUserId: string, fromMs: number, toMs: number): EventInstance[] {
    const out: EventInstance[] = [];
    for (const e of this.storedEvents(mailboxUserId)) {
      if (e.type === 'seriesMaster') out.push(...this.seriesInstances(e, fromMs, toMs));
      else if (e.type === 'singleInstance' && !e.isCancelled) {
        const s = dttzToMs(e.start);
        const end = dttzToMs(e.end);
        if (s < toMs && (end > fromMs || (s === end && s >= fromMs))) out.push({ ev: e });
      }
    }
    return out.sort(
      (a, b) => instanceStart(a) - instanceStart(b) || instanceId(a).localeCompare(instanceId(b)),
    );
  }

  /**
   * PATCH an event (or an occurrence, which becomes an exception). Returns the updated instance. An organizer's
   * PATCH of a meeting logs one update per attendee; a non-organizer's sends nothing.
   */
  patchEvent(mailboxUserId: string, id: string, patch: EventPatch): StoredEvent {
    const found = this.requireEvent(mailboxUserId, id);
    let ev = found.ev;
    const now = new Date().toISOString();
    if (found.occurrence) {
      ev = this.materialise(found.occurrence.master, found.occurrence.startMs, found.occurrence.endMs, now);
      this.addEvent(ev);
    }
    const changes: string[] = [];
    const before = structuredClone(ev);
    const assign = <K extends keyof StoredEvent>(key: K, value: StoredEvent[K] | undefined) => {
      if (value === undefined) return;
      changes.push(key);
      ev[key] = value;
    };
    assign('subject', patch.subject);
    assign('body', patch.body);
    assign('start', patch.start);
    assign('end', patch.end);
    assign('location', patch.location ? { displayName: patch.location.displayName } : undefined);
    assign('attendees', patch.attendees);
    assign('isAllDay', patch.isAllDay);
    assign('isDraft', patch.isDraft);
    for (const k of [
      'categories',
      'importance',
      'sensitivity',
      'showAs',
      'isReminderOn',
      'reminderMinutesBeforeStart',
      'responseRequested',
    ] as const) {
      if (patch[k] !== undefined) changes.push(k);
    }
    for (const [field, v] of [
      ['start', patch.start],
      ['end', patch.end],
    ] as const) {
      if (v && !ianaZone(v.timeZone)) {
        Object.assign(ev, before);
        throw new GraphError(
          400,
          'TimeZoneNotSupportedException',
          `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${v.timeZone}'.`,
        );
      }
      void field;
    }
    if (dttzToMs(ev.end) < dttzToMs(ev.start)) {
      Object.assign(ev, before);
      throw new GraphError(400, 'ErrorInvalidRequest', 'The end time must be after the start time.');
    }
    if (patch.isOnlineMeeting !== undefined || patch.onlineMeetingProvider !== undefined) {
      // event.md: after onlineMeetingProvider is set "you cannot change the isOnlineMeeting,
      // onlineMeetingProvider, and onlineMeeting properties again"; only an event that never had a provider can
      // be made a Teams meeting. Graph may ignore such an attempt; the sandbox refuses it (400), so a client
      // cannot come to rely on it.
      const wantsOnline = patch.isOnlineMeeting ?? ev.isOnlineMeeting;
      const wantsProvider = patch.onlineMeetingProvider ?? ev.onlineMeetingProvider;
      const unchanged = wantsOnline === ev.isOnlineMeeting && wantsProvider === ev.onlineMeetingProvider;
      const neverSet = ev.onlineMeetingProvider === 'unknown' && !ev.isOnlineMeeting;
      if (unchanged) {
        // Same values: nothing changes.
      } else if (
        neverSet &&
        wantsOnline &&
        (wantsProvider === 'teamsForBusiness' || wantsProvider === 'unknown')
      ) {
        ev.isOnlineMeeting = true;
        ev.onlineMeetingProvider = 'teamsForBusiness';
        ev.onlineMeeting = this.newTeamsJoinInfo(ev.organizerUserId);
        changes.push('isOnlineMeeting', 'onlineMeetingProvider');
      } else {
        Object.assign(ev, before);
        throw new GraphError(
          400,
          'ErrorInvalidRequest',
          'isOnlineMeeting and onlineMeetingProvider cannot be changed once the online meeting provider is set.',
        );
      }
    }
    const fragile = patch.body !== undefined && this.losesOnlineMeeting.delete(ev.id);
    if (
      patch.body !== undefined &&
      before.isOnlineMeeting &&
      before.onlineMeetingProvider === 'teamsForBusiness' &&
      (fragile ||
        (before.onlineMeeting?.joinUrl &&
          carriesMeetingBlob(before.body.content, before.onlineMeeting.joinUrl) &&
          !carriesMeetingBlob(patch.body.content, before.onlineMeeting.joinUrl)))
    ) {
      // event-update.md: "Inadvertently removing the meeting blob from the body would disable meeting online."
      ev.isOnlineMeeting = false;
      ev.onlineMeeting = null;
      changes.push('isOnlineMeeting');
    }
    let extendedOnly = changes.length === 0;
    if (patch.singleValueExtendedProperties) {
      for (const p of patch.singleValueExtendedProperties) {
        const key = normalisePropertyId(p.id);
        const existing = ev.extendedProperties.find((x) => normalisePropertyId(x.id) === key);
        if (existing) existing.value = p.value;
        else ev.extendedProperties.push({ id: p.id, value: p.value });
      }
    } else if (changes.length === 0) {
      extendedOnly = false;
    }
    ev.changeKey = newChangeKey();
    ev.lastModifiedDateTime = now;

    const isOrganizerCopy = ev.mailboxUserId === ev.organizerUserId;
    if (isOrganizerCopy && !extendedOnly && ev.attendees.length > 0) {
      this.logUpdates(ev, before, changes, patch);
      this.propagateToCopies(ev, changes);
    }
    return ev;
  }

  private logUpdates(ev: StoredEvent, before: StoredEvent, changes: string[], patch: EventPatch): void {
    const time = new Date().toISOString();
    const addr = (a: Attendee) => a.emailAddress.address.toLowerCase();
    let recipients: Attendee[] = ev.attendees;
    if (changes.length === 1 && changes[0] === 'attendees' && patch.attendees) {
      // A PATCH of only attendees notifies only the added and removed attendees.
      const was = new Set(before.attendees.map(addr));
      const now = new Set(ev.attendees.map(addr));
      recipients = [
        ...ev.attendees.filter((a) => !was.has(addr(a))),
        ...before.attendees.filter((a) => !now.has(addr(a))),
      ];
    }
    const log = (event: StoredEvent, what: string[], cause: UpdateLogEntry['cause'] = 'patch') => {
      for (const a of recipients) {
        this.updateLogEntries.push({
          sequence: this.updateLogEntries.length + 1,
          time,
          eventId: event.id,
          iCalUId: event.iCalUId,
          mailboxUserId: event.mailboxUserId,
          organizer: event.organizer.address,
          attendee: a.emailAddress.address,
          changes: what,
          cause,
        });
      }
    };
    log(ev, changes);
    if (ev.type === 'seriesMaster') {
      // Updating a series master also sends one update per separately edited instance.
      for (const e of this.exceptionsOf(ev.id).values()) log(e, changes, 'seriesMasterPatch');
    }
  }

  /** Attendee copies (same iCalUId in other mailboxes) take the organizer's changes. */
  private propagateToCopies(ev: StoredEvent, changes: string[]): void {
    const fields = changes.filter((c): c is 'subject' | 'body' | 'start' | 'end' | 'location' | 'attendees' =>
      ['subject', 'body', 'start', 'end', 'location', 'attendees'].includes(c),
    );
    if (!fields.length) return;
    const copies = ev.type === 'exception' ? [] : [...(this.byICalUId.get(ev.iCalUId) ?? [])];
    for (const copy of copies) {
      if (copy === ev || copy.mailboxUserId === ev.mailboxUserId) continue;
      for (const f of fields) (copy as unknown as Record<string, unknown>)[f] = structuredClone(ev[f]);
      copy.changeKey = newChangeKey();
      copy.lastModifiedDateTime = ev.lastModifiedDateTime;
    }
    if (ev.type === 'exception' && ev.seriesMasterId && ev.originalStartMs !== null) {
      const master = this.events.get(ev.seriesMasterId);
      if (!master) return;
      // The other mailboxes' copies of the series: indexed by iCalUId (a scan of every event would cost each
      // exception's PATCH the whole tenant).
      for (const copyMaster of [...(this.byICalUId.get(master.iCalUId) ?? [])]) {
        if (copyMaster.type !== 'seriesMaster' || copyMaster === master) continue;
        const excId = occurrenceId(copyMaster.id, ev.originalStartMs);
        let copy = this.events.get(excId);
        if (!copy) {
          copy = this.materialise(
            copyMaster,
            ev.originalStartMs,
            ev.originalStartMs + (dttzToMs(copyMaster.end) - dttzToMs(copyMaster.start)),
            ev.lastModifiedDateTime,
          );
          this.addEvent(copy);
        }
        for (const f of fields) (copy as unknown as Record<string, unknown>)[f] = structuredClone(ev[f]);
        copy.changeKey = newChangeKey();
      }
    }
  }

  private newTeamsJoinInfo(organizerUserId: string): StoredEvent['onlineMeeting'] {
    const thread = randomBytes(24).toString('base64url');
    const ctx = encodeURIComponent(JSON.stringify({ Tid: this.tenantId, Oid: organizerUserId }));
    return {
      joinUrl: `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${thread}%40thread.v2/0?context=${ctx}`,
      conferenceId: String(100000000 + Math.floor(Math.random() * 899999999)),
      tollNumber: '+1 425-555-0100',
    };
  }

  // ---------------------------------------------------------------- logs and meetings

  updateLog(): UpdateLogEntry[] {
    return this.updateLogEntries;
  }

  /**
   * Update counts per event and per attendee address: `byAttendee` counts every update the attendee received for
   * the event; `fromSeriesMaster` the part of them that were resends caused by a PATCH of the series master.
   */
  updateCounts(): Record<string, UpdateCount> {
    const out: Record<string, UpdateCount> = {};
    for (const u of this.updateLogEntries) {
      const e = (out[u.eventId] ??= { total: 0, byAttendee: {}, fromSeriesMaster: {} });
      e.total++;
      e.byAttendee[u.attendee] = (e.byAttendee[u.attendee] ?? 0) + 1;
      if (u.cause === 'seriesMasterPatch') {
        e.fromSeriesMaster[u.attendee] = (e.fromSeriesMaster[u.attendee] ?? 0) + 1;
      }
    }
    return out;
  }

  logRequest(entry: RequestLogEntry): void {
    this.requestLogEntries.push(entry);
    if (this.requestLogEntries.length > 50_000) this.requestLogEntries.splice(0, 10_000);
  }

  requestLog(): RequestLogEntry[] {
    return this.requestLogEntries;
  }

  clearRequestLog(): void {
    this.requestLogEntries = [];
  }

  saveOnlineMeeting(meeting: StoredOnlineMeeting): void {
    this.meetings.set(meeting.id, meeting);
  }

  onlineMeetings(): StoredOnlineMeeting[] {
    return [...this.meetings.values()];
  }

  onlineMeetingsOf(userId: string): StoredOnlineMeeting[] {
    const id = userId.toLowerCase();
    return [...this.meetings.values()].filter((m) => m.userId === id);
  }

  /** createOrGet's identity: tenant + organizer + externalId. */
  onlineMeetingByExternalId(userId: string, externalId: string): StoredOnlineMeeting | undefined {
    const id = userId.toLowerCase();
    for (const m of this.meetings.values()) if (m.userId === id && m.externalId === externalId) return m;
    return undefined;
  }

  /** Grants or withholds the Teams application access policy for one user (granted by default). */
  setTeamsAccessPolicy(idOrUpn: string, granted: boolean): { userId: string; granted: boolean } {
    const u = this.requireUser(idOrUpn);
    if (granted) this.teamsPolicyWithheld.delete(u.id);
    else this.teamsPolicyWithheld.add(u.id);
    return { userId: u.id, granted };
  }

  hasTeamsAccessPolicy(userId: string): boolean {
    return !this.teamsPolicyWithheld.has(userId.toLowerCase());
  }

  /** The Teams meeting behind each seeded Teams event (organizer's copy), findable by its join URL. */
  private registerSeededTeamsMeetings(): void {
    const seen = new Set<string>();
    for (const ev of this.events.values()) {
      const joinUrl = ev.onlineMeeting?.joinUrl;
      if (ev.type === 'exception' || ev.mailboxUserId !== ev.organizerUserId) continue;
      if (ev.onlineMeetingProvider !== 'teamsForBusiness' || !joinUrl || seen.has(joinUrl)) continue;
      seen.add(joinUrl);
      const u = this.users.get(ev.organizerUserId);
      if (!u) continue;
      this.saveOnlineMeeting(
        seededOnlineMeeting(this, u, {
          subject: ev.subject,
          startMs: dttzToMs(ev.start),
          endMs: dttzToMs(ev.end),
          joinUrl,
        }),
      );
    }
  }

  /** The raw state of an event as the control API shows it. */
  rawEvent(e: StoredEvent): Record<string, unknown> {
    return {
      ...structuredClone(e),
      originalStart: e.originalStartMs === null ? null : isoUtc(e.originalStartMs),
      mailbox: this.users.get(e.mailboxUserId)?.userPrincipalName ?? null,
      isOrganizer: e.mailboxUserId === e.organizerUserId,
    };
  }
}

export function instanceStart(i: EventInstance): number {
  return i.occurrence ? i.occurrence.startMs : dttzToMs(i.ev.start);
}

export function instanceId(i: EventInstance): string {
  return i.occurrence ? i.occurrence.id : i.ev.id;
}
