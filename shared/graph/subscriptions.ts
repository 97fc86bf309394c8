/**
 * SubscriptionsGateway: Graph change-notification subscriptions (here: on users).
 *
 * Expiry: Graph refuses an expirationDateTime beyond the resource's maximum lifetime (41,760 minutes for users,
 * groups and directory objects; graph-facts §1.1). Requests are clamped to that maximum minus a 5-minute margin
 * for the clock difference between us and Graph, and never set earlier than 5 minutes from now.
 */
import type { GraphClient } from './client';
import { GraphRequestError, SubscriptionGoneError } from './errors';
import { buildPath, segment } from './odata';
import type { CreateSubscription, GraphSubscription, SubscriptionsGateway } from './ports';
import { parseGraph, subscriptionListSchema, subscriptionSchema } from './schemas';

export const USER_SUBSCRIPTION_MAX_MINUTES = 41_760;
/** Outlook resources, online meetings: the strictest limit that still applies to what we might subscribe to. */
export const OTHER_SUBSCRIPTION_MAX_MINUTES = 4_230;
export const EXPIRY_MARGIN_MS = 5 * 60_000;

export function maxLifetimeMinutes(resource: string): number {
  const r = resource.replace(/^\/+/, '').toLowerCase();
  // `users` or `users/{id}` (not `users/{id}/events`, which is an Outlook resource).
  return /^(users|groups|directoryobjects)(\/[^/?]+)?(\?.*)?$/.test(r)
    ? USER_SUBSCRIPTION_MAX_MINUTES
    : OTHER_SUBSCRIPTION_MAX_MINUTES;
}

/** The expiry actually requested: `requested` (default: the maximum) within [now + margin, now + max - margin]. */
export function clampExpiry(resource: string, now: Date, requested?: Date): Date {
  const max = now.getTime() + maxLifetimeMinutes(resource) * 60_000 - EXPIRY_MARGIN_MS;
  const min = now.getTime() + EXPIRY_MARGIN_MS;
  const want = requested?.getTime() ?? max;
  return new Date(Math.min(max, Math.max(min, want)));
}

export class GraphSubscriptionsGateway implements SubscriptionsGateway {
  constructor(
    private readonly graph: GraphClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(request: CreateSubscription): Promise<GraphSubscription> {
    const resource = request.resource ?? '/users';
    const operation = 'create subscription';
    const res = await this.graph.send({
      method: 'POST',
      path: '/subscriptions',
      body: {
        changeType: request.changeType ?? 'updated,deleted',
        notificationUrl: request.notificationUrl,
        ...(request.lifecycleNotificationUrl !== undefined
          ? { lifecycleNotificationUrl: request.lifecycleNotificationUrl }
          : {}),
        resource,
        expirationDateTime: clampExpiry(resource, this.now(), request.expirationDateTime).toISOString(),
        clientState: request.clientState,
      },
      operation,
    });
    return parseGraph(subscriptionSchema, res.body, operation);
  }

  private async gone<T>(id: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof GraphRequestError && e.status === 404) throw new SubscriptionGoneError(id);
      throw e;
    }
  }

  async renew(subscriptionId: string, expirationDateTime?: Date): Promise<GraphSubscription> {
    const operation = 'renew subscription';
    return this.gone(subscriptionId, async () => {
      // The resource is not known here; users' maximum applies to every subscription this service makes.
      const expiry = clampExpiry('/users', this.now(), expirationDateTime);
      const res = await this.graph.send({
        method: 'PATCH',
        path: `/subscriptions/${segment(subscriptionId)}`,
        body: { expirationDateTime: expiry.toISOString() },
        operation,
      });
      return parseGraph(subscriptionSchema, res.body, operation);
    });
  }

  async reauthorize(subscriptionId: string): Promise<void> {
    await this.gone(subscriptionId, () =>
      this.graph.send({
        method: 'POST',
        path: `/subscriptions/${segment(subscriptionId)}/reauthorize`,
        // Reauthorizing twice is harmless.
        idempotent: true,
        operation: 'reauthorize subscription',
      }),
    );
  }

  async delete(subscriptionId: string): Promise<void> {
    try {
      await this.graph.send({
        method: 'DELETE',
        path: `/subscriptions/${segment(subscriptionId)}`,
        operation: 'delete subscription',
      });
    } catch (e) {
      if (e instanceof GraphRequestError && e.status === 404) return;
      throw e;
    }
  }

  async list(): Promise<GraphSubscription[]> {
    const operation = 'list subscriptions';
    const out: GraphSubscription[] = [];
    let path: string | undefined = buildPath('/subscriptions');
    while (path !== undefined) {
      const res = await this.graph.send({ method: 'GET', path, operation });
      const page = parseGraph(subscriptionListSchema, res.body, operation);
      out.push(...page.value);
      const next = page['@odata.nextLink'];
      path = next !== undefined && this.graph.isOwnLink(next) ? next : undefined;
    }
    return out;
  }
}
