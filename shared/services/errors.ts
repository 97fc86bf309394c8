/**
 * Errors a service answers its caller with, as the admin API shows them: a stable `code`, the HTTP status the
 * function answers with, and a message an admin can act on. Functions turn a ServiceError into
 * `{ error: { code, message } }` with `httpStatus` (functions/http.ts); anything else is a bug (500).
 *
 *   throw badRequest('startTime', 'must be an ISO-8601 date-time, got "yesterday"');
 *   throw notFound('userNotFound', 'No user "x@contoso.com" in the directory.');
 *
 * Codes in use (keep them stable, the CLI and scripts match on them):
 * | code | status | when |
 * |---|---|---|
 * | `invalidParameter` | 400 | a query parameter, route parameter or body field is missing, malformed or unknown (`parameter` names it) |
 * | `invalidJson` | 400 | the body is not JSON |
 * | `userNotFound` | 404 | the identity matches no directory user |
 * | `migrationNotFound` | 404 | the user exists but was never migrated (or the record was purged after 150 days) |
 * | `groupNotFound` | 404 | a bulk start names a group the directory does not have |
 * | `batchNotFound` | 404 | no bulk start has this batchId |
 * | `conflict` | 409 | the state does not allow the request |
 * | `mailboxOnPremises`, `mailboxNotFound` | 422 | a preview of a user whose mailbox a migration cannot reach (the message says what to do) |
 * | `dependencyUnavailable` | 503 | Microsoft Graph or storage did not answer; try again (`retryAfterSeconds` when known) |
 */

export type ServiceErrorStatus = 400 | 404 | 409 | 422 | 503;

export class ServiceError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: ServiceErrorStatus,
    message: string,
    /** The parameter (query, route or body field, dotted) the error is about, when there is one. */
    readonly parameter?: string,
    /** For 503: when to try again. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ServiceError';
  }
}

/** 400 naming the parameter: `Parameter "startTime": must be ...`. */
export function badRequest(parameter: string, problem: string): ServiceError {
  return new ServiceError('invalidParameter', 400, `Parameter "${parameter}": ${problem}`, parameter);
}

/** 400: the request body is not JSON (or is empty where one is required). */
export function invalidJson(problem: string): ServiceError {
  return new ServiceError('invalidJson', 400, `The request body is not valid JSON: ${problem}`, 'body');
}

/** 404 with a specific code (`userNotFound`, `migrationNotFound`, ...). */
export function notFound(code: string, message: string): ServiceError {
  return new ServiceError(code, 404, message);
}

/** 409. */
export function conflict(message: string, code = 'conflict'): ServiceError {
  return new ServiceError(code, 409, message);
}

/** 422: well-formed, understood, but not something the service can do (yet). */
export function unprocessable(code: string, parameter: string, message: string): ServiceError {
  return new ServiceError(code, 422, message, parameter);
}

/** 503: a dependency (Graph, storage) failed; the caller may try again. */
export function dependencyUnavailable(
  message: string,
  retryAfterSeconds?: number,
  cause?: unknown,
): ServiceError {
  return new ServiceError('dependencyUnavailable', 503, message, undefined, retryAfterSeconds, { cause });
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}
