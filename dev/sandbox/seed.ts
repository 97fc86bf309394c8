/**
 * The sandbox tenant's seed format: what `POST /_sandbox/tenant` loads and what the tenant generator writes.
 * Users and events are given in Microsoft Graph's own shapes (camelCase, Graph property names) plus a few
 * sandbox-only fields, prefixed with `sandbox`, that describe the parts of a real tenant Graph does not show
 * directly (where a mailbox lives, where a user is homed for Skype for Business).
 */
import { z } from 'zod';

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a GUID');
const isoDateTime = z.string().min(1);

export const seedAssignedLicense = z.object({ skuId: guid, disabledPlans: z.array(guid).default([]) });
export const seedAssignedPlan = z.object({
  assignedDateTime: isoDateTime,
  capabilityStatus: z.enum(['Enabled', 'Warning', 'Suspended', 'LockedOut', 'Deleted']),
  service: z.string(),
  servicePlanId: guid,
});

/** A phone number of an audio-conferencing bridge (a service number). */
export const seedBridgeNumber = z.object({
  /** E.164, e.g. +12065550123. */
  number: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number'),
  type: z.enum(['toll', 'tollFree']),
  city: z.string(),
  country: z.string(),
  /** BCP-47 languages the number's prompts are in. */
  languages: z.array(z.string()).default([]),
});

/** An audio-conferencing bridge, as the service stores it (Get-CsOnlineDialInConferencingBridge). */
export const seedBridge = z.object({
  id: guid,
  name: z.string(),
  isDefault: z.boolean().default(false),
  /** The bridge's "find a local number" page. */
  dialInUrl: z.string(),
  defaultTollNumber: z.string(),
  defaultTollFreeNumber: z.string().optional(),
  numbers: z.array(seedBridgeNumber),
});
export type SeedBridge = z.infer<typeof seedBridge>;

/** A user's dial-in settings (Get-CsOnlineDialInConferencingUser). */
export const seedDialIn = z.object({
  provider: z.enum(['Microsoft', 'ThirdParty']),
  enabled: z.boolean(),
  bridgeId: guid.optional(),
  tollNumber: z.string().optional(),
  tollFreeNumber: z.string().optional(),
  conferenceId: z.string().regex(/^\d+$/, 'digits').optional(),
  thirdPartyProviderName: z.string().optional(),
});
export type SeedDialIn = z.infer<typeof seedDialIn>;

export const seedUser = z.object({
  id: guid,
  userPrincipalName: z.string().min(3),
  displayName: z.string(),
  mail: z.string().nullable().optional(),
  givenName: z.string().optional(),
  surname: z.string().optional(),
  accountEnabled: z.boolean().default(true),
  /** BCP-47, e.g. "fr-FR": Graph's user.preferredLanguage. */
  preferredLanguage: z.string().nullable().optional(),
  usageLocation: z.string().nullable().optional(),
  /** Synchronised from on-premises Active Directory (hybrid users, e.g. those with an on-premises mailbox). */
  onPremisesSyncEnabled: z.boolean().nullable().optional(),
  assignedLicenses: z.array(seedAssignedLicense).default([]),
  assignedPlans: z.array(seedAssignedPlan).default([]),
  /** Windows or IANA time zone of the mailbox (mailboxSettings.timeZone). */
  mailboxTimeZone: z.string().default('UTC'),
  /** Where the mailbox lives. An on-premises mailbox cannot be reached through Graph's calendar APIs. */
  sandboxMailboxLocation: z.enum(['exchangeOnline', 'onPremises']).default('exchangeOnline'),
  /** Where the user is homed for Skype for Business (not shown by Graph v1.0 as such). */
  sandboxSipHoming: z.enum(['online', 'onPremises']).default('online'),
  /** SIP address (sip:user@domain). */
  sandboxSipAddress: z.string().optional(),
  /** The user's dial-in (audio conferencing) settings, which the service keeps itself (Graph does not show them). */
  sandboxDialIn: seedDialIn.optional(),
  /**
   * What `npm start`'s demo does with the user (no effect on Graph): `leaver` is soft-deleted once the demo has
   * requested their migration, as a user who leaves while their migration is queued.
   */
  sandboxDemo: z.enum(['leaver']).optional(),
});
export type SeedUser = z.infer<typeof seedUser>;

export const dateTimeTimeZone = z.object({ dateTime: z.string(), timeZone: z.string() });
export const emailAddress = z.object({ name: z.string().optional(), address: z.string() });
export const seedAttendee = z.object({
  emailAddress,
  type: z.enum(['required', 'optional', 'resource']).default('required'),
  status: z
    .object({
      response: z.enum(['none', 'organizer', 'tentativelyAccepted', 'accepted', 'declined', 'notResponded']),
      time: z.string(),
    })
    .optional(),
});
export const itemBody = z.object({ contentType: z.enum(['html', 'text']), content: z.string() });

export const recurrence = z.object({
  pattern: z.object({
    type: z.enum([
      'daily',
      'weekly',
      'absoluteMonthly',
      'relativeMonthly',
      'absoluteYearly',
      'relativeYearly',
    ]),
    interval: z.number().int().min(1),
    month: z.number().int().min(0).max(12).optional(),
    dayOfMonth: z.number().int().min(0).max(31).optional(),
    daysOfWeek: z
      .array(z.enum(['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']))
      .optional(),
    firstDayOfWeek: z
      .enum(['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'])
      .optional(),
    index: z.enum(['first', 'second', 'third', 'fourth', 'last']).optional(),
  }),
  range: z.object({
    type: z.enum(['endDate', 'noEnd', 'numbered']),
    startDate: z.string(),
    endDate: z.string().optional(),
    numberOfOccurrences: z.number().int().min(0).optional(),
    recurrenceTimeZone: z.string().optional(),
  }),
});

export const seedOnlineMeeting = z.object({
  joinUrl: z.string().optional(),
  conferenceId: z.string().optional(),
  tollNumber: z.string().optional(),
  tollFreeNumbers: z.array(z.string()).optional(),
});

/** A modified occurrence of a series: its own body, subject, times, or a cancellation. */
export const seedException = z.object({
  /** The occurrence's original start (UTC ISO), identifying which occurrence was changed. */
  originalStart: isoDateTime,
  subject: z.string().optional(),
  body: itemBody.optional(),
  start: dateTimeTimeZone.optional(),
  end: dateTimeTimeZone.optional(),
  isCancelled: z.boolean().optional(),
});

export const seedEvent = z.object({
  /** Optional: the sandbox assigns Graph-like ids when absent. */
  id: z.string().optional(),
  /** The mailbox (user id) the event lives in. For an attendee's copy, the attendee's id. */
  mailboxUserId: guid,
  /** Organizer's user id (same as mailboxUserId for the organizer's own copy). */
  organizerUserId: guid,
  /** Shared by the organizer's copy and its attendee copies (Graph's iCalUId). */
  iCalUId: z.string().optional(),
  subject: z.string(),
  body: itemBody,
  start: dateTimeTimeZone,
  end: dateTimeTimeZone,
  originalStartTimeZone: z.string().optional(),
  originalEndTimeZone: z.string().optional(),
  isAllDay: z.boolean().default(false),
  isCancelled: z.boolean().default(false),
  isDraft: z.boolean().default(false),
  isOnlineMeeting: z.boolean().default(false),
  onlineMeetingProvider: z
    .enum(['unknown', 'teamsForBusiness', 'skypeForBusiness', 'skypeForConsumer'])
    .default('unknown'),
  onlineMeeting: seedOnlineMeeting.nullable().optional(),
  /** The legacy join link (Skype era); the Outlook add-in's Skype meetings carry it. */
  onlineMeetingUrl: z.string().nullable().optional(),
  /** Extended properties the event starts with (e.g. the add-in's OnlineMeetingExternalLink). */
  singleValueExtendedProperties: z.array(z.object({ id: z.string().min(1), value: z.string() })).default([]),
  location: z.object({ displayName: z.string() }).optional(),
  attendees: z.array(seedAttendee).default([]),
  recurrence: recurrence.nullable().optional(),
  exceptions: z.array(seedException).default([]),
  hasAttachments: z.boolean().default(false),
  /** Free text the generator uses to say which real-world case this event stands for (not served by Graph). */
  sandboxCase: z.string().optional(),
});
export type SeedEvent = z.infer<typeof seedEvent>;

/**
 * A group (security or Microsoft 365: the sandbox does not tell them apart). `members` are object ids of users or
 * of other groups (nested groups: their members are the group's transitive members).
 */
export const seedGroup = z.object({
  id: guid,
  displayName: z.string().min(1),
  members: z.array(guid).default([]),
});
export type SeedGroup = z.infer<typeof seedGroup>;

export const tenantSeed = z.object({
  tenantId: guid,
  /** Default domain, e.g. contoso.onmicrosoft.com. */
  domain: z.string(),
  users: z.array(seedUser),
  events: z.array(seedEvent),
  /** The tenant's audio-conferencing bridges (the local host loads them into Table Storage). */
  bridges: z.array(seedBridge).default([]),
  /** Groups; the service reads their members for a bulk start by group. */
  groups: z.array(seedGroup).default([]),
});
export type TenantSeed = z.infer<typeof tenantSeed>;
export type TenantSeedInput = z.input<typeof tenantSeed>;
