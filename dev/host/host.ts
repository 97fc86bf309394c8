/**
 * The local Functions host: loads a function app through its `app.*` registrations (captured by the
 * @azure/functions-core stand-in) and runs it the way the Azure Functions host does, without Core Tools:
 *
 * - HTTP triggers at `http://127.0.0.1:<port>/<routePrefix>/<route>` (routePrefix from host.json, default "api"):
 *   route templates, methods (a known route with another method answers 404, as the Functions host does), keys
 *   for authLevel function/admin (`x-functions-key` header or `?code=`), 500 without details when a handler
 *   throws.
 * - Service Bus triggers through a QueueConsumer (the embedded queue or Service Bus), sessions honoured; a thrown
 *   error abandons the message so that it is redelivered with deliveryCount + 1.
 * - Timer triggers on their NCRONTAB schedule, runOnStartup honoured.
 * - `POST /admin/functions/{name}` with `{ "input": "..." }` (key required) runs a non-HTTP function now (202).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { QueueConsumer, QueueName, ReceivedMessage, Subscription } from '../../shared/queue/port';
import { QUEUES } from '../../shared/queue/port';
import { invokeRegistered, runAppHooks, type HostLogger, type InvocationInput } from './invoke';
import { compareRoutes, compileRoute, matchRoute, type RouteTemplate } from './routes';
import {
  getRegistry,
  loadFunctionAppRegistrations,
  toInventoryEntry,
  triggerBinding,
  type FunctionInventoryEntry,
  type RegisteredFunction,
  type RpcHttpCookie,
  type RpcHttpData,
  type RpcInvocationResponse,
  type RpcTypedData,
} from './stubs/@azure/functions-core';
import { parseSchedule, resolveSetting, type Schedule } from './timer';
import { httpInvocation, serviceBusInvocation, timerInvocation, type TimerStatus } from './triggers';

export const DEFAULT_PORT = 7071;
export const DEFAULT_FUNCTION_KEY = 'local-dev-key';
/** The Functions host's request body limit (100 MB). */
const MAX_BODY_BYTES = 100 * 1024 * 1024;

export interface FunctionHostOptions {
  /** The app's compiled entry file. Default: package.json "main" of `appRoot`. */
  entry?: string;
  /** Folder with package.json and host.json. Default: the repository root. */
  appRoot?: string;
  /** Default 7071; 0 picks a free port. */
  port?: number;
  hostname?: string;
  /** The key that opens function- and admin-level endpoints. Default: env MMS_FUNCTION_KEY or 'local-dev-key'. */
  functionKey?: string;
  /** Delivers Service Bus triggers. Without it, queue-triggered functions run only through the admin endpoint. */
  queue?: QueueConsumer;
  /** Run timers on their schedule (default true). Admin invocation works either way. */
  timers?: boolean;
  /**
   * Run every timer once as soon as the host is up (default false), as a deployment's first tick would: the local
   * host uses it so that, e.g., the Graph subscription exists right after `npm start` without runOnStartup.
   */
  runTimersAtStart?: boolean;
  /** Where logs go (default: console, one line each). */
  logger?: HostLogger;
  /** The longest a queue delivery yields to busy HTTP (default QUEUE_YIELD_MAX_MS). */
  queueYieldMaxMs?: number;
  /** App settings for %SETTING% expressions in bindings (default: process.env). */
  env?: Record<string, string | undefined>;
}

export interface FunctionHost {
  /** http://127.0.0.1:<port> (no trailing slash). */
  url: string;
  port: number;
  routePrefix: string;
  functionKey: string;
  functions: FunctionInventoryEntry[];
  /**
   * Runs a non-HTTP function now, like the admin endpoint, and resolves when it finishes (rejects with its
   * error). `input` is the message body for queue triggers (JSON text or plain text); timers ignore it.
   */
  invoke(name: string, input?: string): Promise<RpcInvocationResponse>;
  stop(): Promise<void>;
}

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** The longest a queue delivery waits for the HTTP requests in flight to be answered (Graph's wait for a webhook). */
export const QUEUE_YIELD_MAX_MS = 3000;
/** Event-loop utilisation above which the host counts as busy with its HTTP requests. */
export const QUEUE_YIELD_BUSY = 0.8;
/** How often the event loop's utilisation is sampled while HTTP requests are in flight. */
export const QUEUE_YIELD_SAMPLE_MS = 50;

/** Connections the host's listening socket queues before it accepts them. */
export const LISTEN_BACKLOG = 4096;

/**
 * Where the host's log lines go: stdout, or stderr for warnings and errors, gathered through one event-loop turn
 * and written together (in their order) at its end, not one write per line: a burst of requests logs thousands
 * of lines, and each write to a pipe is a system call on the path of the requests. What is gathered is written
 * when the process exits, however it exits short of being killed.
 */
export class LogOutput {
  private chunks: { stream: 'out' | 'err'; text: string }[] = [];
  private scheduled = false;

  constructor(
    private readonly write: (stream: 'out' | 'err', text: string) => void = (stream, text) =>
      (stream === 'out' ? process.stdout : process.stderr).write(text),
  ) {}

  line(stream: 'out' | 'err', text: string): void {
    const last = this.chunks[this.chunks.length - 1];
    if (last?.stream === stream) last.text += `${text}\n`;
    else this.chunks.push({ stream, text: `${text}\n` });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    const chunks = this.chunks;
    this.chunks = [];
    for (const c of chunks) this.write(c.stream, c.text);
  }
}

let processLogOutput: LogOutput | undefined;
/** The process's LogOutput, flushed when the process exits. */
function logOutput(): LogOutput {
  if (!processLogOutput) {
    const out = new LogOutput();
    process.once('exit', () => out.flush());
    processLogOutput = out;
  }
  return processLogOutput;
}

/** Writes what the host's log has gathered now (before writing to the console directly). */
export function flushLogOutput(): void {
  processLogOutput?.flush();
}

export function consoleLogger(prefix = '', output: LogOutput = logOutput()): HostLogger {
  return (level, category, message, functionName) => {
    if (level === 'trace' || level === 'debug' || level === 'none') return;
    const where = functionName ? `[${functionName}] ` : category === 'system' ? '[host] ' : '';
    // One line per log entry (objects logged by functions arrive pretty-printed over several lines).
    const oneLine = message.includes('\n')
      ? message
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '')
          .join(' ')
      : message;
    const line = `${prefix}${where}${oneLine}`;
    output.line(level === 'error' || level === 'critical' || level === 'warning' ? 'err' : 'out', line);
  };
}

const hostJsonSchema = z.looseObject({
  extensions: z
    .looseObject({
      http: z.looseObject({ routePrefix: z.string().optional() }).optional(),
      serviceBus: z
        .looseObject({
          maxConcurrentCalls: z.number().int().positive().optional(),
          maxConcurrentSessions: z.number().int().positive().optional(),
        })
        .optional(),
    })
    .optional(),
});
type HostJson = z.infer<typeof hostJsonSchema>;

/**
 * Applies app settings named `AzureFunctionsJobHost__<path>` (e.g.
 * `AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentSessions=4`) over host.json, as the Functions host
 * does: `__` separates the levels; numbers and true/false are taken as such.
 */
export function applyHostJsonOverrides(
  json: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  const prefix = 'azurefunctionsjobhost__';
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !name.toLowerCase().startsWith(prefix)) continue;
    const path = name.slice(prefix.length).split('__');
    const value: unknown =
      raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    let node: Record<string, unknown> = json;
    path.forEach((segment, i) => {
      // host.json keys are matched case-insensitively, as the host's configuration does.
      const key = Object.keys(node).find((k) => k.toLowerCase() === segment.toLowerCase()) ?? segment;
      if (i === path.length - 1) {
        node[key] = value;
        return;
      }
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    });
  }
  return json;
}

function readHostJson(appRoot: string, env: Record<string, string | undefined>): HostJson {
  const file = join(appRoot, 'host.json');
  const raw: unknown = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const json =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const parsed = hostJsonSchema.safeParse(applyHostJsonOverrides(json, env));
  if (!parsed.success) throw new Error(`host.json: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function defaultEntry(appRoot: string): string {
  const pkg = z
    .object({ main: z.string() })
    .safeParse(JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')));
  if (!pkg.success)
    throw new Error(`${join(appRoot, 'package.json')} has no "main" (the function app entry)`);
  return join(appRoot, pkg.data.main);
}

function keyMatches(given: string | undefined, key: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

function requestKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-functions-key'];
  if (typeof header === 'string' && header !== '') return header;
  return url.searchParams.get('code') ?? undefined;
}

class BodyTooLarge extends Error {}

/** The request body (events, not an async iterator: a burst reads thousands of small bodies). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // The rest is discarded as it comes (the server drains an unread body once the answer is sent).
        req.off('data', onData);
        req.off('end', onEnd);
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolveBody(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
    // Closed before its end (the client went away): no answer is awaited.
    req.once('close', () => {
      if (!req.complete) reject(new Error('The request was closed before its body ended'));
    });
  });
}

function typedDataBytes(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (typeof data.string === 'string') return Buffer.from(data.string);
  if (typeof data.json === 'string') return Buffer.from(data.json);
  if (typeof data.int === 'number' || typeof data.double === 'number')
    return Buffer.from(String(data.int ?? data.double));
  return Buffer.alloc(0);
}

function cookieHeader(c: RpcHttpCookie): string {
  let s = `${c.name ?? ''}=${c.value ?? ''}`;
  if (c.domain?.value) s += `; Domain=${c.domain.value}`;
  if (c.path?.value) s += `; Path=${c.path.value}`;
  const seconds = c.expires?.value?.seconds;
  if (typeof seconds === 'number') s += `; Expires=${new Date(seconds * 1000).toUTCString()}`;
  if (typeof c.maxAge?.value === 'number') s += `; Max-Age=${c.maxAge.value}`;
  if (c.secure?.value) s += '; Secure';
  if (c.httpOnly?.value) s += '; HttpOnly';
  if (c.sameSite === 'lax') s += '; SameSite=Lax';
  else if (c.sameSite === 'strict') s += '; SameSite=Strict';
  else if (c.sameSite === 'explicitNone') s += '; SameSite=None';
  return s;
}

/** The HTTP output of an invocation: the `$return` value or the named http output binding. */
function httpOutput(fn: RegisteredFunction, response: RpcInvocationResponse): RpcHttpData | undefined {
  const entry = Object.entries(fn.metadata.bindings).find(
    ([, b]) => b.direction === 'out' && typeof b.type === 'string' && b.type.toLowerCase() === 'http',
  );
  if (!entry) return undefined;
  const [name] = entry;
  const data =
    name === '$return' ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
  return data?.http ?? undefined;
}

interface HttpFunction {
  fn: RegisteredFunction;
  route: RouteTemplate;
  methods: Set<string>;
  authLevel: string;
  bindingName: string;
}

interface Send {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export async function startFunctionHost(options: FunctionHostOptions = {}): Promise<FunctionHost> {
  const appRoot = resolve(options.appRoot ?? REPO_ROOT);
  const env = options.env ?? process.env;
  const log = options.logger ?? consoleLogger();
  const functionKey = options.functionKey ?? (env.MMS_FUNCTION_KEY?.trim() || DEFAULT_FUNCTION_KEY);
  const hostJson = readHostJson(appRoot, env);
  const routePrefix = (hostJson.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
  const entry = options.entry ?? defaultEntry(appRoot);

  const previousSink = getRegistry().logSink;
  getRegistry().logSink = (level, category, message) => log(level, category, message);
  const registrations = loadFunctionAppRegistrations(entry);
  const programmingModel = getRegistry().programmingModel;
  const capabilities = (await programmingModel?.getCapabilities?.({})) ?? {};
  if (capabilities.HttpUri) {
    throw new Error(
      'HTTP streaming (app.setup({ enableHttpStream: true })) is not supported by the local host',
    );
  }
  const byName = new Map(registrations.map((f) => [f.metadata.name.toLowerCase(), f]));

  // Index HTTP functions.
  const httpFunctions: HttpFunction[] = [];
  for (const fn of registrations) {
    const [bindingName, trigger] = triggerBinding(fn.metadata);
    if (String(trigger.type).toLowerCase() !== 'httptrigger') continue;
    const inv = toInventoryEntry(fn.metadata);
    const route = compileRoute(inv.route ?? fn.metadata.name);
    const methods = new Set((inv.methods ?? []).map((m) => m.toUpperCase()));
    for (const other of httpFunctions) {
      if (
        other.route.template.toLowerCase() === route.template.toLowerCase() &&
        [...methods].some((m) => other.methods.has(m))
      ) {
        throw new Error(
          `Functions "${other.fn.metadata.name}" and "${fn.metadata.name}" both serve route "${route.template}"`,
        );
      }
    }
    httpFunctions.push({ fn, route, methods, authLevel: inv.authLevel ?? 'function', bindingName });
  }
  httpFunctions.sort((a, b) => compareRoutes(a.route, b.route));

  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    const done = () => inFlight.delete(p);
    p.then(done, done);
    return p;
  };

  // #region non-HTTP invocation (queue, timer, admin)
  const timerState = new Map<string, { schedule: Schedule; status: TimerStatus; handle?: NodeJS.Timeout }>();

  function queueInput(message: ReceivedMessage, bindingName: string): InvocationInput {
    const { data, triggerMetadata } = serviceBusInvocation(message);
    return { inputData: [{ name: bindingName, data }], triggerMetadata };
  }

  function timerInput(fn: RegisteredFunction, bindingName: string, isPastDue: boolean): InvocationInput {
    const state = timerState.get(fn.metadata.name);
    const now = new Date();
    const status: TimerStatus = state?.status ?? { last: undefined, next: now, lastUpdated: now };
    return { inputData: [{ name: bindingName, data: timerInvocation(status, isPastDue) }] };
  }

  async function invokeNonHttp(name: string, input?: string): Promise<RpcInvocationResponse> {
    const fn = byName.get(name.toLowerCase());
    if (!fn) throw new Error(`No function named "${name}"`);
    const [bindingName, trigger] = triggerBinding(fn.metadata);
    const type = String(trigger.type).toLowerCase();
    let invocation: InvocationInput;
    if (type === 'httptrigger') throw new Error(`Function "${name}" is HTTP-triggered: call its route`);
    else if (type === 'timertrigger') invocation = timerInput(fn, bindingName, false);
    else if (type === 'servicebustrigger') {
      let body: unknown = input ?? '';
      try {
        body = JSON.parse(input ?? '');
      } catch {
        /* plain text body */
      }
      invocation = queueInput(
        { messageId: randomUUID(), body, deliveryCount: 1, enqueuedTime: new Date() },
        bindingName,
      );
    } else {
      invocation = { inputData: [{ name: bindingName, data: { string: input ?? '' } }] };
    }
    return (await track(invokeRegistered(fn, invocation, log))).response;
  }
  // #endregion

  // #region HTTP
  // HTTP requests come before queue deliveries while the process is busy with them: a delivery waits while
  // requests are in flight and the event loop was busy for more than QUEUE_YIELD_BUSY of the last sample (a burst
  // of webhook deliveries), for at most queueYieldMaxMs, so that a steady stream cannot starve the queues. One Node
  // process serves both (Azure scales HTTP out), and an HTTP caller waits on its answer (Graph gives a webhook 3 s)
  // where a queued message only waits its turn. A few requests in flight on an idle loop (an admin script starting
  // migrations) hold deliveries back for one sample at most.
  const queueYieldMaxMs = options.queueYieldMaxMs ?? QUEUE_YIELD_MAX_MS;
  let httpInFlight = 0;
  let httpBusy = false;
  let sampler: NodeJS.Timeout | undefined;
  let lastUtilisation = performance.eventLoopUtilization();
  const quietWaiters = new Set<() => void>();
  const releaseDeliveries = () => {
    for (const w of [...quietWaiters]) w();
  };
  function sampleBusy(): void {
    const now = performance.eventLoopUtilization();
    httpBusy = performance.eventLoopUtilization(now, lastUtilisation).utilization > QUEUE_YIELD_BUSY;
    lastUtilisation = now;
    if (!httpBusy) releaseDeliveries();
  }
  function httpStarted(res: ServerResponse): void {
    if (httpInFlight++ === 0) {
      // Busy until the first sample says otherwise: a burst's first requests do not let deliveries in.
      httpBusy = true;
      lastUtilisation = performance.eventLoopUtilization();
      sampler = setInterval(sampleBusy, QUEUE_YIELD_SAMPLE_MS);
      sampler.unref();
    }
    res.once('close', () => {
      if (--httpInFlight > 0) return;
      clearInterval(sampler);
      sampler = undefined;
      httpBusy = false;
      releaseDeliveries();
    });
  }
  function httpQuiet(): Promise<void> {
    if (httpInFlight === 0 || !httpBusy) return Promise.resolve();
    return new Promise((resolveQuiet) => {
      const done = () => {
        clearTimeout(timer);
        quietWaiters.delete(done);
        resolveQuiet();
      };
      const timer = setTimeout(done, queueYieldMaxMs);
      quietWaiters.add(done);
    });
  }

  async function handleHttp(req: IncomingMessage, url: URL): Promise<Send> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/^\/+/, '');

    const admin = /^admin\/functions\/([^/]+)\/?$/i.exec(path);
    if (admin) {
      if (method !== 'POST') return { status: 405, headers: { allow: 'POST' } };
      if (!keyMatches(requestKey(req, url), functionKey)) return { status: 401 };
      const name = safeDecode(admin[1] ?? '');
      const fn = byName.get(name.toLowerCase());
      if (!fn) return jsonError(404, 'FunctionNotFound', `No function named "${name}"`);
      const [, trigger] = triggerBinding(fn.metadata);
      if (String(trigger.type).toLowerCase() === 'httptrigger') {
        return jsonError(
          400,
          'HttpTriggered',
          `Function "${fn.metadata.name}" is HTTP-triggered: call its route`,
        );
      }
      const raw = await readBody(req);
      let parsed: unknown = {};
      if (raw.length > 0) {
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          return jsonError(400, 'InvalidBody', 'The body must be JSON: { "input": "..." }');
        }
      }
      const body = z.object({ input: z.string().optional() }).safeParse(parsed);
      if (!body.success) {
        return jsonError(
          400,
          'InvalidBody',
          `The body must be { "input": "<string>" }: ${body.error.issues[0]?.message}`,
        );
      }
      invokeNonHttp(fn.metadata.name, body.data.input).catch((err: unknown) =>
        log('error', 'system', `Admin invocation failed: ${errorText(err)}`, fn.metadata.name),
      );
      return { status: 202 };
    }
    if (path === '' && (method === 'GET' || method === 'HEAD')) {
      return {
        status: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: 'Functions host is running\n',
      };
    }

    const prefix = routePrefix === '' ? '' : `${routePrefix}/`;
    if (prefix !== '' && !`${path.toLowerCase()}/`.startsWith(prefix.toLowerCase())) return { status: 404 };
    const routePath = path.slice(prefix.length);
    let target: { f: HttpFunction; params: Record<string, string> } | undefined;
    for (const f of httpFunctions) {
      if (!f.methods.has(method)) continue;
      const params = matchRoute(f.route, routePath);
      if (params) {
        target = { f, params };
        break;
      }
    }
    // Unknown route, or a known route with another method: the Functions host answers 404 for both.
    if (!target) return { status: 404 };
    const { f, params } = target;
    if (f.authLevel !== 'anonymous' && !keyMatches(requestKey(req, url), functionKey)) return { status: 401 };

    const body = await readBody(req);
    const data = httpInvocation({ method, url, headers: req.headers, params, body });
    let response: RpcInvocationResponse;
    try {
      response = (await track(invokeRegistered(f.fn, { inputData: [{ name: f.bindingName, data }] }, log)))
        .response;
    } catch (err) {
      log('error', 'system', `Executed with an error: ${errorText(err)}`, f.fn.metadata.name);
      return { status: 500 };
    }
    const out = httpOutput(f.fn, response);
    if (!out) return { status: 204 };
    const status = Number(out.statusCode ?? '200');
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      log('error', 'system', `Invalid HTTP status "${out.statusCode}"`, f.fn.metadata.name);
      return { status: 500 };
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(out.headers ?? {})) {
      const lower = k.toLowerCase();
      if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
      headers[lower] = v;
    }
    const cookies = (out.cookies ?? []).map(cookieHeader);
    return {
      status,
      headers: cookies.length ? { ...headers, 'set-cookie': cookies.join('\n') } : headers,
      body: typedDataBytes(out.body),
    };
  }

  function send(res: ServerResponse, method: string, r: Send): void {
    const body =
      r.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
    for (const [k, v] of Object.entries(r.headers ?? {})) {
      res.setHeader(k, k === 'set-cookie' ? v.split('\n') : v);
    }
    res.statusCode = r.status;
    if (r.status === 204 || r.status === 304) {
      res.end();
      return;
    }
    res.setHeader('content-length', body.length);
    res.end(method === 'HEAD' ? undefined : body);
  }

  const server: Server = createServer((req, res) => {
    httpStarted(res);
    const method = (req.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    } catch {
      send(res, method, { status: 400 });
      return;
    }
    handleHttp(req, url).then(
      (r) => send(res, method, r),
      (err: unknown) => {
        if (err instanceof BodyTooLarge) return send(res, method, { status: 413 });
        log('error', 'system', `Request ${method} ${url.pathname} failed: ${errorText(err)}`);
        send(res, method, { status: 500 });
      },
    );
  });
  // #endregion

  const hostname = options.hostname ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    // A burst of webhook deliveries opens hundreds of connections at once (Graph sends each on its own): the
    // accept queue holds them all (the kernel caps it at net.core.somaxconn), where Node's default of 511 would
    // drop the rest and leave their clients to retry the connection a second or more later.
    server.listen(options.port ?? DEFAULT_PORT, hostname, LISTEN_BACKLOG, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  // #region queues
  const subscriptions: Subscription[] = [];
  const queueNames = new Set<string>(Object.values(QUEUES));
  const sb = hostJson.extensions?.serviceBus;
  for (const fn of registrations) {
    const [bindingName, trigger] = triggerBinding(fn.metadata);
    if (String(trigger.type).toLowerCase() !== 'servicebustrigger') continue;
    const inv = toInventoryEntry(fn.metadata);
    const queueName = resolveSetting(inv.queueName ?? '', env, `Function "${fn.metadata.name}" queueName`);
    if (!options.queue) {
      log(
        'warning',
        'system',
        `No queue consumer: "${fn.metadata.name}" (queue ${queueName}) runs only through the admin endpoint`,
      );
      continue;
    }
    if (!queueNames.has(queueName)) {
      throw new Error(
        `Function "${fn.metadata.name}" listens to unknown queue "${queueName}" (known: ${[...queueNames].join(', ')})`,
      );
    }
    const sessions = inv.isSessionsEnabled ?? false;
    subscriptions.push(
      options.queue.subscribe(
        queueName as QueueName,
        {
          sessions,
          maxConcurrent: sessions ? (sb?.maxConcurrentSessions ?? 8) : (sb?.maxConcurrentCalls ?? 16),
        },
        async (message) => {
          await httpQuiet();
          const input = queueInput(message, bindingName);
          try {
            await track(invokeRegistered(fn, input, log));
          } catch (err) {
            log(
              'error',
              'system',
              `Message ${message.messageId} (delivery ${message.deliveryCount}) failed: ${errorText(err)}; abandoned`,
              fn.metadata.name,
            );
            throw err;
          }
        },
      ),
    );
  }
  // #endregion

  // #region timers
  let stopping = false;
  const timers = options.timers ?? true;
  const schedule = (name: string) => {
    const state = timerState.get(name);
    const fn = byName.get(name.toLowerCase());
    if (!state || !fn || stopping) return;
    const [bindingName] = triggerBinding(fn.metadata);
    const delay = Math.max(0, state.status.next.getTime() - Date.now());
    state.handle = setTimeout(
      () => {
        if (Date.now() < state.status.next.getTime()) return schedule(name); // long delays are chunked
        const due = state.status.next;
        const isPastDue = Date.now() - due.getTime() > 1000;
        void track(invokeRegistered(fn, timerInput(fn, bindingName, isPastDue), log))
          .catch((err: unknown) => log('error', 'system', `Timer run failed: ${errorText(err)}`, name))
          .finally(() => {
            const now = new Date();
            state.status = { last: due, next: state.schedule.next(now), lastUpdated: now };
            schedule(name);
          });
      },
      Math.min(delay, 2 ** 31 - 1),
    );
  };
  const startupRuns: string[] = [];
  for (const fn of registrations) {
    const [, trigger] = triggerBinding(fn.metadata);
    if (String(trigger.type).toLowerCase() !== 'timertrigger') continue;
    const inv = toInventoryEntry(fn.metadata);
    const sched = parseSchedule(inv.schedule ?? '', env, fn.metadata.name);
    const now = new Date();
    timerState.set(fn.metadata.name, {
      schedule: sched,
      status: { last: undefined, next: sched.next(now), lastUpdated: now },
    });
    if (inv.runOnStartup || options.runTimersAtStart) startupRuns.push(fn.metadata.name);
  }
  // #endregion

  await runAppHooks('appStart', dirname(entry));
  if (timers) {
    for (const name of timerState.keys()) schedule(name);
    for (const name of startupRuns) {
      void invokeNonHttp(name).catch((err: unknown) =>
        log('error', 'system', `Startup run failed: ${errorText(err)}`, name),
      );
    }
  }

  const url = `http://${hostname}:${port}`;
  return {
    url,
    port,
    routePrefix,
    functionKey,
    functions: registrations.map((f) => toInventoryEntry(f.metadata)),
    invoke: invokeNonHttp,
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const t of timerState.values()) clearTimeout(t.handle);
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await Promise.allSettled(subscriptions.map((s) => s.close()));
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((r) => setTimeout(r, 10_000).unref()),
      ]);
      await runAppHooks('appTerminate', dirname(entry)).catch(() => undefined);
      getRegistry().logSink = previousSink;
    },
  };
}

function jsonError(status: number, code: string, message: string): Send {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ error: { code, message } }),
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
