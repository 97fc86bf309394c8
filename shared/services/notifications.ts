/**
 * Graph change notifications on `users`: the webhook (`POST /api/notifications`) and the lifecycle endpoint
 * (`POST /api/notifications/lifecycle`), minus HTTP. graph-facts.md §1, azure-facts.md §3.
 *
 * Webhook, in order:
 * 1. `validationToken` in the query (the handshake Graph makes when a subscription is created): answer it, before
 *    anything else and without reading the body (`validationResponse`). The Functions host has already decoded
 *    the token; it is echoed as `text/plain` (with `nosniff`, so no browser renders it as HTML).
 * 2. Parse the body (not JSON → 400 `invalidJson`) and check it with zod against Graph's
 *    changeNotificationCollection (extra fields tolerated; a bad one → 400 naming the field).
 * 3. Per notification: the subscription must be one we hold (Table Storage, cached briefly) and its clientState
 *    must match the stored one, compared in constant time over SHA-256 digests. A mismatch or an unknown
 *    subscription is logged (ids only, never a client state) and dropped: Graph still gets 202, a forger learns
 *    nothing.
 * 4. Publish each accepted notification to `directory-changes` with messageId = SHA-256 of subscriptionId,
 *    resource (lower-cased: its casing varies), changeType and resourceData.sequenceNumber (or eventTime), so
 *    Service Bus duplicate detection absorbs Graph's redeliveries.
 * 5. 202. When storage or the queue fails: 503, and Graph redelivers (for up to 4 hours): nothing is lost.
 *
 * Nothing slow is on the path: one point read per subscription id (cached for `cacheTtlMs`), one send per
 * notification, in parallel.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type { DeltaSweepBody, UserNotificationBody } from '../queue/messages';
import { QUEUES, type QueuePublisher } from '../queue/port';
import { DeltaStateRepository } from '../storage/repositories/delta-state-repository';
import {
  SubscriptionRepository,
  type StoredGraphSubscription,
} from '../storage/repositories/subscription-repository';
import { getInfrastructure, type Infrastructure } from './infrastructure';
import { changeNotificationCollectionSchema, type ChangeNotification } from '../graph/notification-schemas';
import { issueToError } from './input';

/** What the services log through: the Functions InvocationContext fits, so does `console`. */
export interface ServiceLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Handshake

export interface TextResponse {
  status: 200;
  headers: Record<string, string>;
  body: string;
}

/**
 * The validation handshake: when the query holds `validationToken`, the 200 text/plain answer echoing it
 * (already URL-decoded by the host: an encoded echo fails Graph's check); otherwise null.
 */
export function validationResponse(query: URLSearchParams): TextResponse | null {
  const token = query.get('validationToken');
  if (token === null) return null;
  return {
    status: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    body: token,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Payloads (Graph's shapes: shared/graph/notification-schemas.ts)

export type ParsedBody<T> =
  { ok: true; value: T } | { ok: false; code: 'invalidJson' | 'invalidParameter'; message: string };

/** JSON text → the schema's value, or the 400 to answer (naming the field). */
export function parseBody<S extends z.ZodType>(text: string, schema: S): ParsedBody<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: 'invalidJson', message: 'The body is not valid JSON.' };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, code: 'invalidParameter', message: issueToError(r.error.issues, raw).message };
}

// ---------------------------------------------------------------------------------------------------------------
// Client state

/** True when `received` is the client state whose SHA-256 is `storedSha256` (hex). Constant time. */
export function clientStateMatches(received: string | null | undefined, storedSha256: string): boolean {
  const expected = Buffer.from(storedSha256, 'hex');
  // Always hash something, so that a missing client state takes as long as a wrong one.
  const actual = createHash('sha256')
    .update(received ?? '', 'utf8')
    .digest();
  const same = expected.length === actual.length && timingSafeEqual(expected, actual);
  return same && received !== null && received !== undefined && received !== '';
}

// ---------------------------------------------------------------------------------------------------------------
// Subscription lookup (cached)

export interface SubscriptionLookup {
  get(id: string): Promise<StoredGraphSubscription | null>;
}

/**
 * Caches found subscriptions for `ttlMs` (default 60 s): one table read per subscription id per minute, not per
 * notification. Unknown ids are not cached, so a subscription saved a moment ago is found at once. Lookups of an
 * id that arrive while its read is in flight share that read: a burst of deliveries meeting a cold cache makes one
 * read, not one per notification.
 */
export class CachedSubscriptionLookup implements SubscriptionLookup {
  private readonly cache = new Map<string, { value: StoredGraphSubscription; until: number }>();
  private readonly reading = new Map<string, Promise<StoredGraphSubscription | null>>();

  constructor(
    private readonly source: SubscriptionLookup,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: string): Promise<StoredGraphSubscription | null> {
    const hit = this.cache.get(id);
    if (hit && hit.until > this.now()) return Promise.resolve(hit.value);
    const pending = this.reading.get(id);
    if (pending) return pending;
    const read: Promise<StoredGraphSubscription | null> = this.source.get(id).then(
      (value) => {
        // A read that invalidate() disowned while it was in flight does not fill the cache.
        if (this.reading.get(id) !== read) return value;
        this.reading.delete(id);
        if (value) {
          if (this.cache.size > 1000) this.cache.clear();
          this.cache.set(id, { value, until: this.now() + this.ttlMs });
        } else this.cache.delete(id);
        return value;
      },
      (e: unknown) => {
        if (this.reading.get(id) === read) this.reading.delete(id);
        throw e;
      },
    );
    this.reading.set(id, read);
    return read;
  }

  /** Forget one id (after renewal, deletion or recreation) or everything. */
  invalidate(id?: string): void {
    if (id === undefined) {
      this.cache.clear();
      this.reading.clear();
    } else {
      this.cache.delete(id);
      this.reading.delete(id);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

const USER_RESOURCE = /^\/?users(?:\/|\(')([^/()'?]+)/i;

/** The user a notification is about: resourceData.id, else the id in `Users/{id}` (any casing). */
export function userIdOf(n: ChangeNotification): string | null {
  const fromData = n.resourceData?.id;
  if (fromData) return fromData;
  const m = USER_RESOURCE.exec(n.resource.trim());
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}

/**
 * The messageId of a notification: the same for every redelivery of one change, different for two changes.
 * Without sequenceNumber and eventTime (not seen from Graph, but tolerated), the receive second stands in.
 */
export function notificationMessageId(n: ChangeNotification, receivedAt: Date): string {
  const seq = n.resourceData?.sequenceNumber;
  const marker =
    seq !== null && seq !== undefined
      ? `seq:${String(seq)}`
      : n.resourceData?.eventTime
        ? `time:${n.resourceData.eventTime}`
        : `received:${receivedAt.toISOString().slice(0, 19)}`;
  return createHash('sha256')
    .update(
      [n.subscriptionId, n.resource.trim().toLowerCase(), n.changeType.toLowerCase(), marker].join('\n'),
      'utf8',
    )
    .digest('hex');
}

/** A delta sweep message; `key` makes its id (same key within the duplicate-detection window → one sweep). */
export function deltaSweepMessage(reason: string, key: string, now: Date) {
  const body: DeltaSweepBody = {
    kind: 'deltaSweep',
    reason: reason.slice(0, 500),
    requestedAt: now.toISOString(),
  };
  return {
    messageId: `sweep-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 48)}`,
    body,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The webhook

export interface NotificationDeps {
  subscriptions: SubscriptionLookup;
  publisher: QueuePublisher;
  now: () => Date;
  log: ServiceLog;
}

export type NotificationOutcome =
  | { kind: 'badRequest'; code: 'invalidJson' | 'invalidParameter'; message: string }
  /** 202: `accepted` enqueued; `dropped` failed the checks (logged). */
  | { kind: 'accepted'; accepted: number; dropped: number }
  /** 503: storage or the queue failed; Graph redelivers. */
  | { kind: 'unavailable'; message: string };

const CHANGE_TYPES = new Set(['updated', 'deleted']);

export type CheckResult = { ok: true; subscription: StoredGraphSubscription } | { ok: false; reason: string };

/** Is the notification from a subscription we hold, with its client state? (Logs nothing.) */
export async function checkNotification(
  lookup: SubscriptionLookup,
  n: { subscriptionId: string; clientState?: string | null | undefined },
): Promise<CheckResult> {
  const sub = await lookup.get(n.subscriptionId);
  if (!sub) return { ok: false, reason: 'unknown subscription' };
  if (!clientStateMatches(n.clientState, sub.clientStateSha256)) {
    return { ok: false, reason: 'clientState does not match' };
  }
  return { ok: true, subscription: sub };
}

/** Handles the body of a webhook POST that is not a handshake. */
export async function handleChangeNotifications(
  deps: NotificationDeps,
  bodyText: string,
): Promise<NotificationOutcome> {
  const parsed = parseBody(bodyText, changeNotificationCollectionSchema);
  if (!parsed.ok) return { kind: 'badRequest', code: parsed.code, message: parsed.message };
  const receivedAt = deps.now();
  let dropped = 0;
  let checks: CheckResult[];
  try {
    checks = await Promise.all(parsed.value.value.map((n) => checkNotification(deps.subscriptions, n)));
  } catch (e) {
    deps.log.error(
      `Change notifications: the subscription table could not be read (${errorText(e)}); answering 503`,
    );
    return { kind: 'unavailable', message: 'Storage is unavailable; retry later.' };
  }
  const messages = new Map<string, UserNotificationBody>();
  parsed.value.value.forEach((n, i) => {
    const check = checks[i];
    const what = `notification for subscription ${n.subscriptionId} (${n.changeType} ${n.resource})`;
    if (!check?.ok) {
      dropped++;
      deps.log.warn(`Dropped a ${what}: ${check?.reason ?? 'not checked'}`);
      return;
    }
    const changeType = n.changeType.toLowerCase();
    const userId = userIdOf(n);
    if (!CHANGE_TYPES.has(changeType) || userId === null) {
      dropped++;
      deps.log.warn(`Dropped a ${what}: not a user update or deletion`);
      return;
    }
    messages.set(notificationMessageId(n, receivedAt), {
      kind: 'userNotification',
      subscriptionId: n.subscriptionId,
      changeType: changeType as 'updated' | 'deleted',
      resource: n.resource.slice(0, 2000),
      userId: userId.slice(0, 200),
      tenantId: (n.tenantId || n.resourceData?.organizationId || 'unknown').slice(0, 200),
      receivedAt: receivedAt.toISOString(),
    });
  });
  try {
    await Promise.all(
      [...messages].map(([messageId, body]) =>
        deps.publisher.send(QUEUES.directoryChanges, { messageId, body }),
      ),
    );
  } catch (e) {
    deps.log.error(`Change notifications: the queue did not take them (${errorText(e)}); answering 503`);
    return { kind: 'unavailable', message: 'The queue is unavailable; retry later.' };
  }
  return { kind: 'accepted', accepted: messages.size, dropped };
}

export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring

/** The stores the trigger services keep beside CORE's repositories, one set per infrastructure. */
export interface TriggerStores {
  subscriptions: SubscriptionRepository;
  deltaState: DeltaStateRepository;
  /** The webhook's cached view of `subscriptions` (invalidated by the subscription service on change). */
  lookup: CachedSubscriptionLookup;
}

const stores = new WeakMap<Infrastructure, TriggerStores>();

export function triggerStores(infra: Infrastructure = getInfrastructure()): TriggerStores {
  let s = stores.get(infra);
  if (!s) {
    const subscriptions = new SubscriptionRepository(infra.config);
    s = {
      subscriptions,
      deltaState: new DeltaStateRepository(infra.config),
      lookup: new CachedSubscriptionLookup(subscriptions),
    };
    stores.set(infra, s);
  }
  return s;
}

/** The webhook's dependencies from the process-wide infrastructure. */
export function notificationDeps(
  log: ServiceLog,
  infra: Infrastructure = getInfrastructure(),
): NotificationDeps {
  return {
    subscriptions: triggerStores(infra).lookup,
    get publisher() {
      return infra.queue();
    },
    now: infra.clock,
    log,
  };
}
