/**
 * Request a migration for one user: the ONE path every trigger goes through (the admin's
 * `POST /api/migrations`, the directory-change triggers, the dial-in and upgrade-mode admin endpoints).
 *
 *   const result = await requestUserMigration(requestMigrationPorts(getInfrastructure()), {
 *     identity: 'ada@contoso.com',                 // a UPN or an object id (or an already resolved user)
 *     trigger: 'audioConferencingLicenceAssigned',
 *     timing: 'coalesce',                          // triggers; the admin's start uses 'immediate'
 *   });
 *   result.outcome  // 'queued' | 'merged' | 'takenOver' | 'followUpRecorded'
 *   result.status   // the status record as stored (JSON-safe, DESIGN.md "Status record")
 *
 * What it does:
 * 1. Resolves the identity to a directory user: the profile table first (no Graph call for known users), then
 *    Graph (`GET /users/{id | upn}`). No such user → 404 `userNotFound`. Graph unreachable → 503.
 * 2. `targetMeetingType: "Teams"` (an admin's start, a per-user Teams upgrade, a reported move to online) is a
 *    request like any other: the worker converts the Skype meetings to Teams (teams-conversion.ts).
 * 3. Applies the pure state machine (`requestMigration` in shared/domain/status.ts) with the etag-protected
 *    read-modify-write of the status record, so concurrent requests for one user serialise:
 *    - no record, Succeeded or Failed → a new migration, Pending, `queued`;
 *    - Pending → `merged` into it (the broader migration type; its time stands);
 *    - Pending for a retry → a fresh migration replaces it (`queued`; the retry's message is then stale);
 *    - InProgress, but its heartbeat is older than the lock + margin (the worker is gone) → `takenOver`: a new
 *      attempt of the same migration runs now, and lastMessage says so;
 *    - InProgress → `followUpRecorded`: the one follow-up, queued by the worker when the run ends.
 * 4. Whenever the record is then Pending (`queued`, `merged`, `takenOver`), sends the `migrateUser` message of
 *    its run (run-lifecycle.ts): sessionId = userId (one run per user at a time), messageId derived from the
 *    run, so a merge's send of a message already queued is dropped as a duplicate, while a message that never
 *    went out (a send that failed, a process that died after the write) goes out now.
 *
 * Timing: `coalesce` (the default, for automatic triggers) holds the migration for MIGRATION_DELAY_SECONDS so that
 * a burst of triggers collapses into one run (MMS holds 90 minutes); `immediate` (the admin's explicit start)
 * runs it now. An admin start that merges into an already pending migration keeps that migration's time.
 *
 * The status record is written (one etag-guarded write) before the message is sent, so the worker always finds
 * the run it is given. When the send fails, the record stays Pending and the caller gets 503: the message is
 * sent again by the next request for the user, or by the sweep (every 5 minutes) once its time is well past.
 */
import { z } from 'zod';
import type { Config } from '../config';
import { requestMigration, type MigrationStatus, type RequestOutcome } from '../domain/status';
import type { SourceMeetingType, TargetMeetingType } from '../domain/migration-type';
import type { MigrationTrigger } from '../domain/trigger-rules';
import { GraphContractError, GraphRequestError } from '../graph/errors';
import type { DirectoryGateway } from '../graph/ports';
import type { QueuePublisher } from '../queue/port';
import { badRequest, dependencyUnavailable, notFound } from './errors';
import { getInfrastructure, type Infrastructure } from './infrastructure';
import { sendPendingRun, STALLED_AFTER_MS } from './run-lifecycle';

// ---------------------------------------------------------------------------------------------------------------
// Identity

/** Object ids are GUIDs. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * A UPN: `local@domain`. The local part takes what Entra allows (letters, digits, `' . - _ ! # ^ ~` and a few
 * more; `#EXT#` of guests included), never spaces, `@`, `:` (a SIP URI is not a UPN), slashes or brackets; the
 * domain is dotted DNS labels.
 */
const UPN = /^[^\s@/\\:<>()[\],;"]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
/** Entra allows 113 characters before the `@` and 256 in all; we accept up to 256 (checked by the directory). */
const MAX_UPN = 256;

export type Identity = { kind: 'objectId'; value: string } | { kind: 'userPrincipalName'; value: string };

export const IDENTITY_FORMS = 'a user principal name (ada@contoso.com) or a directory object id (a GUID)';

/**
 * The first control character (C0, DEL, C1) or bidirectional-formatting character (LRM, RLM, ALM, the
 * embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069) in `v`, as `U+XXXX at position n`, or
 * null. Such characters are never part of a UPN, and bidirectional ones make a name display as another.
 */
export function unsafeCharacter(v: string): string | null {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const bad =
      c <= 0x1f ||
      (c >= 0x7f && c <= 0x9f) ||
      c === 0x061c ||
      c === 0x200e ||
      c === 0x200f ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069);
    if (bad) return `U+${c.toString(16).toUpperCase().padStart(4, '0')} at position ${i + 1}`;
  }
  return null;
}

/** Validates an identity as the admin API takes it: a UPN or an object id. */
export const identitySchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${IDENTITY_FORMS}`) })
  .trim()
  .min(1, { error: `must be ${IDENTITY_FORMS}; it is empty` })
  .max(MAX_UPN, { error: `is too long (at most ${MAX_UPN} characters)` })
  .transform((v, ctx): Identity => {
    const unsafe = unsafeCharacter(v);
    if (unsafe !== null) {
      ctx.addIssue({
        code: 'custom',
        message: `must not contain control or bidirectional-formatting characters (${unsafe})`,
      });
      return z.NEVER;
    }
    if (GUID.test(v)) return { kind: 'objectId', value: v.toLowerCase() };
    if (UPN.test(v)) return { kind: 'userPrincipalName', value: v };
    ctx.addIssue({ code: 'custom', message: `must be ${IDENTITY_FORMS}, got "${v}"` });
    return z.NEVER;
  });

/** Parses an identity or throws 400 naming `parameter`. */
export function parseIdentity(raw: string, parameter = 'identity'): Identity {
  const r = identitySchema.safeParse(raw);
  if (!r.success) throw badRequest(parameter, r.error.issues[0]?.message ?? `must be ${IDENTITY_FORMS}`);
  return r.data;
}

export interface ResolvedUser {
  userId: string;
  userPrincipalName: string;
  /** Where it was found. */
  source: 'profile' | 'directory' | 'caller';
}

/** What identity resolution reads: the profile table, then Graph. */
export interface UserLookupPorts {
  profiles: {
    get(userId: string): Promise<{ userId: string; userPrincipalName: string } | null>;
    getByUpn(upn: string): Promise<{ userId: string; userPrincipalName: string } | null>;
  };
  directory: Pick<DirectoryGateway, 'getUser'>;
}

function describe(identity: Identity): string {
  return identity.kind === 'objectId' ? `object id ${identity.value}` : `"${identity.value}"`;
}

/** Graph failures as the admin API reports them. */
export function graphUnavailable(e: unknown, doing: string): Error {
  if (e instanceof GraphRequestError) {
    if (e.status === 403 || e.status === 401) {
      return dependencyUnavailable(
        `Microsoft Graph refused ${doing} (${e.code}): grant the app User.Read.All with admin consent.`,
        undefined,
        e,
      );
    }
    const retryAfter = e.retryAfterMs !== undefined ? Math.ceil(e.retryAfterMs / 1000) : undefined;
    return dependencyUnavailable(
      `Microsoft Graph did not answer ${doing} (${e.status === 0 ? 'network error' : `HTTP ${e.status}`} ${e.code}); try again.`,
      retryAfter,
      e,
    );
  }
  if (e instanceof GraphContractError) {
    return dependencyUnavailable(`Microsoft Graph answered ${doing} with an unexpected shape.`, undefined, e);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * The directory user an identity names: the profile table first, then Graph. Throws 404 `userNotFound` when
 * neither knows it, 503 when Graph fails.
 */
export async function resolveUser(ports: UserLookupPorts, identity: Identity): Promise<ResolvedUser> {
  const profile =
    identity.kind === 'objectId'
      ? await ports.profiles.get(identity.value)
      : await ports.profiles.getByUpn(identity.value);
  if (profile) {
    return { userId: profile.userId, userPrincipalName: profile.userPrincipalName, source: 'profile' };
  }
  let user;
  try {
    user = await ports.directory.getUser(identity.value);
  } catch (e) {
    throw graphUnavailable(e, `the lookup of ${describe(identity)}`);
  }
  if (!user) throw notFound('userNotFound', `No user ${describe(identity)} in the directory.`);
  return { userId: user.id, userPrincipalName: user.userPrincipalName, source: 'directory' };
}

// ---------------------------------------------------------------------------------------------------------------
// Request

export interface RequestMigrationPorts extends UserLookupPorts {
  statuses: {
    /** Etag-protected read-modify-write; `fn` gets null when there is no record and may run several times. */
    mutate(
      userId: string,
      fn: (current: MigrationStatus | null) => MigrationStatus | undefined,
    ): Promise<MigrationStatus | null>;
  };
  publisher: QueuePublisher;
  now: () => Date;
  /** A fresh GUID (correlation ids). */
  newId: () => string;
  config: Pick<Config, 'migrationDelaySeconds'>;
}

export interface MigrationRequestInput {
  /** A UPN, an object id, a parsed identity, or a user the caller already resolved (no lookup then). */
  identity: string | Identity | { userId: string; userPrincipalName: string };
  /** Default `All`. */
  sourceMeetingType?: SourceMeetingType;
  /** Default `Current`. `Teams`: Skype meetings become Teams meetings. */
  targetMeetingType?: TargetMeetingType;
  trigger: MigrationTrigger;
  /** `coalesce` (default): wait MIGRATION_DELAY_SECONDS; `immediate`: the admin's explicit start. */
  timing?: 'coalesce' | 'immediate';
}

export type MigrationRequestOutcome = RequestOutcome['kind'];

export interface MigrationRequestResult {
  outcome: MigrationRequestOutcome;
  status: MigrationStatus;
  user: ResolvedUser;
}

async function resolveInput(
  ports: UserLookupPorts,
  identity: MigrationRequestInput['identity'],
): Promise<ResolvedUser> {
  if (typeof identity === 'string') return resolveUser(ports, parseIdentity(identity));
  if ('kind' in identity) return resolveUser(ports, identity);
  return { userId: identity.userId, userPrincipalName: identity.userPrincipalName, source: 'caller' };
}

/**
 * Requests a migration for one user (see the file comment). Throws ServiceError: 400 (bad identity), 404
 * (`userNotFound`), 503 (Graph or the queue failed).
 */
export async function requestUserMigration(
  ports: RequestMigrationPorts,
  input: MigrationRequestInput,
): Promise<MigrationRequestResult> {
  const sourceMeetingType = input.sourceMeetingType ?? 'All';
  const targetMeetingType = input.targetMeetingType ?? 'Current';
  const user = await resolveInput(ports, input.identity);
  const delayMs = input.timing === 'immediate' ? 0 : ports.config.migrationDelaySeconds * 1000;
  const correlationId = ports.newId();

  let outcome: RequestOutcome | undefined;
  const stored = await ports.statuses.mutate(user.userId, (current) => {
    outcome = requestMigration(
      current,
      {
        userId: user.userId,
        userPrincipalName: user.userPrincipalName,
        sourceMeetingType,
        targetMeetingType,
        trigger: input.trigger,
        correlationId,
        delayMs,
      },
      ports.now(),
      { stalledAfterMs: STALLED_AFTER_MS },
    );
    return outcome.status;
  });
  if (outcome === undefined || stored === null) {
    throw new Error(`the status record of ${user.userId} was not written`);
  }
  const decided: RequestOutcome = outcome;

  try {
    await sendPendingRun(ports.publisher, stored, ports.now());
  } catch (e) {
    throw dependencyUnavailable(
      `The migration of ${user.userPrincipalName || user.userId} is recorded (Pending) but its message could not ` +
        'be queued. It is sent again by the next request for this user, or by the stalled-run sweep within ' +
        'minutes; try again to send it now.',
      undefined,
      e,
    );
  }
  return { outcome: decided.kind, status: stored, user };
}

/** The ports of requestUserMigration, from the process infrastructure (tests pass their own). */
export function requestMigrationPorts(infra: Infrastructure = getInfrastructure()): RequestMigrationPorts {
  return {
    profiles: infra.repositories.profiles,
    directory: infra.graph.directory,
    statuses: infra.repositories.status,
    get publisher() {
      return infra.queue();
    },
    now: infra.clock,
    newId: infra.newId,
    config: infra.config,
  };
}
