/**
 * DirectoryGateway: users by id or UPN, where a user's mailbox lives, and /users/delta.
 */
import type { GraphClient } from './client';
import { GraphContractError, GraphRequestError } from './errors';
import { buildPath, segment } from './odata';
import type { DeltaItem, DeltaOptions, DirectoryGateway, DirectoryUser, MailboxCheck } from './ports';
import {
  USER_SELECT,
  deltaPageSchema,
  directoryUserSchema,
  mailboxSettingsSchema,
  parseGraph,
} from './schemas';

/** Error codes with which Graph says it cannot reach a mailbox through REST (on-premises, or no mailbox). */
/** Error codes with which Graph says a delta link is no longer usable: start over. */
const DELTA_RESTART = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid']);
/** Restarts allowed within one delta() call before giving up (Graph should not forget a fresh sync state). */
const MAX_DELTA_RESTARTS = 2;

export function isDeltaRestart(e: unknown): e is GraphRequestError {
  return e instanceof GraphRequestError && (DELTA_RESTART.has(e.code.toLowerCase()) || e.status === 410);
}

export class GraphDirectoryGateway implements DirectoryGateway {
  constructor(private readonly graph: GraphClient) {}

  async getUser(idOrUpn: string): Promise<DirectoryUser | null> {
    const operation = 'get user';
    try {
      const res = await this.graph.send({
        method: 'GET',
        path: buildPath(`/users/${segment(idOrUpn)}`, { $select: USER_SELECT }),
        operation,
      });
      return parseGraph(directoryUserSchema, res.body, operation);
    } catch (e) {
      if (e instanceof GraphRequestError && e.status === 404) return null;
      throw e;
    }
  }

  async checkMailbox(userId: string): Promise<MailboxCheck> {
    const operation = 'get mailboxSettings';
    try {
      const res = await this.graph.send({
        method: 'GET',
        path: buildPath(`/users/${segment(userId)}/mailboxSettings`, { $select: ['timeZone', 'language'] }),
        mailbox: userId,
        operation,
      });
      const s = parseGraph(mailboxSettingsSchema, res.body, operation);
      return { location: 'exchangeOnline', timeZone: s.timeZone, language: s.language };
    } catch (e) {
      if (e instanceof GraphRequestError && e.mailboxUnreachable) {
        return { location: 'onPremises', code: e.code, message: e.graphMessage };
      }
      if (e instanceof GraphRequestError && e.status === 404) return { location: 'notFound' };
      throw e;
    }
  }

  async isDeletedUser(userId: string): Promise<boolean> {
    const operation = 'get deleted item';
    try {
      await this.graph.send({
        method: 'GET',
        path: buildPath(`/directory/deletedItems/${segment(userId)}`, { $select: ['id'] }),
        operation,
      });
      return true;
    } catch (e) {
      if (e instanceof GraphRequestError && e.status === 404) return false;
      throw e;
    }
  }

  async *delta(options: DeltaOptions): AsyncGenerator<DeltaItem> {
    const operation = 'users delta';
    const initial = buildPath('/users/delta', { $select: options.select });
    let path = options.deltaLink ?? initial;
    if (options.deltaLink !== undefined && !this.graph.isOwnLink(options.deltaLink)) {
      throw new GraphContractError(
        operation,
        'deltaLink',
        `not under ${this.graph.root}: ${options.deltaLink}`,
      );
    }
    let restarts = 0;
    for (;;) {
      let body: unknown;
      try {
        body = (await this.graph.send({ method: 'GET', path, operation })).body;
      } catch (e) {
        if (isDeltaRestart(e) && restarts < MAX_DELTA_RESTARTS) {
          restarts++;
          yield { kind: 'restart', reason: e.code };
          path = initial;
          continue;
        }
        throw e;
      }
      const page = parseGraph(deltaPageSchema, body, operation);
      const next = page['@odata.nextLink'];
      const deltaLink = page['@odata.deltaLink'];
      for (const [field, link] of [
        ['@odata.nextLink', next],
        ['@odata.deltaLink', deltaLink],
      ] as const) {
        if (link !== undefined && !this.graph.isOwnLink(link)) {
          throw new GraphContractError(operation, field, `not under ${this.graph.root}: ${link}`);
        }
      }
      if (next !== undefined) {
        yield { kind: 'page', users: page.value };
        path = next;
        continue;
      }
      if (deltaLink === undefined) {
        throw new GraphContractError(
          operation,
          '@odata.deltaLink',
          'last page has neither nextLink nor deltaLink',
        );
      }
      yield { kind: 'page', users: page.value, deltaLink };
      return;
    }
  }
}
