/**
 * Change-notification subscriptions for the `users` resource, as Graph documents them: the validation handshake
 * on creation (notificationUrl and lifecycleNotificationUrl), the 41,760-minute maximum lifetime, clientState up to
 * 128 characters, `updated`/`deleted` change types, expiry, and delivery of change notifications (retried on
 * non-2xx) and lifecycle events.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PERMISSIONS } from './auth';
import { describeIssues, GraphError, noContent, ok, parseJsonBody, type SandboxResponse } from './http';
import type { GraphRoute, RouteContext } from './router';
import { graphSchemaViolations } from './schema-check';
import type { SandboxTenant, StoredUser } from './tenant';

/** Graph's maximum subscription lifetime for users, groups and other directory resources. */
export const USERS_MAX_LIFETIME_MINUTES = 41_760;
export const USERS_SUBSCRIPTION_QUOTA = 100;
export const SANDBOX_APPLICATION_ID = '5a4d2c3b-0e1f-4a5b-8c7d-6e5f4a3b2c1d';

export interface StoredSubscription {
  id: string;
  resource: string;
  /** Set when the resource is one user. */
  userId: string | null;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expirationMs: number;
  latestSupportedTlsVersion: string;
  /** A reauthorizationRequired event pauses delivery until reauthorize or a PATCH. */
  paused: boolean;
}

export interface DeliveryAttempt {
  time: string;
  status?: number;
  error?: string;
}

export interface Delivery {
  id: string;
  subscriptionId: string;
  kind: 'change' | 'lifecycle';
  url: string;
  payload: unknown;
  attempts: DeliveryAttempt[];
  state: 'pending' | 'delivered' | 'failed';
}

const createBody = z.object({
  changeType: z.string().min(1),
  notificationUrl: z.string().min(1),
  resource: z.string().min(1),
  expirationDateTime: z.string().min(1),
  clientState: z.string().nullable().optional(),
  lifecycleNotificationUrl: z.string().nullable().optional(),
  latestSupportedTlsVersion: z.enum(['v1_0', 'v1_1', 'v1_2', 'v1_3']).optional(),
  notificationContentType: z.string().optional(),
  includeResourceData: z.boolean().optional(),
});

const patchBody = z
  .object({ expirationDateTime: z.string().min(1).optional(), notificationUrl: z.string().min(1).optional() })
  .strict();

function invalid(message: string): GraphError {
  return new GraphError(400, 'InvalidRequest', message);
}

/** https, or http on loopback only (a sandbox allowance so it can call a local host). */
function checkUrl(field: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(`Invalid ${field}: '${raw}' is not an absolute URL.`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url;
  throw invalid(`The ${field} must be an https URL (the sandbox also allows http on loopback).`);
}

export class Subscriptions {
  private readonly subs = new Map<string, StoredSubscription>();
  private readonly deliveries: Delivery[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  retryDelaysMs: number[];
  validationTimeoutMs: number;
  /** How long a change or lifecycle delivery waits for the answer (Graph: 3 s). */
  deliveryTimeoutMs: number;

  constructor(
    private readonly tenant: SandboxTenant,
    options: { notificationRetryDelaysMs?: number[]; validationTimeoutMs?: number },
  ) {
    this.retryDelaysMs = options.notificationRetryDelaysMs ?? [1_000, 10_000, 60_000];
    this.validationTimeoutMs = options.validationTimeoutMs ?? 10_000;
    this.deliveryTimeoutMs = 3_000;
  }

  clear(): void {
    this.subs.clear();
    this.deliveries.length = 0;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves when every delivery started so far has been delivered or given up. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  deliveryLog(): Delivery[] {
    return this.deliveries;
  }

  /** Live subscriptions (expired ones vanish). */
  list(): StoredSubscription[] {
    const now = Date.now();
    for (const [id, s] of this.subs) if (s.expirationMs <= now) this.subs.delete(id);
    return [...this.subs.values()];
  }

  get(id: string): StoredSubscription {
    const s = this.list().find((x) => x.id === id);
    if (!s) throw new GraphError(404, 'ResourceNotFound', 'The object was not found.');
    return s;
  }

  render(s: StoredSubscription): Record<string, unknown> {
    return {
      id: s.id,
      resource: s.resource,
      applicationId: SANDBOX_APPLICATION_ID,
      changeType: s.changeType,
      clientState: s.clientState,
      notificationUrl: s.notificationUrl,
      notificationQueryOptions: null,
      lifecycleNotificationUrl: s.lifecycleNotificationUrl,
      expirationDateTime: new Date(s.expirationMs).toISOString().replace(/\.\d+Z$/, 'Z'),
      creatorId: SANDBOX_APPLICATION_ID,
      includeResourceData: false,
      latestSupportedTlsVersion: s.latestSupportedTlsVersion,
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    };
  }

  private checkExpiration(raw: string): number {
    const ms = Date.parse(raw);
    if (Number.isNaN(ms)) throw invalid(`Invalid expirationDateTime '${raw}'.`);
    const now = Date.now();
    if (ms <= now) throw invalid('Subscription expiration must be in the future.');
    if (ms - now > USERS_MAX_LIFETIME_MINUTES * 60_000) {
      throw invalid(
        `Subscription expiration can only be ${USERS_MAX_LIFETIME_MINUTES} minutes in the future for resource 'users'.`,
      );
    }
    return ms;
  }

  async create(input: unknown): Promise<StoredSubscription> {
    const parsed = createBody.safeParse(input);
    if (!parsed.success) throw invalid(describeIssues(parsed.error.issues));
    const b = parsed.data;
    const types = b.changeType.split(',').map((t) => t.trim());
    for (const t of types) {
      if (t !== 'updated' && t !== 'deleted') {
        throw invalid(
          `changeType '${t}' is not supported for resource 'users'; use 'updated' and/or 'deleted'.`,
        );
      }
    }
    const m = /^\/?users(?:\/([^/]+))?\/?$/i.exec(b.resource.trim());
    if (!m) throw invalid(`Resource '${b.resource}' is not supported by this sandbox (only users).`);
    let userId: string | null = null;
    if (m[1]) {
      const u = this.tenant.findUser(decodeURIComponent(m[1]));
      if (!u) throw new GraphError(404, 'ResourceNotFound', `Resource '${b.resource}' does not exist.`);
      userId = u.id;
    }
    if (b.clientState && b.clientState.length > 128) {
      throw invalid('clientState must be at most 128 characters.');
    }
    const expirationMs = this.checkExpiration(b.expirationDateTime);
    checkUrl('notificationUrl', b.notificationUrl);
    if (b.lifecycleNotificationUrl) checkUrl('lifecycleNotificationUrl', b.lifecycleNotificationUrl);
    if (this.list().length >= USERS_SUBSCRIPTION_QUOTA) {
      throw new GraphError(
        403,
        'ExtensionError',
        `Subscription quota of ${USERS_SUBSCRIPTION_QUOTA} for users reached.`,
      );
    }
    await this.handshake(b.notificationUrl);
    if (b.lifecycleNotificationUrl) await this.handshake(b.lifecycleNotificationUrl);
    const sub: StoredSubscription = {
      id: randomUUID(),
      resource: b.resource,
      userId,
      changeType: types.join(','),
      notificationUrl: b.notificationUrl,
      lifecycleNotificationUrl: b.lifecycleNotificationUrl ?? null,
      clientState: b.clientState ?? null,
      expirationMs,
      latestSupportedTlsVersion: b.latestSupportedTlsVersion ?? 'v1_2',
      paused: false,
    };
    this.subs.set(sub.id, sub);
    return sub;
  }

  /** Graph's validation request: POST ?validationToken=..., expects 200 text/plain echoing the decoded token. */
  private async handshake(url: string): Promise<void> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`;
    let res: Response;
    try {
      res = await fetch(target, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        body: '',
        signal: AbortSignal.timeout(this.validationTimeoutMs),
      });
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw invalid('Subscription validation request timed out.');
      }
      throw invalid(
        `Subscription validation request failed. ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch {
      throw invalid('Subscription validation request timed out.');
    }
    if (res.status !== 200) {
      throw invalid(
        'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
      );
    }
    if (!(res.headers.get('content-type') ?? '').toLowerCase().startsWith('text/plain')) {
      throw invalid('Subscription validation request failed. Response must have Content-Type text/plain.');
    }
    if (text !== token) {
      throw invalid(
        'Subscription validation request failed. Response must exactly match validationToken query parameter.',
      );
    }
  }

  patch(id: string, input: unknown): StoredSubscription {
    const s = this.get(id);
    const parsed = patchBody.safeParse(input);
    if (!parsed.success) throw invalid(describeIssues(parsed.error.issues));
    if (parsed.data.expirationDateTime) s.expirationMs = this.checkExpiration(parsed.data.expirationDateTime);
    if (parsed.data.notificationUrl)
      s.notificationUrl = checkUrl('notificationUrl', parsed.data.notificationUrl).href;
    s.paused = false;
    return s;
  }

  reauthorize(id: string): void {
    this.get(id).paused = false;
  }

  delete(id: string): void {
    this.get(id);
    this.subs.delete(id);
  }

  /** Control: moves a subscription's expiry (e.g. close to now, to test renewal). No lifetime check. */
  setExpiry(id: string, expirationMs: number): StoredSubscription {
    const s = this.get(id);
    s.expirationMs = expirationMs;
    return s;
  }

  /** Control: sends a lifecycle event to the subscription's lifecycleNotificationUrl. */
  sendLifecycleEvent(
    id: string,
    lifecycleEvent: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed',
  ): Delivery {
    const s = this.get(id);
    if (lifecycleEvent !== 'reauthorizationRequired') {
      // change-notifications-lifecycle-events.md: subscriptionRemoved and missed are sent for Outlook and Teams
      // resources; a /users subscription only ever gets reauthorizationRequired.
      throw invalid(
        `lifecycleEvent: Graph sends ${lifecycleEvent} only for Outlook and Teams resources; a /users subscription gets only reauthorizationRequired.`,
      );
    }
    if (!s.lifecycleNotificationUrl) {
      throw invalid(
        'lifecycleNotificationUrl: this subscription has none, so Graph cannot send lifecycle events.',
      );
    }
    const payload = {
      value: [
        {
          subscriptionId: s.id,
          subscriptionExpirationDateTime: new Date(s.expirationMs).toISOString(),
          tenantId: this.tenant.tenantId,
          clientState: s.clientState,
          lifecycleEvent,
        },
      ],
    };
    s.paused = true;
    return this.deliver(s, 'lifecycle', s.lifecycleNotificationUrl, payload);
  }

  /** A directory change: notifies every live subscription that covers the user and the change type. */
  userChanged(user: StoredUser, changeType: 'updated' | 'deleted'): void {
    for (const s of this.list()) {
      if (s.paused) continue;
      if (s.userId && s.userId !== user.id) continue;
      if (!s.changeType.split(',').includes(changeType)) continue;
      const notification: Record<string, unknown> = {
        subscriptionId: s.id,
        subscriptionExpirationDateTime: new Date(s.expirationMs).toISOString(),
        changeType,
        resource: `Users/${user.id}`,
        tenantId: this.tenant.tenantId,
        resourceData: {
          '@odata.type': '#Microsoft.Graph.User',
          '@odata.id': `Users/${user.id}`,
          id: user.id,
          organizationId: this.tenant.tenantId,
          eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          // Graph does not promise sequenceNumber: every other notification goes without it.
          ...(this.tenant.currentSequence() % 2 === 0
            ? { sequenceNumber: String(this.tenant.currentSequence()) }
            : {}),
        },
      };
      if (s.clientState !== null) notification.clientState = s.clientState;
      this.deliver(s, 'change', s.notificationUrl, { value: [notification] });
    }
  }

  private deliver(s: StoredSubscription, kind: Delivery['kind'], url: string, payload: unknown): Delivery {
    if (this.tenant.shapes.enabled) {
      const violations = graphSchemaViolations(payload, 'changeNotificationCollection');
      if (violations.length) {
        this.tenant.shapes.record({
          direction: 'notification',
          method: 'POST',
          path: url,
          route: kind,
          violations,
        });
      }
    }
    const d: Delivery = {
      id: randomUUID(),
      subscriptionId: s.id,
      kind,
      url,
      payload,
      attempts: [],
      state: 'pending',
    };
    this.deliveries.push(d);
    const run = async (attempt: number): Promise<void> => {
      if (this.stopped) return;
      const entry: DeliveryAttempt = { time: new Date().toISOString() };
      d.attempts.push(entry);
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json; charset=utf-8' },
          body: JSON.stringify(payload),
          // Graph gives a delivery 3 seconds; no answer by then counts as failed (and is retried).
          signal: AbortSignal.timeout(this.deliveryTimeoutMs),
        });
        entry.status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) {
          d.state = 'delivered';
          return;
        }
      } catch (err) {
        entry.error = err instanceof Error ? err.message : String(err);
      }
      const delay = this.retryDelaysMs[attempt];
      if (delay === undefined || this.stopped) {
        d.state = 'failed';
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, delay);
        this.timers.add(t);
      });
      return run(attempt + 1);
    };
    const p = run(0).finally(() => this.pending.delete(p));
    this.pending.add(p);
    return d;
  }
}

// ---------------------------------------------------------------- routes

function subscriptionContext(ctx: RouteContext, entity: boolean): string {
  return `${ctx.baseUrl}/v1.0/$metadata#subscriptions${entity ? '/$entity' : ''}`;
}

export const subscriptionRoutes: GraphRoute[] = [
  {
    method: 'POST',
    pattern: '/subscriptions',
    permissions: PERMISSIONS.userSubscriptions,
    shapes: { request: 'subscription', response: 'subscription' },
    handler: async (ctx): Promise<SandboxResponse> => {
      const s = await ctx.tenant.subscriptions.create(parseJsonBody(ctx.req));
      return ok(
        { '@odata.context': subscriptionContext(ctx, true), ...ctx.tenant.subscriptions.render(s) },
        201,
      );
    },
  },
  {
    method: 'GET',
    pattern: '/subscriptions',
    permissions: PERMISSIONS.userSubscriptions,
    shapes: { response: 'Collection(subscription)' },
    handler: (ctx) =>
      ok({
        '@odata.context': subscriptionContext(ctx, false),
        value: ctx.tenant.subscriptions.list().map((s) => ctx.tenant.subscriptions.render(s)),
      }),
  },
  {
    method: 'GET',
    pattern: '/subscriptions/:id',
    permissions: PERMISSIONS.userSubscriptions,
    shapes: { response: 'subscription' },
    handler: (ctx) =>
      ok({
        '@odata.context': subscriptionContext(ctx, true),
        ...ctx.tenant.subscriptions.render(ctx.tenant.subscriptions.get(ctx.params.id ?? '')),
      }),
  },
  {
    method: 'PATCH',
    pattern: '/subscriptions/:id',
    permissions: PERMISSIONS.userSubscriptions,
    shapes: { request: 'subscription', response: 'subscription' },
    handler: (ctx) => {
      const s = ctx.tenant.subscriptions.patch(ctx.params.id ?? '', parseJsonBody(ctx.req));
      return ok({ '@odata.context': subscriptionContext(ctx, true), ...ctx.tenant.subscriptions.render(s) });
    },
  },
  {
    method: 'DELETE',
    pattern: '/subscriptions/:id',
    permissions: PERMISSIONS.userSubscriptions,
    shapes: { response: null },
    handler: (ctx) => {
      ctx.tenant.subscriptions.delete(ctx.params.id ?? '');
      return noContent();
    },
  },
  {
    method: 'POST',
    pattern: '/subscriptions/:id/reauthorize',
    permissions: PERMISSIONS.userSubscriptions,
    shapes: { response: null },
    handler: (ctx) => {
      ctx.tenant.subscriptions.reauthorize(ctx.params.id ?? '');
      return noContent();
    },
  },
];
