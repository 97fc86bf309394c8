/**
 * The service's Graph subscription on `users` (changeType `updated,deleted`), kept alive:
 *
 * - `ensureSubscriptions` (the renewSubscriptions timer, every 30 minutes): creates the subscription
 *   when there is none (Graph's validation handshake reaches POST /api/notifications while the create call is in
 *   flight, so the host must already be serving HTTP), renews it when it expires within `renewWithinMs`
 *   (default 48 h; Graph allows at most 41,760 minutes for users; the expiry Graph lists wins over the table's),
 *   recreates it when Graph lost it (absent from Graph's list, or renew → SubscriptionGoneError → create), deletes duplicates (ours at Graph that the table does not know, e.g. after
 *   a crash between create and save, and extra rows) and subscriptions made with an old notification URL or
 *   client state, and finally enqueues a delta sweep: the safety net for notifications Graph never delivered.
 * - `handleLifecycleNotifications` (POST /api/notifications/lifecycle): `reauthorizationRequired` →
 *   reauthorize (renew when that fails, recreate when Graph lost it) then a delta sweep, since delivery paused
 *   meanwhile; `subscriptionRemoved` → recreate (and sweep); `missed` → a delta sweep. Client states are
 *   checked exactly as for change notifications.
 *
 * URLs: notificationUrl = NOTIFICATION_URL; lifecycleNotificationUrl = the same URL with `/lifecycle` appended to
 * its path (its query string, e.g. `?code=<key>`, kept). Without NOTIFICATION_URL or GRAPH_CLIENT_STATE the
 * service logs why and subscribes to nothing; everything else still runs.
 */
import type { Config } from '../config';
import { SubscriptionGoneError } from '../graph/errors';
import type { GraphSubscription, SubscriptionsGateway } from '../graph/ports';
import type { LifecycleEventBody } from '../queue/messages';
import { QUEUES, type QueuePublisher } from '../queue/port';
import {
  sha256Hex,
  type StoredGraphSubscription,
  type SubscriptionRepository,
} from '../storage/repositories/subscription-repository';
import { getInfrastructure, type Infrastructure } from './infrastructure';
import {
  checkNotification,
  deltaSweepMessage,
  errorText,
  parseBody,
  triggerStores,
  type ServiceLog,
  type SubscriptionLookup,
} from './notifications';
import { lifecycleCollectionSchema } from '../graph/notification-schemas';

export const USERS_RESOURCE = '/users';
export const USERS_CHANGE_TYPE = 'updated,deleted';
/** Renew when the subscription expires within this (the timer runs every 30 minutes). */
export const DEFAULT_RENEW_WITHIN_MS = 48 * 3600_000;

export interface SubscriptionDeps {
  gateway: SubscriptionsGateway;
  repository: Pick<SubscriptionRepository, 'get' | 'save' | 'all' | 'remove'>;
  publisher: QueuePublisher;
  config: Pick<Config, 'notificationUrl' | 'clientState'>;
  now: () => Date;
  log: ServiceLog;
  renewWithinMs?: number;
  /** Called when stored subscriptions change (the webhook's cache). */
  onChange?: (id: string) => void;
}

/** NOTIFICATION_URL + `/lifecycle`, before any query string. */
export function lifecycleUrlFor(notificationUrl: string): string {
  const url = new URL(notificationUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/lifecycle`;
  return url.toString();
}

export interface EnsureReport {
  /** Why nothing was done, when settings are missing. */
  skipped?: string;
  kept?: string;
  created?: string;
  renewed?: string;
  /** Ids deleted as duplicates or stale. */
  deleted: string[];
  sweepQueued: boolean;
}

function isUsersResource(resource: string): boolean {
  return /^\/?users\/?$/i.test(resource.trim());
}

function toStored(
  sub: GraphSubscription,
  clientState: string,
  now: Date,
  previous?: StoredGraphSubscription,
): StoredGraphSubscription {
  return {
    id: sub.id,
    resource: sub.resource,
    changeType: sub.changeType,
    notificationUrl: sub.notificationUrl,
    lifecycleNotificationUrl: sub.lifecycleNotificationUrl,
    expirationDateTime: new Date(sub.expirationDateTime).toISOString(),
    clientStateSha256: previous?.clientStateSha256 ?? sha256Hex(clientState),
    createdAt: previous?.createdAt ?? now.toISOString(),
    renewedAt: previous ? now.toISOString() : null,
  };
}

function settingsOf(deps: SubscriptionDeps): { notificationUrl: string; clientState: string } | string {
  const missing = [
    deps.config.notificationUrl ? null : 'NOTIFICATION_URL',
    deps.config.clientState ? null : 'GRAPH_CLIENT_STATE',
  ].filter((x) => x !== null);
  if (missing.length > 0 || !deps.config.notificationUrl || !deps.config.clientState) {
    return (
      `Graph change notifications are off: set ${missing.join(' and ')} (the public URL of POST ` +
      '/api/notifications and a secret of at most 128 characters). Directory changes are then noticed only ' +
      'by the delta sweep of the renewSubscriptions timer.'
    );
  }
  return { notificationUrl: deps.config.notificationUrl, clientState: deps.config.clientState };
}

async function createSubscription(
  deps: SubscriptionDeps,
  s: { notificationUrl: string; clientState: string },
): Promise<StoredGraphSubscription> {
  const created = await deps.gateway.create({
    resource: USERS_RESOURCE,
    changeType: USERS_CHANGE_TYPE,
    notificationUrl: s.notificationUrl,
    lifecycleNotificationUrl: lifecycleUrlFor(s.notificationUrl),
    clientState: s.clientState,
  });
  const stored = toStored(created, s.clientState, deps.now());
  await deps.repository.save(stored);
  deps.onChange?.(stored.id);
  deps.log.info(
    `Subscribed to user changes: subscription ${stored.id}, expires ${stored.expirationDateTime}`,
  );
  return stored;
}

async function forget(deps: SubscriptionDeps, id: string, atGraph: boolean): Promise<void> {
  if (atGraph) await deps.gateway.delete(id);
  await deps.repository.remove(id);
  deps.onChange?.(id);
}

/** Renews one stored subscription; recreates it when Graph no longer has it. */
async function renewOrRecreate(
  deps: SubscriptionDeps,
  stored: StoredGraphSubscription,
  s: { notificationUrl: string; clientState: string },
): Promise<{ renewed?: StoredGraphSubscription; created?: StoredGraphSubscription }> {
  try {
    const renewed = await deps.gateway.renew(stored.id);
    const next = toStored(renewed, s.clientState, deps.now(), stored);
    await deps.repository.save(next);
    deps.onChange?.(next.id);
    deps.log.info(`Renewed subscription ${next.id} until ${next.expirationDateTime}`);
    return { renewed: next };
  } catch (e) {
    if (!(e instanceof SubscriptionGoneError)) throw e;
    deps.log.warn(`Subscription ${stored.id} no longer exists at Graph; creating a new one`);
    await forget(deps, stored.id, false);
    return { created: await createSubscription(deps, s) };
  }
}

async function queueSweep(deps: SubscriptionDeps, reason: string, key: string): Promise<void> {
  await deps.publisher.send(QUEUES.directoryChanges, deltaSweepMessage(reason, key, deps.now()));
}

/**
 * Makes sure one live subscription on users exists, as described in the file comment. Throws when Graph or
 * storage fails (the timer logs it and tries again next time); the sweep is queued even when subscribing fails.
 */
export async function ensureSubscriptions(deps: SubscriptionDeps, reason = 'timer'): Promise<EnsureReport> {
  const report: EnsureReport = { deleted: [], sweepQueued: false };
  const now = deps.now();
  const sweepKey = `${reason}:${now.toISOString()}`;
  const settings = settingsOf(deps);
  try {
    if (typeof settings === 'string') {
      deps.log.error(settings);
      report.skipped = settings;
      return report;
    }
    const wantedHash = sha256Hex(settings.clientState);
    // Graph's own list is the truth about what lives and when it expires; the table may be stale (or Graph may
    // have dropped one). When the list cannot be read, the table's view is used and renew finds out.
    let atGraph: Map<string, GraphSubscription> | undefined;
    try {
      atGraph = new Map((await deps.gateway.list()).map((g) => [g.id, g]));
    } catch (e) {
      deps.log.warn(`Listing Graph subscriptions failed (${errorText(e)}); going by the subscription table`);
    }
    const stored = await deps.repository.all();
    const current: StoredGraphSubscription[] = [];
    for (const s of stored) {
      const ours =
        isUsersResource(s.resource) &&
        s.notificationUrl === settings.notificationUrl &&
        s.clientStateSha256 === wantedHash;
      const live = atGraph?.get(s.id);
      if (atGraph && !live) {
        deps.log.warn(`Subscription ${s.id} no longer exists at Graph; forgetting it`);
        await forget(deps, s.id, false);
        report.deleted.push(s.id);
        continue;
      }
      const expiry = live ? new Date(live.expirationDateTime).toISOString() : s.expirationDateTime;
      const expired = Date.parse(expiry) <= now.getTime();
      if (ours && !expired) current.push({ ...s, expirationDateTime: expiry });
      else {
        deps.log.info(
          `Deleting subscription ${s.id}: ${ours ? 'expired' : 'made with another notification URL or client state'}`,
        );
        await forget(deps, s.id, true);
        report.deleted.push(s.id);
      }
    }
    // Keep the one that lives longest; the others are duplicates.
    current.sort((a, b) => Date.parse(b.expirationDateTime) - Date.parse(a.expirationDateTime));
    let keep = current[0];
    for (const dup of current.slice(1)) {
      deps.log.info(`Deleting duplicate subscription ${dup.id}`);
      await forget(deps, dup.id, true);
      report.deleted.push(dup.id);
    }
    // Ours at Graph but not in the table (a crash between create and save): duplicates too.
    const known = new Set(stored.map((s) => s.id));
    for (const g of atGraph?.values() ?? []) {
      if (known.has(g.id) || g.notificationUrl !== settings.notificationUrl || !isUsersResource(g.resource)) {
        continue;
      }
      deps.log.info(`Deleting subscription ${g.id}: at Graph but not in the subscription table`);
      await deps.gateway.delete(g.id);
      report.deleted.push(g.id);
    }
    const renewWithin = deps.renewWithinMs ?? DEFAULT_RENEW_WITHIN_MS;
    if (keep && Date.parse(keep.expirationDateTime) - now.getTime() < renewWithin) {
      const r = await renewOrRecreate(deps, keep, settings);
      if (r.renewed) report.renewed = r.renewed.id;
      if (r.created) report.created = r.created.id;
      keep = r.renewed ?? r.created;
    } else if (keep) {
      report.kept = keep.id;
    } else {
      report.created = (await createSubscription(deps, settings)).id;
    }
    return report;
  } finally {
    try {
      await queueSweep(deps, `renewSubscriptions (${reason})`, sweepKey);
      report.sweepQueued = true;
    } catch (e) {
      deps.log.error(`The safety-net delta sweep could not be queued: ${errorText(e)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Lifecycle notifications

export interface LifecycleDeps extends SubscriptionDeps {
  lookup: SubscriptionLookup;
}

export type LifecycleOutcome =
  | { kind: 'badRequest'; code: 'invalidJson' | 'invalidParameter'; message: string }
  | { kind: 'accepted'; handled: number; dropped: number }
  /** 503: Graph, storage or the queue failed; Graph sends the lifecycle event again. */
  | { kind: 'unavailable'; message: string };

/**
 * POST /api/notifications/lifecycle: checks each lifecycle notification (subscription ours, clientState right)
 * and queues it on `directory-changes`, then answers 202. Nothing slow happens in the request: Graph gives a
 * delivery 3 seconds and throttles an endpoint that answers slowly (change-notifications-delivery-webhooks.md);
 * the work (reauthorize, renew or re-create, which makes its own handshake, then a delta sweep) is done by
 * `processLifecycleEvent` from the queue.
 */
export async function handleLifecycleNotifications(
  deps: LifecycleDeps,
  bodyText: string,
): Promise<LifecycleOutcome> {
  const parsed = parseBody(bodyText, lifecycleCollectionSchema);
  if (!parsed.ok) return { kind: 'badRequest', code: parsed.code, message: parsed.message };
  let handled = 0;
  let dropped = 0;
  try {
    const accepted: LifecycleEventBody[] = [];
    for (const n of parsed.value.value) {
      const check = await checkNotification(deps.lookup, n);
      const what = `lifecycle event ${n.lifecycleEvent} for subscription ${n.subscriptionId}`;
      if (!check.ok) {
        dropped++;
        deps.log.warn(`Dropped a ${what}: ${check.reason}`);
        continue;
      }
      if (!LIFECYCLE_EVENTS.has(n.lifecycleEvent)) {
        dropped++;
        deps.log.warn(`Ignored an unknown ${what}`);
        continue;
      }
      accepted.push({
        kind: 'lifecycleEvent',
        subscriptionId: n.subscriptionId,
        lifecycleEvent: n.lifecycleEvent as LifecycleEventBody['lifecycleEvent'],
        ...(n.subscriptionExpirationDateTime
          ? { subscriptionExpirationDateTime: n.subscriptionExpirationDateTime }
          : {}),
        receivedAt: deps.now().toISOString(),
      });
    }
    await Promise.all(
      accepted.map((body) => {
        // Graph's redeliveries of one event (same subscription, event and expiry, within the minute) collapse.
        const key = `${body.subscriptionId}:${body.lifecycleEvent}:${body.subscriptionExpirationDateTime ?? ''}:${body.receivedAt.slice(0, 16)}`;
        return deps.publisher.send(QUEUES.directoryChanges, {
          messageId: `lifecycle-${sha256Hex(key).slice(0, 48)}`,
          body,
        });
      }),
    );
    handled = accepted.length;
  } catch (e) {
    deps.log.error(
      `Lifecycle notification could not be queued (${errorText(e)}); answering 503 so that Graph retries`,
    );
    return { kind: 'unavailable', message: 'Could not queue the lifecycle event; retry later.' };
  }
  return { kind: 'accepted', handled, dropped };
}

const LIFECYCLE_EVENTS = new Set(['reauthorizationRequired', 'subscriptionRemoved', 'missed']);

/**
 * Acts on one queued lifecycle event: `reauthorizationRequired` → reauthorize (renew when refused, re-create when
 * Graph lost the subscription) then a delta sweep, since delivery paused; `subscriptionRemoved` → re-create and
 * sweep; `missed` → sweep. Graph sends only `reauthorizationRequired` for `/users` subscriptions
 * (change-notifications-lifecycle-events.md); the other two are handled in case that changes. Throws when Graph,
 * storage or the queue fails, so the message is redelivered.
 */
export async function processLifecycleEvent(deps: SubscriptionDeps, body: LifecycleEventBody): Promise<void> {
  const settings = settingsOf(deps);
  const key = `${body.subscriptionId}:${body.lifecycleEvent}:${body.subscriptionExpirationDateTime ?? ''}:${body.receivedAt.slice(0, 16)}`;
  switch (body.lifecycleEvent) {
    case 'reauthorizationRequired': {
      const stored = await deps.repository.get(body.subscriptionId);
      if (stored === null) {
        deps.log.warn(
          `Lifecycle event for subscription ${body.subscriptionId}, which is no longer ours: ignored`,
        );
        return;
      }
      await reauthorize(deps, stored, settings);
      await queueSweep(deps, 'delivery was paused for reauthorization', key);
      return;
    }
    case 'subscriptionRemoved': {
      deps.log.warn(`Graph removed subscription ${body.subscriptionId}; creating a new one`);
      await forget(deps, body.subscriptionId, false);
      if (typeof settings === 'string') deps.log.error(settings);
      else await createSubscription(deps, settings);
      await queueSweep(deps, 'subscription removed by Graph', key);
      return;
    }
    case 'missed':
      deps.log.warn(`Graph missed notifications for subscription ${body.subscriptionId}; sweeping delta`);
      await queueSweep(deps, 'Graph reported missed notifications', key);
      return;
  }
}

async function reauthorize(
  deps: SubscriptionDeps,
  stored: StoredGraphSubscription,
  settings: { notificationUrl: string; clientState: string } | string,
): Promise<void> {
  try {
    await deps.gateway.reauthorize(stored.id);
    await deps.repository.save({ ...stored, renewedAt: deps.now().toISOString() });
    deps.onChange?.(stored.id);
    deps.log.info(`Reauthorized subscription ${stored.id}`);
    return;
  } catch (e) {
    if (typeof settings === 'string') throw e;
    if (e instanceof SubscriptionGoneError) {
      await renewOrRecreate(deps, stored, settings);
      return;
    }
    // Reauthorize refused (not gone): renewing the expiry also reauthorizes.
    deps.log.warn(`Reauthorizing subscription ${stored.id} failed (${errorText(e)}); renewing it instead`);
    await renewOrRecreate(deps, stored, settings);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring

/** The subscription service's (and lifecycle endpoint's) dependencies from the process-wide infrastructure. */
export function subscriptionDeps(
  log: ServiceLog,
  infra: Infrastructure = getInfrastructure(),
): LifecycleDeps {
  const stores = triggerStores(infra);
  return {
    gateway: infra.graph.subscriptions,
    repository: stores.subscriptions,
    lookup: stores.lookup,
    get publisher() {
      return infra.queue();
    },
    config: infra.config,
    now: infra.clock,
    log,
    onChange: (id) => stores.lookup.invalidate(id),
  };
}
