/**
 * Graph's change-notification and lifecycle-notification payloads, as they arrive at our webhook endpoints
 * (graph-facts §1.3, §1.5): only what the service uses is checked, everything else is tolerated (looseObject), and
 * every string is bounded so a hostile body cannot make us hold megabytes.
 */
import { z } from 'zod';

const maybeString = z.string().max(4000).nullish();

/** One change notification (Graph's changeNotification; only what we use is checked, the rest tolerated). */
export const changeNotificationSchema = z.looseObject({
  subscriptionId: z.string().min(1).max(200),
  changeType: z.string().min(1).max(100),
  clientState: maybeString,
  tenantId: maybeString,
  resource: z.string().min(1).max(2000),
  subscriptionExpirationDateTime: maybeString,
  resourceData: z
    .looseObject({
      id: maybeString,
      '@odata.id': maybeString,
      organizationId: maybeString,
      eventTime: maybeString,
      sequenceNumber: z.union([z.string().max(100), z.number()]).nullish(),
    })
    .nullish(),
  lifecycleEvent: maybeString,
});
export type ChangeNotification = z.output<typeof changeNotificationSchema>;

export const changeNotificationCollectionSchema = z.looseObject({
  value: z.array(changeNotificationSchema).max(1000),
  validationTokens: z.array(z.string()).nullish(),
});

export const LIFECYCLE_EVENTS = ['reauthorizationRequired', 'subscriptionRemoved', 'missed'] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

export const lifecycleNotificationSchema = z.looseObject({
  subscriptionId: z.string().min(1).max(200),
  clientState: maybeString,
  tenantId: maybeString,
  subscriptionExpirationDateTime: maybeString,
  lifecycleEvent: z.string().min(1).max(100),
});
export type LifecycleNotification = z.output<typeof lifecycleNotificationSchema>;

export const lifecycleCollectionSchema = z.looseObject({
  value: z.array(lifecycleNotificationSchema).max(1000),
});
