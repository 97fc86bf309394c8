/**
 * Group routes: `GET /groups/{id}/transitiveMembers` (group-list-transitivemembers.md): the group's members with
 * nested groups expanded, as directory objects carrying `@odata.type`; `$select` (properties of user or group),
 * `$top` (1..999, default 100: directory objects page by 100) and `@odata.nextLink` paging. An id that is not a
 * GUID answers 400 Request_BadRequest; an unknown group 404 Request_ResourceNotFound. The OData cast
 * (`/transitiveMembers/microsoft.graph.user`) is an advanced query in Graph (ConsistencyLevel: eventual and
 * $count) and is not served here: the stricter answer is 400.
 *
 * Permissions (group-list-transitivemembers.md, application): GroupMember.Read.All is the least privileged;
 * Directory.Read.All, Group.Read.All, Group.ReadWrite.All and GroupMember.ReadWrite.All also admit it. An app that
 * cannot read users (no User.Read.All or higher) gets user members with limited information: `@odata.type` and
 * `id` only ("Limited information returned for inaccessible member objects"); the sandbox's token always holds
 * the service's list (User.Read.All included), so it serves users in full.
 */
import { GraphError, page, selectList, topValue } from './http';
import type { RoutePermissions } from './auth';
import type { GraphRoute, RouteContext } from './router';
import { typeProperties } from './schema';
import type { SeedGroup } from './seed';
import type { StoredUser } from './tenant';
import { fullUser } from './users';

/** Graph pages directory objects by 100 by default and at most 999. */
export const GROUP_MEMBERS_DEFAULT_PAGE = 100;
export const GROUP_MEMBERS_MAX_PAGE = 999;

let known: Map<string, string> | undefined;

function memberSelect(ctx: RouteContext): string[] | undefined {
  const select = selectList(ctx.req);
  if (!select) return undefined;
  known ??= new Map(
    [...typeProperties('user').keys(), ...typeProperties('group').keys(), 'id'].map((k) => [
      k.toLowerCase(),
      k,
    ]),
  );
  return select.map((s) => {
    const canonical = known?.get(s.toLowerCase());
    if (!canonical) {
      throw new GraphError(
        400,
        'Request_BadRequest',
        `Could not find a property named '${s}' on type 'microsoft.graph.directoryObject'.`,
      );
    }
    return canonical;
  });
}

type Member = { kind: 'user'; user: StoredUser } | { kind: 'group'; group: SeedGroup };

function render(m: Member, select: string[] | undefined): Record<string, unknown> {
  const full: Record<string, unknown> =
    m.kind === 'user'
      ? { '@odata.type': '#microsoft.graph.user', ...fullUser(m.user) }
      : {
          '@odata.type': '#microsoft.graph.group',
          id: m.group.id,
          displayName: m.group.displayName,
          mailEnabled: false,
          securityEnabled: true,
        };
  if (!select) return full;
  const out: Record<string, unknown> = { '@odata.type': full['@odata.type'], id: full.id };
  // A selected property the member's own type does not have (a group's userPrincipalName) is left out.
  const own = typeProperties(m.kind);
  for (const name of select) if (own.has(name)) out[name] = full[name] ?? null;
  return out;
}

/** group-list-transitivemembers.md, application permissions: the least privileged first. */
export const READ_GROUP_MEMBERS: RoutePermissions = {
  accepted: [
    'GroupMember.Read.All',
    'GroupMember.ReadWrite.All',
    'Group.Read.All',
    'Group.ReadWrite.All',
    'Directory.Read.All',
  ],
  family: 'directory',
};

export const groupRoutes: GraphRoute[] = [
  {
    method: 'GET',
    pattern: '/groups/:group/transitiveMembers',
    permissions: READ_GROUP_MEMBERS,
    shapes: { response: 'Collection(directoryObject)' },
    handler: (ctx) => {
      const select = memberSelect(ctx);
      const members = ctx.tenant.transitiveMembers(ctx.params.group ?? '');
      const size = topValue(ctx.req, GROUP_MEMBERS_DEFAULT_PAGE, GROUP_MEMBERS_MAX_PAGE);
      const context = `${ctx.baseUrl}/v1.0/$metadata#directoryObjects${select ? `(${select.join(',')})` : ''}`;
      return page(ctx.baseUrl, ctx.req, context, members, size, (m) => render(m, select));
    },
  },
];
