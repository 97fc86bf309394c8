/**
 * The Microsoft Graph client every gateway uses: the official SDK for transport and authentication, plus the
 * throttling discipline Exchange Online asks for (at most 4 concurrent requests and 10,000 per 10 minutes per
 * mailbox, Retry-After honoured, bounded exponential backoff with jitter, transient network errors retried) and
 * counters for the status page.
 *
 * Retries are ours alone. The SDK's default chain (Auth → Retry → Redirect → Telemetry → HTTP) would retry 429/
 * 503/504 up to 3 times inside every attempt of ours, multiplying attempts (4 × 4 = 16 HTTP calls for one
 * request) and holding the mailbox slot while it sleeps. So the chain is built without `RetryHandler`
 * (Auth → Redirect → Telemetry → HTTP) and this module retries: it knows the mailbox (to pause all of that
 * mailbox's requests on a 429, not just one), retries network failures (the SDK does not), counts every
 * attempt, and lets queue workers keep retries small and hand a long Retry-After back to the queue.
 */
import {
  AuthenticationHandler,
  Client,
  GraphClientError,
  HTTPMessageHandler,
  RedirectHandler,
  ResponseType,
  TelemetryHandler,
  type AuthenticationProvider,
  type GraphRequest,
} from '@microsoft/microsoft-graph-client';
import { ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { z } from 'zod';
import type { Config, GraphCredentialConfig } from '../config';
import { GraphContractError, GraphRequestError, isTransientStatus } from './errors';
import { KeyedLimiter, OUTLOOK_MAILBOX_BUDGET, type RequestBudget } from './limiter';
import { DEFAULT_RETRY_POLICY, backoffDelay, parseRetryAfter, type RetryPolicy } from './retry';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const GRAPH_VERSION = 'v1.0';

export interface GraphStats {
  /** HTTP attempts sent (a retried request counts once per attempt). */
  requests: number;
  /** Answers 429, or 503 with Retry-After (Graph's "slow down"). */
  throttled: number;
  /** Attempts that were retries. */
  retried: number;
  /** Requests that finally failed (after retries), any cause. */
  failed: number;
}

export interface GraphClientOptions {
  /** Retry policy; queue workers pass a small `maxRetries` and reschedule on `retryAfterMs`. */
  retry?: Partial<RetryPolicy>;
  /** Sent as Accept-Language on every request (Graph localises some answers; Node's fetch needs one, sdk-js#999). */
  acceptLanguage?: string;
  /** Requests allowed per mailbox and window (default Outlook's 10,000 per 10 minutes; tests use small ones). */
  mailboxBudget?: RequestBudget;
  /** Replaces the credential chosen from config (tests, or an app that already has one). */
  credential?: TokenCredential;
  /** Injection points for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface GraphCall {
  method: HttpMethod;
  /** Path below the version (`/users/x/events?$top=10`, values already encoded: see odata.ts), or an absolute
   * `@odata.nextLink` / `@odata.deltaLink` from this Graph root. */
  path: string;
  /** Limiter key: the mailbox's user id for Exchange (calendar, mailbox settings) calls; none for directory calls. */
  mailbox?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Whether a request that may have reached Graph can be re-sent (default: everything but POST). Throttling
   * answers (429, and 503 with Retry-After) are always retried: Graph did not process those. A bare 503 is not
   * known to be throttling, so it is as ambiguous as a 502 or 504. */
  idempotent?: boolean;
  /** Per-call override of the retry policy. */
  retry?: Partial<RetryPolicy>;
  /** Short description for errors; default `METHOD /path`. */
  operation?: string;
}

export interface GraphResult {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined for an empty body (204). */
  body: unknown;
}

const graphErrorBody = z.object({
  error: z.object({
    code: z.string().optional(),
    message: z.string().optional(),
    innerError: z.object({ 'request-id': z.string().optional() }).loose().optional(),
  }),
});

function networkCode(err: unknown): string {
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  const code = cause !== null && typeof cause === 'object' && 'code' in cause ? cause.code : undefined;
  return typeof code === 'string' ? code : 'networkError';
}

/** Builds the token source for the configured credential. */
export function authProviderFor(
  credential: GraphCredentialConfig,
  override?: TokenCredential,
): AuthenticationProvider {
  if (credential.kind === 'sandbox' && override === undefined) {
    const token = credential.token;
    return { getAccessToken: () => Promise.resolve(token) };
  }
  // ManagedIdentityCredential rather than DefaultAzureCredential: in Azure the app runs only as its
  // user-assigned identity (AZURE_CLIENT_ID), so probing the environment, workload identity, Azure CLI and
  // developer tools first would only add cold-start latency and the risk of silently picking another identity.
  // Local development uses clientSecret or the sandbox instead.
  const cred: TokenCredential =
    override ??
    (credential.kind === 'clientSecret'
      ? new ClientSecretCredential(credential.tenantId, credential.clientId, credential.clientSecret)
      : credential.kind === 'managedIdentity' && credential.clientId !== undefined
        ? new ManagedIdentityCredential({ clientId: credential.clientId })
        : new ManagedIdentityCredential());
  return {
    // @azure/identity caches tokens and refreshes them before expiry.
    getAccessToken: async () => {
      const t = await cred.getToken(GRAPH_SCOPE);
      if (!t) throw new Error('No Microsoft Graph access token was issued for the configured credential');
      return t.token;
    },
  };
}

/** The SDK's customHosts take bare host names (it strips the port, graph-facts §7). */
export function customHostsFor(baseUrl: string): Set<string> | undefined {
  const host = new URL(baseUrl).hostname;
  return host === 'graph.microsoft.com' ? undefined : new Set([host]);
}

/** Resolves in the check phase of the event loop, after the I/O callbacks already due have run. */
function afterIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class GraphClient {
  readonly sdk: Client;
  readonly baseUrl: string;
  /** `https://host[:port]/v1.0`, the prefix every nextLink/deltaLink from this tenant must start with. */
  readonly root: string;
  readonly limiter: KeyedLimiter;
  private readonly policy: RetryPolicy;
  private readonly acceptLanguage: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly counters: GraphStats = { requests: 0, throttled: 0, retried: 0, failed: 0 };
  private readonly auth: AuthenticationProvider;

  constructor(config: Pick<Config, 'graph' | 'mailboxConcurrency'>, options: GraphClientOptions = {}) {
    this.baseUrl = config.graph.baseUrl.replace(/\/+$/, '');
    if (!this.baseUrl.startsWith('https://')) {
      // The SDK treats only https:// as absolute and drops Authorization for anything else (graph-facts §7).
      throw new Error(`Graph base URL must be https://, got "${this.baseUrl}"`);
    }
    this.root = `${this.baseUrl}/${GRAPH_VERSION}`;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.acceptLanguage = options.acceptLanguage ?? 'en-US';
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.limiter = new KeyedLimiter(
      Math.min(4, config.mailboxConcurrency),
      this.sleep,
      this.now,
      options.mailboxBudget ?? OUTLOOK_MAILBOX_BUDGET,
    );
    const customHosts = customHostsFor(this.baseUrl);
    this.auth = authProviderFor(config.graph.credential, options.credential);
    this.sdk = Client.initWithMiddleware({
      baseUrl: this.baseUrl,
      defaultVersion: GRAPH_VERSION,
      ...(customHosts ? { customHosts } : {}),
      // No RetryHandler: see the module comment.
      middleware: [
        new AuthenticationHandler(this.auth),
        new RedirectHandler(),
        new TelemetryHandler(),
        new HTTPMessageHandler(),
      ],
    });
  }

  /** The access token the client sends; Graph authorises from its `roles` claim (the preflight reads it). */
  accessToken(): Promise<string> {
    return this.auth.getAccessToken();
  }

  /** A snapshot of the counters since the client was created. */
  stats(): GraphStats {
    return { ...this.counters };
  }

  /** True for an absolute URL under this client's Graph root (a nextLink or deltaLink we may follow). */
  isOwnLink(url: string): boolean {
    return url.startsWith(`${this.root}/`) || url.startsWith(`${this.root}?`);
  }

  /**
   * Sends one request with the per-mailbox limit and the retry policy. Resolves with any 2xx answer; throws
   * GraphRequestError for everything else (after retries for transient failures).
   */
  async send(call: GraphCall): Promise<GraphResult> {
    const policy = { ...this.policy, ...call.retry };
    const operation = call.operation ?? `${call.method} ${call.path.split('?')[0] ?? call.path}`;
    const idempotent = call.idempotent ?? call.method !== 'POST';
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.counters.retried++;
      // The mailbox's slot is held while the request is out (sent, answered, its answer read); the answer is
      // parsed after the slot is free, so the next request goes out meanwhile.
      const raw = await (call.mailbox !== undefined
        ? this.limiter.run(call.mailbox, () => this.attempt(call, operation))
        : this.attempt(call, operation));
      // The answer is worked on after the I/O callbacks of this turn of the event loop: the mailbox's answers
      // usually arrive together (its requests leave together), and each must free its slot and send the next
      // request before any of them is parsed and acted on, or the last one holds its slot while the others work.
      await afterIo();
      const outcome = raw instanceof GraphRequestError ? raw : this.interpret(raw, operation);
      if (!(outcome instanceof GraphRequestError)) return outcome;

      const err = outcome;
      const throttled = err.status === 429 || (err.status === 503 && err.retryAfterMs !== undefined);
      if (throttled) this.counters.throttled++;
      // Throttling answers were not processed; anything else that may have reached Graph (a bare 503 included)
      // is retried only when re-sending it is harmless.
      const retryable = isTransientStatus(err.status) && (idempotent || throttled);
      const tooLong = err.retryAfterMs !== undefined && err.retryAfterMs > policy.maxRetryAfterMs;
      if (!retryable || attempt >= policy.maxRetries || tooLong) {
        this.counters.failed++;
        throw new GraphRequestError({
          status: err.status,
          code: err.code,
          message: err.graphMessage,
          operation,
          attempts: attempt + 1,
          ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
          ...(err.requestId !== undefined ? { requestId: err.requestId } : {}),
        });
      }
      const delay = err.retryAfterMs ?? backoffDelay(attempt, policy, this.random);
      if (call.mailbox !== undefined && err.status === 429) {
        // The mailbox as a whole is over its budget: hold all of its requests, not only this one.
        this.limiter.pause(call.mailbox, delay);
      } else {
        await this.sleep(delay);
      }
    }
  }

  /** One HTTP attempt: the answer's status, headers and text. Returns a network error instead of throwing it. */
  private async attempt(
    call: GraphCall,
    operation: string,
  ): Promise<{ res: Response; text: string } | GraphRequestError> {
    this.counters.requests++;
    let req: GraphRequest = this.sdk
      .api(call.path)
      .responseType(ResponseType.RAW)
      .header('Accept-Language', this.acceptLanguage);
    if (call.headers) req = req.headers(call.headers);
    let res: Response;
    try {
      const pending: Promise<unknown> =
        call.method === 'GET'
          ? req.get()
          : call.method === 'POST'
            ? req.post(call.body)
            : call.method === 'PATCH'
              ? req.patch(call.body)
              : req.delete();
      res = (await pending) as Response;
    } catch (e) {
      // A GraphClientError is a misuse of the SDK (bad URL, missing fetch): not worth retrying.
      if (e instanceof GraphClientError) throw e;
      return new GraphRequestError({
        status: 0,
        code: networkCode(e),
        message: e instanceof Error ? e.message : String(e),
        operation,
      });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      // The connection dropped while the answer was being read: as retryable as any network failure.
      return new GraphRequestError({
        status: 0,
        code: 'networkError',
        message: `reading the answer failed: ${e instanceof Error ? e.message : String(e)}`,
        operation,
      });
    }
    return { res, text };
  }

  /** The answer as a result (2xx) or as the error to retry or throw. */
  private interpret(
    { res, text }: { res: Response; text: string },
    operation: string,
  ): GraphResult | GraphRequestError {
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        if (res.ok) throw new GraphContractError(operation, '(body)', 'not JSON');
        body = undefined;
      }
    }
    if (res.ok) return { status: res.status, headers: res.headers, body };

    const parsed = graphErrorBody.safeParse(body);
    const retryAfterMs =
      res.status === 429 || res.status === 503 || res.status === 504
        ? parseRetryAfter(res.headers.get('retry-after'), this.now())
        : undefined;
    const requestId =
      (parsed.success ? parsed.data.error.innerError?.['request-id'] : undefined) ??
      res.headers.get('request-id') ??
      undefined;
    return new GraphRequestError({
      status: res.status,
      code: (parsed.success ? parsed.data.error.code : undefined) ?? `http${res.status}`,
      message:
        (parsed.success ? parsed.data.error.message : undefined) ?? (text.slice(0, 200) || res.statusText),
      operation,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
    });
  }
}

/** Creates the process's Graph client from configuration. */
export function createGraphClient(
  config: Pick<Config, 'graph' | 'mailboxConcurrency'>,
  options: GraphClientOptions = {},
): GraphClient {
  return new GraphClient(config, options);
}
