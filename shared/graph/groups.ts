/**
 * GroupsGateway over Graph's `GET /groups/{id}/transitiveMembers`: the users in a group, nested groups included,
 * page by page (Graph pages directory objects by 100 unless `$top` asks for up to 999). Needs GroupMember.Read.All
 * (the least-privileged application permission for it); the member users' properties come with User.Read.All.
 * Members that are not users (groups, devices, contacts, service principals) are left out here rather than by an
 * OData cast, which Graph serves only as an advanced query (ConsistencyLevel: eventual with $count).
 */
import { z } from 'zod';
import type { GraphClient } from './client';
import { GraphContractError } from './errors';
import { buildPath, segment } from './odata';
import type { GroupMemberUser, GroupsGateway } from './ports';
import { parseGraph } from './schemas';

/** Directory objects per page: Graph's maximum for this collection. */
export const GROUP_MEMBERS_PAGE_SIZE = 999;

const memberPage = z.object({
  value: z.array(
    z.looseObject({
      '@odata.type': z.string().min(1),
      id: z.string().min(1),
      userPrincipalName: z.string().nullable().optional(),
    }),
  ),
  '@odata.nextLink': z.string().min(1).optional(),
});

export class GraphGroupsGateway implements GroupsGateway {
  constructor(private readonly graph: GraphClient) {}

  async *transitiveUserMembers(groupId: string): AsyncGenerator<GroupMemberUser[]> {
    const operation = `list members of group ${groupId}`;
    let path: string | undefined = buildPath(`/groups/${segment(groupId)}/transitiveMembers`, {
      $select: ['id', 'userPrincipalName'],
      $top: GROUP_MEMBERS_PAGE_SIZE,
    });
    while (path !== undefined) {
      const res = await this.graph.send({ method: 'GET', path, operation });
      const page = parseGraph(memberPage, res.body, operation);
      const next = page['@odata.nextLink'];
      if (next !== undefined && !this.graph.isOwnLink(next)) {
        throw new GraphContractError(operation, '@odata.nextLink', `not under ${this.graph.root}: ${next}`);
      }
      const users: GroupMemberUser[] = [];
      for (const m of page.value) {
        if (m['@odata.type'] !== '#microsoft.graph.user') continue;
        users.push({ id: m.id, userPrincipalName: m.userPrincipalName ?? null });
      }
      yield users;
      path = next;
    }
  }
}
