/**
 * Errors the Graph gateways throw. Callers branch on the class and on `code` (Graph's error code), never on
 * `message`.
 */

/** A Graph request that failed: an HTTP error answer, or a network failure (`status` 0, `code` "networkError"). */
export class GraphRequestError extends Error {
  readonly status: number;
  /** Graph's `error.code` (e.g. "TooManyRequests", "ErrorItemNotFound", "MailboxNotEnabledForRESTAPI"). */
  readonly code: string;
  /** From `Retry-After` on 429/503/504, in milliseconds. */
  readonly retryAfterMs?: number;
  /** Graph's `request-id`, for support cases. */
  readonly requestId?: string;
  /** Graph's `error.message` (or the network error's), without the operation prefix. */
  readonly graphMessage: string;
  /** What the service was doing, e.g. "GET /users/{id}/events". */
  readonly operation: string;
  /** How many attempts were made before giving up. */
  readonly attempts: number;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    operation: string;
    retryAfterMs?: number;
    requestId?: string;
    attempts?: number;
  }) {
    super(
      `${init.operation}: ${init.status === 0 ? 'network error' : `HTTP ${init.status}`} ${init.code}: ${init.message}`,
    );
    this.name = 'GraphRequestError';
    this.status = init.status;
    this.code = init.code;
    this.graphMessage = init.message;
    this.operation = init.operation;
    this.attempts = init.attempts ?? 1;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.requestId !== undefined) this.requestId = init.requestId;
  }

  /** True when the same request may succeed later (throttling, service busy, network). */
  get transient(): boolean {
    return isTransientStatus(this.status);
  }

  /** Graph asked us to slow down: 429, or 503 with a Retry-After. */
  get throttled(): boolean {
    return this.status === 429 || (this.status === 503 && this.retryAfterMs !== undefined);
  }

  /** The app's token or permissions were refused (401/403). */
  get forbidden(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** Graph cannot reach the mailbox through REST: it is on premises, hosted elsewhere, or there is none. */
  get mailboxUnreachable(): boolean {
    return MAILBOX_UNREACHABLE_CODES.has(this.code.toLowerCase());
  }

  /** The whole mailbox is missing or unreachable (404), not just one item in it. */
  get mailboxNotAvailable(): boolean {
    return (
      this.status === 404 && (this.mailboxUnreachable || this.code.toLowerCase() === 'errormailboxnotfound')
    );
  }
}

/** Graph's error codes for a mailbox its REST API cannot reach (lower case). */
const MAILBOX_UNREACHABLE_CODES = new Set(['mailboxnotenabledforrestapi', 'mailboxnotsupportedforrestapi']);

/** A Graph answer that does not have the shape the service relies on. `field` is the JSON path, e.g. `value[2].start.dateTime`. */
export class GraphContractError extends Error {
  constructor(
    readonly operation: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${operation}: Graph answered with an unexpected "${field}": ${problem}`);
    this.name = 'GraphContractError';
  }
}

/** The subscription no longer exists at Graph (expired or removed): create a new one. */
export class SubscriptionGoneError extends Error {
  constructor(readonly subscriptionId: string) {
    super(`Subscription ${subscriptionId} no longer exists at Microsoft Graph; create a new one`);
    this.name = 'SubscriptionGoneError';
  }
}

/** Status codes worth retrying: throttling, service busy, gateway trouble, and network failures (0). */
export function isTransientStatus(status: number): boolean {
  return status === 0 || status === 429 || status === 502 || status === 503 || status === 504;
}
