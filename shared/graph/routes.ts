/**
 * Every Microsoft Graph request the gateways send, with the application permission (from the one list,
 * permissions.json) the service relies on for it and the v1.0 page that documents the route and its permission.
 * docs/graph-fidelity.md has a row per route. Tests hold the code to it: every request the sandbox sees during
 * the test suite and the demo matches a declared route and was admitted by a permission of the list; every
 * permission of the list is needed by a declared route; every declared route's permission is in the list.
 */
import type { HttpMethod } from './client';

export type GraphGatewayName = 'directory' | 'calendar' | 'onlineMeetings' | 'subscriptions' | 'preflight';

export interface GraphRouteUse {
  gateway: GraphGatewayName;
  method: HttpMethod;
  /** Path below /v1.0, parameters in braces: `/users/{id}/events/{eventId}`. */
  path: string;
  /** The application permission of the list that admits it (the route's least-privileged one we hold). */
  permission: string;
  /** The page of microsoftgraph/microsoft-graph-docs-contrib that documents it: `api-reference/v1.0/api/...`. */
  doc: string;
}

const API = 'api-reference/v1.0/api/';

export const GRAPH_ROUTES: readonly GraphRouteUse[] = [
  // directory.ts
  {
    gateway: 'directory',
    method: 'GET',
    path: '/users/{id}',
    permission: 'User.Read.All',
    doc: `${API}user-get.md`,
  },
  {
    gateway: 'directory',
    method: 'GET',
    path: '/users/{id}/mailboxSettings',
    permission: 'MailboxSettings.Read',
    doc: `${API}user-get-mailboxsettings.md`,
  },
  {
    gateway: 'directory',
    method: 'GET',
    path: '/directory/deletedItems/{id}',
    permission: 'User.Read.All',
    doc: `${API}directory-deleteditems-get.md`,
  },
  {
    gateway: 'directory',
    method: 'GET',
    path: '/users/delta',
    permission: 'User.Read.All',
    doc: `${API}user-delta.md`,
  },
  // calendar.ts
  {
    gateway: 'calendar',
    method: 'GET',
    path: '/users/{id}/events',
    permission: 'Calendars.ReadWrite',
    doc: `${API}user-list-events.md`,
  },
  {
    gateway: 'calendar',
    method: 'GET',
    path: '/users/{id}/events/{eventId}/instances',
    permission: 'Calendars.ReadWrite',
    doc: `${API}event-list-instances.md`,
  },
  {
    gateway: 'calendar',
    method: 'GET',
    path: '/users/{id}/events/{eventId}',
    permission: 'Calendars.ReadWrite',
    doc: `${API}event-get.md`,
  },
  {
    gateway: 'calendar',
    method: 'PATCH',
    path: '/users/{id}/events/{eventId}',
    permission: 'Calendars.ReadWrite',
    doc: `${API}event-update.md`,
  },
  // online-meetings.ts
  {
    gateway: 'onlineMeetings',
    method: 'POST',
    path: '/users/{id}/onlineMeetings',
    permission: 'OnlineMeetings.ReadWrite.All',
    doc: `${API}application-post-onlinemeetings.md`,
  },
  {
    gateway: 'onlineMeetings',
    method: 'POST',
    path: '/users/{id}/onlineMeetings/createOrGet',
    permission: 'OnlineMeetings.ReadWrite.All',
    doc: `${API}onlinemeeting-createorget.md`,
  },
  {
    gateway: 'onlineMeetings',
    method: 'GET',
    path: '/users/{id}/onlineMeetings',
    permission: 'OnlineMeetings.ReadWrite.All',
    doc: `${API}onlinemeeting-get.md`,
  },

  // subscriptions.ts
  {
    gateway: 'subscriptions',
    method: 'POST',
    path: '/subscriptions',
    permission: 'User.Read.All',
    doc: `${API}subscription-post-subscriptions.md`,
  },
  {
    gateway: 'subscriptions',
    method: 'GET',
    path: '/subscriptions',
    permission: 'User.Read.All',
    doc: `${API}subscription-list.md`,
  },
  {
    gateway: 'subscriptions',
    method: 'PATCH',
    path: '/subscriptions/{id}',
    permission: 'User.Read.All',
    doc: `${API}subscription-update.md`,
  },
  {
    gateway: 'subscriptions',
    method: 'DELETE',
    path: '/subscriptions/{id}',
    permission: 'User.Read.All',
    doc: `${API}subscription-delete.md`,
  },
  {
    gateway: 'subscriptions',
    method: 'POST',
    path: '/subscriptions/{id}/reauthorize',
    permission: 'User.Read.All',
    doc: `${API}subscription-reauthorize.md`,
  },
];

/** A path pattern with its parameters blanked (`/users/{}/events`), lower case: how routes are compared. */
export function routeShape(pattern: string): string {
  return pattern
    .split('/')
    .map((s) => (s.startsWith(':') || (s.startsWith('{') && s.endsWith('}')) ? '{}' : s.toLowerCase()))
    .join('/');
}

/** The declared route a request (method + a sandbox/declared pattern) stands for, if any. */
export function declaredRoute(method: string, pattern: string): GraphRouteUse | undefined {
  const shape = routeShape(pattern);
  return GRAPH_ROUTES.find((r) => r.method === method.toUpperCase() && routeShape(r.path) === shape);
}
