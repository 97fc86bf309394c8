/**
 * zod schemas for every Graph answer field the service relies on. A mismatch becomes a GraphContractError that
 * names the field (JSON path), so a Graph change or a sandbox bug shows up as exactly that, not as a crash later.
 * Fields the service does not rely on are not validated (Graph adds properties over time).
 */
import type * as MG from '@microsoft/microsoft-graph-types';
import { z } from 'zod';
import { GraphContractError } from './errors';
import type {
  AssignedLicense,
  AssignedPlan,
  DeltaUser,
  DirectoryUser,
  GraphSubscription,
  MeetingEvent,
  TeamsMeeting,
} from './ports';
import { MARKER_PROPERTY_ID, SKYPE_EXTERNAL_LINK_PROPERTY_ID } from './ports';

/** Formats a zod issue path as `value[2].start.dateTime`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(body)' : out;
}

/** Validates `value`; throws GraphContractError naming the first offending field. */
export function parseGraph<T>(schema: z.ZodType<T>, value: unknown, operation: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new GraphContractError(operation, fieldPath(issue?.path ?? []), issue?.message ?? 'invalid');
}

const nullableString = z
  .string()
  .nullable()
  .optional()
  .transform((v) => v ?? null);

// ---------------------------------------------------------------------------------------------- users

const assignedLicense: z.ZodType<AssignedLicense> = z.object({
  skuId: z.string().min(1),
  disabledPlans: z
    .array(z.string())
    .nullable()
    .optional()
    .transform((v) => v ?? []),
});

const assignedPlan: z.ZodType<AssignedPlan> = z.object({
  servicePlanId: z.string().min(1),
  capabilityStatus: z.string().min(1),
  service: nullableString,
  assignedDateTime: nullableString,
});

const licences = z
  .array(assignedLicense)
  .nullable()
  .optional()
  .transform((v) => v ?? []);
const plans = z
  .array(assignedPlan)
  .nullable()
  .optional()
  .transform((v) => v ?? []);

export const USER_SELECT = [
  'id',
  'userPrincipalName',
  'displayName',
  'mail',
  'preferredLanguage',
  'assignedLicenses',
  'assignedPlans',
  'accountEnabled',
  'onPremisesSyncEnabled',
] as const;

export const directoryUserSchema: z.ZodType<DirectoryUser> = z.object({
  id: z.string().min(1),
  userPrincipalName: z.string().min(1),
  displayName: nullableString,
  mail: nullableString,
  preferredLanguage: nullableString,
  assignedLicenses: licences,
  assignedPlans: plans,
  accountEnabled: z
    .boolean()
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  onPremisesSyncEnabled: z
    .boolean()
    .nullable()
    .optional()
    .transform((v) => v ?? null),
});

export const mailboxSettingsSchema = z.object({
  timeZone: nullableString,
  language: z
    .object({ locale: nullableString })
    .nullable()
    .optional()
    .transform((v) => v?.locale ?? null),
});

const deltaUserSchema: z.ZodType<DeltaUser> = z
  .object({
    id: z.string().min(1),
    '@removed': z.object({ reason: z.enum(['changed', 'deleted']) }).optional(),
    userPrincipalName: z.string().min(1).optional(),
    accountEnabled: z.boolean().nullable().optional(),
    assignedLicenses: z.array(assignedLicense).optional(),
    assignedPlans: z.array(assignedPlan).optional(),
  })
  .loose()
  .transform((u) => {
    const { '@removed': removed, ...rest } = u;
    const out: DeltaUser = { ...(rest as Omit<DeltaUser, 'removed'>), id: u.id };
    if (removed) out.removed = removed;
    return out;
  });

export const deltaPageSchema = z.object({
  value: z.array(deltaUserSchema),
  '@odata.nextLink': z.string().min(1).optional(),
  '@odata.deltaLink': z.string().min(1).optional(),
});

// ---------------------------------------------------------------------------------------------- events

const dateTimeTimeZone = z.object({ dateTime: z.string().min(1), timeZone: z.string().min(1) });

const recurrenceSchema: z.ZodType<MG.PatternedRecurrence> = z
  .object({
    pattern: z
      .object({
        type: z.enum([
          'daily',
          'weekly',
          'absoluteMonthly',
          'relativeMonthly',
          'absoluteYearly',
          'relativeYearly',
        ]),
        interval: z.number().int().min(0),
      })
      .loose(),
    range: z
      .object({
        type: z.enum(['endDate', 'noEnd', 'numbered']),
        startDate: z.string().min(1),
        endDate: z.string().nullable().optional(),
        numberOfOccurrences: z.number().int().nullable().optional(),
      })
      .loose(),
  })
  .loose()
  // Validated where relied upon (pattern and range types, range dates); the rest is passed through as Graph sent it.
  .transform((r) => r as MG.PatternedRecurrence);

/** What listOrganizedFutureMeetings and getEvent $select. */
export const EVENT_SELECT = [
  'id',
  'type',
  'seriesMasterId',
  'subject',
  'body',
  'start',
  'end',
  'originalStart',
  'originalStartTimeZone',
  'recurrence',
  'isOrganizer',
  'isCancelled',
  'isOnlineMeeting',
  'onlineMeetingProvider',
  'onlineMeeting',
  'onlineMeetingUrl',
  'attendees',
  'iCalUId',
  'changeKey',
] as const;

function sameProperty(id: string, wanted: string): boolean {
  return id.toLowerCase().replace(/\s+/g, ' ') === wanted.toLowerCase();
}

export function meetingEventSchema(
  markerId: string,
  skypeLinkId: string = SKYPE_EXTERNAL_LINK_PROPERTY_ID,
): z.ZodType<MeetingEvent> {
  return z
    .object({
      id: z.string().min(1),
      type: z.enum(['singleInstance', 'occurrence', 'exception', 'seriesMaster']),
      seriesMasterId: nullableString,
      subject: z
        .string()
        .nullable()
        .optional()
        .transform((v) => v ?? ''),
      body: z.object({ contentType: z.enum(['html', 'text']), content: z.string() }),
      start: dateTimeTimeZone,
      end: dateTimeTimeZone,
      originalStart: nullableString,
      originalStartTimeZone: nullableString,
      recurrence: recurrenceSchema
        .nullable()
        .optional()
        .transform((v) => v ?? null),
      isOrganizer: z.boolean(),
      isCancelled: z.boolean(),
      isOnlineMeeting: z.boolean(),
      onlineMeetingProvider: z
        .enum(['unknown', 'teamsForBusiness', 'skypeForBusiness', 'skypeForConsumer'])
        .nullable()
        .optional()
        .transform((v): MG.OnlineMeetingProviderType | null => v ?? null),
      onlineMeeting: z
        .object({ joinUrl: nullableString, conferenceId: nullableString })
        .nullable()
        .optional()
        .transform((v) => v ?? null),
      onlineMeetingUrl: nullableString,
      attendees: z
        .array(z.object({}).loose())
        .nullable()
        .optional()
        .transform((v) => v?.length ?? 0),
      iCalUId: nullableString,
      changeKey: nullableString,
      singleValueExtendedProperties: z
        .array(z.object({ id: z.string(), value: z.string().nullable().optional() }))
        .nullable()
        .optional(),
    })
    .transform((e): MeetingEvent => {
      const { attendees, singleValueExtendedProperties, ...rest } = e;
      const marker = singleValueExtendedProperties?.find((p) => sameProperty(p.id, markerId))?.value ?? null;
      const skypeExternalLink =
        singleValueExtendedProperties?.find((p) => sameProperty(p.id, skypeLinkId))?.value ?? null;
      return { ...rest, attendeeCount: attendees, marker, skypeExternalLink };
    });
}

export const markerEventSchema = meetingEventSchema(MARKER_PROPERTY_ID);

export const collectionPage = z.object({
  value: z.array(z.unknown()),
  '@odata.nextLink': z.string().min(1).optional(),
});

export const patchedEventSchema = z.object({
  id: z.string().min(1),
  changeKey: nullableString,
  isOnlineMeeting: z
    .boolean()
    .nullable()
    .optional()
    .transform((v) => v ?? null),
});

// ---------------------------------------------------------------------------------------------- online meetings

export const teamsMeetingSchema: z.ZodType<TeamsMeeting> = z
  .object({
    id: z.string().min(1),
    joinWebUrl: z.string().min(1),
    joinInformation: z
      .object({ content: nullableString })
      .loose()
      .nullable()
      .optional()
      .transform((v) => v?.content ?? null),
    joinMeetingIdSettings: z
      .object({ joinMeetingId: nullableString, passcode: nullableString })
      .loose()
      .nullable()
      .optional(),
    audioConferencing: z
      .object({
        conferenceId: nullableString,
        // Graph's own sample spells it "ConferenceId" (graph-facts §5).
        ConferenceId: nullableString,
        dialinUrl: nullableString,
        tollNumbers: z.array(z.string()).nullable().optional(),
        tollFreeNumbers: z.array(z.string()).nullable().optional(),
        tollNumber: nullableString,
        tollFreeNumber: nullableString,
      })
      .loose()
      .nullable()
      .optional(),
  })
  .transform((m): TeamsMeeting => {
    const a = m.audioConferencing;
    const list = (many: string[] | null | undefined, one: string | null | undefined) =>
      many && many.length > 0 ? many : one ? [one] : [];
    return {
      id: m.id,
      joinWebUrl: m.joinWebUrl,
      conferenceId: a?.conferenceId ?? a?.ConferenceId ?? null,
      tollNumbers: list(a?.tollNumbers, a?.tollNumber),
      tollFreeNumbers: list(a?.tollFreeNumbers, a?.tollFreeNumber),
      dialinUrl: a?.dialinUrl ?? null,
      joinMeetingId: m.joinMeetingIdSettings?.joinMeetingId ?? null,
      passcode: m.joinMeetingIdSettings?.passcode ?? null,
      joinInformation: m.joinInformation,
    };
  });

// ---------------------------------------------------------------------------------------------- subscriptions

export const subscriptionSchema: z.ZodType<GraphSubscription> = z.object({
  id: z.string().min(1),
  resource: z.string().min(1),
  changeType: z.string().min(1),
  notificationUrl: z.string().min(1),
  lifecycleNotificationUrl: nullableString,
  expirationDateTime: z.string().min(1),
  clientState: nullableString,
});

export const subscriptionListSchema = z.object({
  value: z.array(subscriptionSchema),
  '@odata.nextLink': z.string().min(1).optional(),
});
