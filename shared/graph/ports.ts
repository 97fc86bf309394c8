/**
 * The Microsoft Graph ports the services depend on. Implementations: directory.ts, calendar.ts,
 * online-meetings.ts, subscriptions.ts (created together by `createGraphGateways` in index.ts). Tests and the
 * local host may substitute their own. Shapes extend @microsoft/microsoft-graph-types, narrowed to what the
 * gateways guarantee after validation.
 *
 * Errors: every method may throw GraphRequestError (HTTP or network failure after retries; `retryAfterMs` tells a
 * queue worker when to try again) or GraphContractError (Graph answered with a shape the service cannot rely on).
 */
import type * as MG from '@microsoft/microsoft-graph-types';

/** GUID of the property set of our idempotency marker (generated once for this project; never change it). */
export const MARKER_PROPERTY_SET_GUID = 'adcd85d0-e2c0-418f-8aac-ddf47459ef67';
/** Single-value extended property holding the fingerprint of the meeting block we last wrote into an event. */
export const MARKER_PROPERTY_ID = `String {${MARKER_PROPERTY_SET_GUID}} Name MmsMigrationFingerprint`;
/**
 * The PublicStrings property in which the Skype for Business Outlook add-in stores a meeting's join link (such
 * meetings may show `isOnlineMeeting: false` and provider `unknown`; graph-facts.md §4.2).
 */
export const SKYPE_EXTERNAL_LINK_PROPERTY_ID =
  'String {00020329-0000-0000-C000-000000000046} Name OnlineMeetingExternalLink';

// ---------------------------------------------------------------------------------------------- directory

export interface AssignedLicense extends MG.AssignedLicense {
  skuId: string;
  disabledPlans: string[];
}

export interface AssignedPlan extends MG.AssignedPlan {
  servicePlanId: string;
  /** Enabled | Warning | Suspended | LockedOut | Deleted */
  capabilityStatus: string;
  service: string | null;
  assignedDateTime: string | null;
}

export interface DirectoryUser extends MG.User {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  mail: string | null;
  /** BCP-47, e.g. "fr-FR". */
  preferredLanguage: string | null;
  assignedLicenses: AssignedLicense[];
  assignedPlans: AssignedPlan[];
  accountEnabled: boolean | null;
  /** Synchronised from on-premises Active Directory (a hybrid user); null or absent for cloud-only users. */
  onPremisesSyncEnabled?: boolean | null;
}

export type MailboxLocation = 'exchangeOnline' | 'onPremises' | 'notFound';

export type MailboxCheck =
  | {
      location: 'exchangeOnline';
      /** mailboxSettings.timeZone (Windows or IANA name), null when unset. */
      timeZone: string | null;
      /** mailboxSettings.language.locale, e.g. "de-DE", null when unset. */
      language: string | null;
    }
  /** Graph cannot reach the mailbox (MailboxNotEnabledForRESTAPI): on-premises, or hosted elsewhere, or none. */
  | { location: 'onPremises'; code: string; message: string }
  | { location: 'notFound' };

/** One user in a delta page: the changed properties that were selected (all of them on a full sync). */
export interface DeltaUser extends MG.User {
  id: string;
  /** Present when the user left the scope: `changed` = soft-deleted (restorable), `deleted` = gone for good. */
  removed?: { reason: 'changed' | 'deleted' };
  assignedLicenses?: AssignedLicense[];
  assignedPlans?: AssignedPlan[];
}

export type DeltaItem =
  /** Graph forgot our sync state (syncStateNotFound / resyncRequired): what follows is a full sync from scratch,
   * so the caller should treat users it does not see again as unchanged-but-unknown, not as deleted. */
  | { kind: 'restart'; reason: string }
  /** One page of changes; the last page carries the new deltaLink to persist. */
  | { kind: 'page'; users: DeltaUser[]; deltaLink?: string };

export interface DeltaOptions {
  /** The deltaLink saved from the previous round; absent = initial full sync. */
  deltaLink?: string;
  /** Properties to track (used on the initial request only; the deltaLink remembers them). */
  select: readonly string[];
}

export interface DirectoryGateway {
  /** A user by object id or UPN; null when no such user exists. */
  getUser(idOrUpn: string): Promise<DirectoryUser | null>;
  /** Where the user's mailbox is, with its time zone and language when it is in Exchange Online. */
  checkMailbox(userId: string): Promise<MailboxCheck>;
  /** Whether the id is a soft-deleted user (in the directory's deleted items, restorable). */
  isDeletedUser(userId: string): Promise<boolean>;
  /** Users changed since `deltaLink` (everyone when absent), page by page. */
  delta(options: DeltaOptions): AsyncIterable<DeltaItem>;
}

// ---------------------------------------------------------------------------------------------- groups

/** A user member of a group: its object id, and its UPN when Graph shows it (User.Read.All). */
export interface GroupMemberUser {
  id: string;
  userPrincipalName: string | null;
}

export interface GroupsGateway {
  /**
   * The users in the group, nested groups included (each once), one page at a time. A group that does not exist
   * throws GraphRequestError 404.
   */
  transitiveUserMembers(groupId: string): AsyncGenerator<GroupMemberUser[]>;
}

// ---------------------------------------------------------------------------------------------- calendar

export type BodyContentType = 'html' | 'text';

export interface EventBody extends MG.ItemBody {
  contentType: BodyContentType;
  content: string;
}

export interface UtcDateTime extends MG.DateTimeTimeZone {
  /** As Graph sends it, e.g. "2026-12-01T09:00:00.0000000" (UTC: the gateway asks Graph for UTC). */
  dateTime: string;
  timeZone: string;
}

/** Everything the migration needs to classify and update one meeting. */
export interface MeetingEvent extends MG.Event {
  /** Immutable id (the gateway asks Graph for ImmutableId), stable across folder moves. */
  id: string;
  type: 'singleInstance' | 'occurrence' | 'exception' | 'seriesMaster';
  /** For an exception: its series master. */
  seriesMasterId: string | null;
  subject: string;
  body: EventBody;
  start: UtcDateTime;
  end: UtcDateTime;
  /** For an exception: the start of the occurrence it replaces (ISO, UTC). */
  originalStart: string | null;
  originalStartTimeZone: string | null;
  recurrence: MG.PatternedRecurrence | null;
  isOrganizer: boolean;
  isCancelled: boolean;
  isOnlineMeeting: boolean;
  onlineMeetingProvider: MG.OnlineMeetingProviderType | null;
  onlineMeeting: { joinUrl: string | null; conferenceId: string | null } | null;
  /** The legacy (Skype-era) join link, which add-in Skype meetings carry; null when absent. */
  onlineMeetingUrl: string | null;
  /** The Skype add-in's join link (SKYPE_EXTERNAL_LINK_PROPERTY_ID), null when the event has none. */
  skypeExternalLink: string | null;
  /** Number of attendees, organizer not included (Graph's attendees list leaves the organizer out). */
  attendeeCount: number;
  iCalUId: string | null;
  changeKey: string | null;
  /** Value of MARKER_PROPERTY_ID on this event, null when never written. */
  marker: string | null;
  /**
   * Series master from listOrganizedFutureMeetings: the start (ISO-8601 UTC) of its next occurrence that is not
   * cancelled (its own `start` is the first occurrence, possibly long past). Absent otherwise.
   */
  nextOccurrence?: string;
}

export interface ListMeetingsOptions {
  /** Current: ending after this instant (a meeting under way is listed; an all-day meeting until its date has ended in every time zone, ALL_DAY_GRACE_MS). */
  now: Date;
  /** Window end for series occurrences and exceptions, and upper bound for single meetings. Default: now + 5 years. */
  horizon?: Date;
  /** Page size ($top); default 50. */
  pageSize?: number;
}

export interface UpdateEventBody {
  body: EventBody;
  /** Fingerprint of the block written; stored in MARKER_PROPERTY_ID in the same PATCH. */
  marker: string;
}

/** What Graph's answer to a PATCH says about the event now. */
export interface UpdatedEvent {
  changeKey: string | null;
  /**
   * The event's isOnlineMeeting after the update; null when Graph's answer did not carry the event (204). A body
   * update that loses a Teams meeting's blob turns it false (event-update.md).
   */
  isOnlineMeeting: boolean | null;
}

export interface CalendarGateway {
  /**
   * The user's future meetings they organize, a few at a time (never more than a listing page at once): single
   * meetings starting at or after `now`, series masters with at least one occurrence in [now, horizon), and, after
   * their master, that series' exceptions in the same window (each carries its own body). The order is fixed for a
   * given calendar (a caller may page through it); memory is bounded by two listing pages.
   */
  listOrganizedFutureMeetings(userId: string, options: ListMeetingsOptions): AsyncGenerator<MeetingEvent[]>;
  /** One event with the same fields; null when it no longer exists. */
  getEvent(userId: string, eventId: string): Promise<MeetingEvent | null>;
  /**
   * PATCHes body and marker in one request. For the organizer's copy Graph sends the update to attendees.
   * Returns the event's new changeKey and online-meeting state from Graph's answer (200 with the event).
   */
  updateEventBody(userId: string, eventId: string, update: UpdateEventBody): Promise<UpdatedEvent>;
}

// ---------------------------------------------------------------------------------------------- online meetings

export interface TeamsMeeting {
  id: string;
  joinWebUrl: string;
  /** Audio-conferencing conference id (dial-in), when the organizer has Audio Conferencing. */
  conferenceId: string | null;
  tollNumbers: string[];
  tollFreeNumbers: string[];
  /** "Find a local number" page. */
  dialinUrl: string | null;
  /** Meeting id and passcode for joining from the Teams app. */
  joinMeetingId: string | null;
  passcode: string | null;
  /** Graph's ready-made invitation (`data:text/html,...`), localised by Accept-Language; null when absent. */
  joinInformation: string | null;
}

export interface CreateTeamsMeeting {
  subject: string;
  start: Date;
  end: Date;
  /** When given, POST /onlineMeetings/createOrGet is used: the same externalId returns the same meeting, so
   * retries never create duplicates. */
  externalId?: string;
  /** BCP-47 language of the invitation Graph returns (`Accept-Language`), e.g. the organizer's. */
  language?: string;
}

export interface OnlineMeetingsGateway {
  /**
   * POST /users/{id}/onlineMeetings, or /createOrGet when an externalId is given (then `created` says whether
   * Graph made a new meeting, 201, or returned the existing one, 200). `userId` must be an object id.
   */
  createTeamsMeeting(
    userId: string,
    meeting: CreateTeamsMeeting,
  ): Promise<TeamsMeeting & { created: boolean }>;
  /** GET /users/{id}/onlineMeetings?$filter=JoinWebUrl eq '…': the organizer's meeting with that link, or null. */
  findTeamsMeetingByJoinUrl(
    userId: string,
    joinWebUrl: string,
    options?: { language?: string },
  ): Promise<TeamsMeeting | null>;
}

// ---------------------------------------------------------------------------------------------- subscriptions

export interface GraphSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  /** ISO-8601 UTC. */
  expirationDateTime: string;
  clientState: string | null;
}

export interface CreateSubscription {
  /** Default "/users". */
  resource?: string;
  /** Default "updated,deleted" (the only change types users support). */
  changeType?: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState: string;
  /** Requested expiry; clamped to Graph's maximum for the resource. Default: the maximum. */
  expirationDateTime?: Date;
}

export interface SubscriptionsGateway {
  create(request: CreateSubscription): Promise<GraphSubscription>;
  /** Extends the expiry (clamped like create). Throws SubscriptionGoneError when Graph no longer has it. */
  renew(subscriptionId: string, expirationDateTime?: Date): Promise<GraphSubscription>;
  /** Answers a reauthorizationRequired lifecycle event. Throws SubscriptionGoneError when Graph no longer has it. */
  reauthorize(subscriptionId: string): Promise<void>;
  /** Deletes; an already-gone subscription is not an error. */
  delete(subscriptionId: string): Promise<void>;
  /** The app's subscriptions in this tenant. */
  list(): Promise<GraphSubscription[]>;
}

export interface GraphGateways {
  directory: DirectoryGateway;
  groups: GroupsGateway;
  calendar: CalendarGateway;
  onlineMeetings: OnlineMeetingsGateway;
  subscriptions: SubscriptionsGateway;
}
