/**
 * The control API under `/_sandbox/` (no token: a loopback development tool). Every route calls the same
 * SandboxTenant operation `SandboxHandle.tenant` exposes.
 *
 *   POST   /_sandbox/tenant                      load a TenantSeedInput (400 names the bad field)
 *   POST   /_sandbox/reset                       back to the last loaded seed; logs, faults, subscriptions cleared
 *   GET    /_sandbox/users                       raw users          POST /_sandbox/users   create one (fires updated)
 *   GET    /_sandbox/users/{id|upn}              raw user           PATCH  directory attributes (fires updated)
 *   DELETE /_sandbox/users/{id}?mode=soft        delete (permanent by default: fires deleted; soft fires updated)
 *   POST   /_sandbox/users/{id}/assignLicense    Graph's assignLicense body; updates assignedPlans (fires updated)
 *   GET    /_sandbox/events?mailbox=&iCalUId=    raw state of every stored event; GET /_sandbox/events/{id}
 *   GET    /_sandbox/updates?eventId=&attendee=  update log + counts per event and attendee
 *   GET    /_sandbox/requests  DELETE clears     request log (method, path, mailbox, status, concurrency)
 *   GET|PUT /_sandbox/faults                     fault injection; GET|PUT /_sandbox/throttling limits and latency
 *   GET    /_sandbox/subscriptions               raw subscriptions; GET /_sandbox/notifications delivery log
 *   POST   /_sandbox/subscriptions/{id}/lifecycle {lifecycleEvent}; POST .../expiry {expirationDateTime}
 *   GET    /_sandbox/online-meetings             Teams meetings: organizer, externalId, how made (createOrGet…)
 *   GET|PUT /_sandbox/users/{id}/teams-access-policy  { granted }: the Teams application access policy for the user
 *   GET|PUT /_sandbox/permissions {roles}         the app's admin-consented application permissions
 *   POST   /_sandbox/tokens {roles?, lifetimeSeconds?}  a new access token (default: the granted roles)
 *   PUT    /_sandbox/users/{id}/mailbox-scope {inScope}  inside or outside the app's Exchange RBAC scope
 *   POST   /_sandbox/events/{id}/lose-online-meeting  its next body PATCH turns the Teams meeting non-online
 *   GET    /_sandbox/groups   POST /_sandbox/groups { id, displayName, members }   groups (create or replace)
 *   GET    /_sandbox/shape-violations  DELETE takes them   bodies that do not conform to the Graph v1.0 schema
 */
import { z } from 'zod';
import { DEFAULT_TOKEN_LIFETIME_SECONDS } from './auth';
import {
  describeIssues,
  errorResponse,
  GraphError,
  newRequestId,
  ok,
  type SandboxRequest,
  type SandboxResponse,
} from './http';
import { controlView } from './online-meetings';
import { Router, type Handler } from './router';
import { SeedError, type SandboxTenant, type StoredUser } from './tenant';
import { fullUser } from './users';

function json(req: SandboxRequest): unknown {
  if (!req.body || !req.body.trim()) return {};
  try {
    return JSON.parse(req.body) as unknown;
  } catch {
    throw new GraphError(400, 'BadRequest', 'The body is not valid JSON.');
  }
}

/** Same meeting: equal iCalUIds, or Outlook global object ids differing only in the occurrence date. */
function sameMeeting(a: string, b: string): boolean {
  if (a.toUpperCase() === b.toUpperCase()) return true;
  const std = /^040000008200E00074C5B7101A82E008[0-9A-F]{8}/i;
  return (
    std.test(a) &&
    std.test(b) &&
    a.length === b.length &&
    a.slice(40).toUpperCase() === b.slice(40).toUpperCase()
  );
}

function userView(u: StoredUser): Record<string, unknown> {
  return { ...u, graph: fullUser(u) };
}

const h = (fn: (t: SandboxTenant, req: SandboxRequest, p: Record<string, string>) => unknown): Handler => {
  return async (ctx) => {
    const out: unknown = await fn(ctx.tenant, ctx.req, ctx.params);
    if (out && typeof out === 'object' && 'status' in out && 'headers' in out) return out as SandboxResponse;
    return ok(out ?? { ok: true });
  };
};

const lifecycleBody = z.object({
  lifecycleEvent: z.enum(['reauthorizationRequired', 'subscriptionRemoved', 'missed']),
});
const accessPolicyBody = z.object({ granted: z.boolean() }).strict();
const expiryBody = z.object({
  expirationDateTime: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO date-time'),
});

const rolesBody = z.object({ roles: z.array(z.string().min(1)) }).strict();
const tokenBody = z
  .object({
    roles: z.array(z.string().min(1)).optional(),
    lifetimeSeconds: z.number().int().min(1).max(86_400).optional(),
  })
  .strict();
const scopeBody = z.object({ inScope: z.boolean() }).strict();

const router = new Router().add(
  { method: 'GET', pattern: '/permissions', handler: h((t) => ({ roles: t.grantedRoles })) },
  {
    method: 'PUT',
    pattern: '/permissions',
    handler: h((t, req) => {
      t.grantedRoles = [...new Set(rolesBody.parse(json(req)).roles)];
      return { roles: t.grantedRoles };
    }),
  },
  {
    method: 'POST',
    pattern: '/tokens',
    handler: h((t, req) => {
      const b = tokenBody.parse(json(req));
      const lifetime = b.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
      return {
        token_type: 'Bearer',
        expires_in: lifetime,
        access_token: t.tokens.issue(b.roles ?? t.grantedRoles, lifetime),
      };
    }),
  },
  {
    method: 'POST',
    pattern: '/events/:id/lose-online-meeting',
    handler: h((t, _r, p) => {
      const e = t.storedEvents().find((x) => x.id === p.id);
      if (!e) throw new GraphError(404, 'ErrorItemNotFound', `No stored event ${p.id}.`);
      t.losesOnlineMeeting.add(e.id);
      return { id: e.id, losesOnlineMeetingOnNextBodyPatch: true };
    }),
  },
  {
    method: 'PUT',
    pattern: '/users/:id/mailbox-scope',
    handler: h((t, req, p) => {
      const u = t.requireUser(p.id ?? '');
      const inScope = scopeBody.parse(json(req)).inScope;
      t.setMailboxInScope(u.id, inScope);
      return { id: u.id, inScope };
    }),
  },
  {
    method: 'GET',
    pattern: '/',
    handler: h(() => ({ sandbox: 'Microsoft Graph v1.0 stand-in', graph: '/v1.0', control: '/_sandbox' })),
  },
  { method: 'POST', pattern: '/tenant', handler: h((t, req) => t.load(json(req))) },
  {
    method: 'GET',
    pattern: '/tenant',
    handler: h((t) => ({ tenantId: t.tenantId, domain: t.domain, bridges: t.bridges })),
  },
  {
    method: 'POST',
    pattern: '/reset',
    handler: h((t) => {
      t.reset();
      return { ok: true };
    }),
  },
  { method: 'GET', pattern: '/users', handler: h((t) => ({ value: t.listUsers().map(userView) })) },
  { method: 'POST', pattern: '/users', handler: h((t, req) => userView(t.createUser(json(req)))) },
  { method: 'GET', pattern: '/users/:id', handler: h((t, _r, p) => userView(t.requireUser(p.id ?? ''))) },
  {
    method: 'PATCH',
    pattern: '/users/:id',
    handler: h((t, req, p) => userView(t.updateUser(p.id ?? '', json(req)))),
  },
  {
    method: 'DELETE',
    pattern: '/users/:id',
    handler: h((t, req, p) => {
      const mode = req.query.get('mode') === 'soft' ? 'soft' : 'permanent';
      t.deleteUser(p.id ?? '', mode);
      return { ok: true, mode };
    }),
  },
  {
    method: 'POST',
    pattern: '/users/:id/assignLicense',
    handler: h((t, req, p) => userView(t.assignLicense(p.id ?? '', json(req)))),
  },
  {
    method: 'GET',
    pattern: '/events',
    handler: h((t, req) => {
      const mailbox = req.query.get('mailbox');
      const uid = req.query.get('iCalUId');
      const user = mailbox ? t.requireUser(mailbox) : undefined;
      return {
        value: t
          .storedEvents(user?.id)
          .filter((e) => !uid || sameMeeting(e.iCalUId, uid))
          .map((e) => t.rawEvent(e)),
      };
    }),
  },
  {
    method: 'GET',
    pattern: '/events/:id',
    handler: h((t, _r, p) => {
      const e = t.storedEvents().find((x) => x.id === p.id);
      if (!e)
        throw new GraphError(
          404,
          'ErrorItemNotFound',
          `No stored event ${p.id} (occurrences exist only once patched).`,
        );
      return t.rawEvent(e);
    }),
  },
  {
    method: 'GET',
    pattern: '/updates',
    handler: h((t, req) => {
      const ev = req.query.get('eventId');
      const att = req.query.get('attendee')?.toLowerCase();
      return {
        value: t
          .updateLog()
          .filter((u) => (!ev || u.eventId === ev) && (!att || u.attendee.toLowerCase() === att)),
        counts: t.updateCounts(),
      };
    }),
  },
  { method: 'GET', pattern: '/requests', handler: h((t) => ({ value: t.requestLog() })) },
  {
    method: 'DELETE',
    pattern: '/requests',
    handler: h((t) => {
      t.clearRequestLog();
      return { ok: true };
    }),
  },
  { method: 'GET', pattern: '/faults', handler: h((t) => t.throttle.getFaults()) },
  { method: 'PUT', pattern: '/faults', handler: h((t, req) => t.throttle.setFaults(json(req))) },
  { method: 'GET', pattern: '/throttling', handler: h((t) => t.throttle.config) },
  { method: 'PUT', pattern: '/throttling', handler: h((t, req) => t.throttle.setConfig(json(req))) },
  {
    method: 'GET',
    pattern: '/subscriptions',
    handler: h((t) => ({
      value: t.subscriptions.list().map((s) => ({ ...s, graph: t.subscriptions.render(s) })),
    })),
  },
  { method: 'GET', pattern: '/notifications', handler: h((t) => ({ value: t.subscriptions.deliveryLog() })) },
  {
    method: 'POST',
    pattern: '/subscriptions/:id/lifecycle',
    handler: h((t, req, p) => {
      const b = lifecycleBody.safeParse(json(req));
      if (!b.success) throw new SeedError(describeIssues(b.error.issues));
      return t.subscriptions.sendLifecycleEvent(p.id ?? '', b.data.lifecycleEvent);
    }),
  },
  {
    method: 'POST',
    pattern: '/subscriptions/:id/expiry',
    handler: h((t, req, p) => {
      const b = expiryBody.safeParse(json(req));
      if (!b.success) throw new SeedError(describeIssues(b.error.issues));
      return t.subscriptions.render(
        t.subscriptions.setExpiry(p.id ?? '', Date.parse(b.data.expirationDateTime)),
      );
    }),
  },
  {
    method: 'GET',
    pattern: '/online-meetings',
    handler: h((t) => ({ value: t.onlineMeetings().map((m) => controlView(t, m)) })),
  },
  {
    method: 'GET',
    pattern: '/users/:id/teams-access-policy',
    handler: h((t, _r, p) => {
      const u = t.requireUser(p.id ?? '');
      return { userId: u.id, granted: t.hasTeamsAccessPolicy(u.id) };
    }),
  },
  {
    method: 'PUT',
    pattern: '/users/:id/teams-access-policy',
    handler: h((t, req, p) => {
      const b = accessPolicyBody.safeParse(json(req));
      if (!b.success) throw new SeedError(describeIssues(b.error.issues));
      return t.setTeamsAccessPolicy(p.id ?? '', b.data.granted);
    }),
  },
  { method: 'GET', pattern: '/groups', handler: h((t) => ({ value: t.listGroups() })) },
  {
    method: 'GET',
    pattern: '/shape-violations',
    handler: h((t) => ({ enabled: t.shapes.enabled, value: t.shapes.list() })),
  },
  {
    method: 'DELETE',
    pattern: '/shape-violations',
    handler: h((t) => ({ enabled: t.shapes.enabled, value: t.shapes.take() })),
  },
  { method: 'POST', pattern: '/groups', handler: h((t, req) => t.putGroup(json(req))) },
);

export async function controlRouter(tenant: SandboxTenant, req: SandboxRequest): Promise<SandboxResponse> {
  const rid = newRequestId();
  try {
    const match = router.match(req.method, req.segments);
    if (!match) throw new GraphError(404, 'NotFound', `No control route ${req.method} /_sandbox${req.path}.`);
    if ('methodNotAllowed' in match)
      throw new GraphError(405, 'MethodNotAllowed', `${req.method} is not allowed on /_sandbox${req.path}.`);
    return await match.route.handler({ req, params: match.params, tenant, baseUrl: '', requestId: rid });
  } catch (err) {
    if (err instanceof SeedError)
      return errorResponse(new GraphError(400, 'BadRequest', err.message), rid, rid);
    if (err instanceof z.ZodError)
      return errorResponse(new GraphError(400, 'BadRequest', describeIssues(err.issues)), rid, rid);
    if (err instanceof GraphError) return errorResponse(err, rid, rid);
    if (err instanceof RangeError)
      return errorResponse(new GraphError(400, 'BadRequest', err.message), rid, rid);
    throw err;
  }
}
