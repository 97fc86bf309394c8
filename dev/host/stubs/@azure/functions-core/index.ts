/**
 * Local stand-in for `@azure/functions-core`, the module the Azure Functions Node.js worker provides at run time
 * (it is not an npm package). `@azure/functions` 4.x calls it to register every `app.*` function
 * (`registerFunction(metadata, callback)`), to install its programming model (`setProgrammingModel`), to register
 * hooks and to log. The real worker hands the registrations to the Functions host, which indexes them; here they
 * are kept in a process-wide registry that the local host (dev/host) reads and that tests inspect.
 *
 * How it is found: the local host and the test runner put `dist/dev/host/stubs` on NODE_PATH, so
 * `require('@azure/functions-core')` inside `@azure/functions` resolves to this file. `loadFunctionApp` also
 * answers that require itself while it loads an app (the way the worker intercepts it), so it works without
 * NODE_PATH as long as `@azure/functions` has not already switched to its "test mode".
 *
 * The registry lives on `globalThis` under a `Symbol.for` key, so every copy of this module sees the same one.
 */
import Module from 'node:module';
import { dirname, resolve } from 'node:path';

// #region types (a subset of the worker's types-core/index.d.ts, enough for what @azure/functions uses)

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

/** One binding as @azure/functions describes it: `type`, `direction`, plus the trigger's own options. */
export interface RpcBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  dataType?: string | null;
  properties?: Record<string, string> | null;
  [option: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface RpcNullableString {
  value?: string | null;
}

export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: RpcNullableString | null;
  path?: RpcNullableString | null;
  expires?: { value?: { seconds?: number | null; nanos?: number | null } | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone' | null;
  maxAge?: { value?: number | null } | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  enableContentNegotiation?: boolean | null;
  cookies?: RpcHttpCookie[] | null;
}

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
}

export interface RpcParameterBinding {
  name?: string | null;
  data?: RpcTypedData | null;
}

export interface RpcInvocationRequest {
  invocationId?: string | null;
  functionId?: string | null;
  inputData?: RpcParameterBinding[] | null;
  triggerMetadata?: Record<string, RpcTypedData> | null;
  traceContext?: { traceParent?: string | null; traceState?: string | null } | null;
  retryContext?: { retryCount?: number | null; maxRetryCount?: number | null } | null;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

export interface RpcFunctionMetadata {
  name?: string | null;
  bindings?: Record<string, RpcBindingInfo> | null;
  rawBindings?: string[] | null;
  functionId?: string | null;
  scriptFile?: string | null;
  retryOptions?: unknown;
}

export type InvocationState = 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';

export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: RpcFunctionMetadata;
  state?: InvocationState;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export interface InvocationArguments {
  context: unknown;
  inputs: unknown[];
}

export interface InvocationModel {
  getArguments(): Promise<InvocationArguments>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  getCapabilities?(
    defaultCapabilities: Record<string, string>,
  ): Record<string, string> | Promise<Record<string, string>>;
}

export type HookCallback = (context: Record<string, unknown>) => unknown;
export type HookName = 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate' | 'log';

// #endregion

/** Worker version this stand-in reports (the 3.x worker line is the one that hosts @azure/functions 4.x). */
export const version = '3.10.1-local';
/** Functions host version it reports (>= 4.34 so that log hooks and streaming checks pass). */
export const hostVersion = '4.1037.0-local';

export class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const item of items) item.dispose();
    });
  }

  #callOnDispose: (() => unknown) | undefined;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): unknown {
    const fn = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return fn?.();
  }
}

/** A function as registered: the exact metadata the host would index, and the callback the worker invokes. */
export interface RegisteredFunction {
  metadata: FunctionMetadata;
  /** What the worker sends the host: one JSON string per binding, with its name. */
  rawBindings: string[];
  callback: FunctionCallback;
  /** Compiled file whose code called app.* (the registration's origin), when it could be determined. */
  origin: string | undefined;
  /** Registration order, process-wide. */
  sequence: number;
}

export type LogSink = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

export interface CoreRegistry {
  functions: RegisteredFunction[];
  hooks: Record<HookName, HookCallback[]>;
  programmingModel: ProgrammingModel | undefined;
  /** Data shared by every hook across invocations (the worker's `appHookData`). */
  appHookData: Record<string, unknown>;
  /** Where `log()` goes; the local host replaces it. Defaults to the console. */
  logSink: LogSink;
  sequence: number;
}

const REGISTRY_KEY = Symbol.for('mms.dev.azure-functions-core.registry');
const HOOK_NAMES: readonly HookName[] = [
  'preInvocation',
  'postInvocation',
  'appStart',
  'appTerminate',
  'log',
];

function consoleSink(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
  const line = category === 'system' ? `[system] ${message}` : message;
  if (level === 'error' || level === 'critical') console.error(line);
  else if (level === 'warning') console.warn(line);
  else if (level === 'trace' || level === 'debug' || level === 'none') return;
  else console.log(line);
}

/** The process-wide registry (created on first use). */
export function getRegistry(): CoreRegistry {
  const g = globalThis as unknown as Record<symbol, CoreRegistry | undefined>;
  let reg = g[REGISTRY_KEY];
  if (!reg) {
    reg = {
      functions: [],
      hooks: { preInvocation: [], postInvocation: [], appStart: [], appTerminate: [], log: [] },
      programmingModel: undefined,
      appHookData: {},
      logSink: consoleSink,
      sequence: 0,
    };
    g[REGISTRY_KEY] = reg;
  }
  return reg;
}

const STUB_FILE = __filename;

/** The compiled file whose code called into @azure/functions' app.* (first frame outside the library and here). */
function registrationOrigin(): string | undefined {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved only to be put back as it was
  const original = Error.prepareStackTrace;
  try {
    // Raw call sites give the executed (compiled) file even when source maps are enabled.
    Error.prepareStackTrace = (_err, sites) => sites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, registrationOrigin);
    const sites = holder.stack as NodeJS.CallSite[] | undefined;
    for (const site of sites ?? []) {
      const file = site.getFileName();
      if (!file || file.startsWith('node:') || file === STUB_FILE) continue;
      if (/[\\/]node_modules[\\/]@azure[\\/]functions[\\/]/.test(file)) continue;
      return file.startsWith('file://') ? new URL(file).pathname : file;
    }
    return undefined;
  } finally {
    Error.prepareStackTrace = original;
  }
}

export function registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
  if (typeof metadata?.name !== 'string' || metadata.name === '') {
    throw new Error('registerFunction: metadata.name is required');
  }
  if (typeof callback !== 'function') {
    throw new Error(`registerFunction: the handler of "${metadata.name}" is not a function`);
  }
  const reg = getRegistry();
  const entry: RegisteredFunction = {
    metadata,
    rawBindings: Object.entries(metadata.bindings).map(([name, binding]) =>
      JSON.stringify({ ...binding, name }),
    ),
    callback,
    origin: registrationOrigin(),
    sequence: ++reg.sequence,
  };
  reg.functions.push(entry);
  return new Disposable(() => {
    const i = reg.functions.indexOf(entry);
    if (i >= 0) reg.functions.splice(i, 1);
  });
}

export function registerHook(hookName: string, callback: HookCallback): Disposable {
  if (!(HOOK_NAMES as readonly string[]).includes(hookName)) {
    // The worker answers unknown hook names with a RangeError (the library relies on it for log hooks).
    throw new RangeError(`Unrecognized hook "${hookName}"`);
  }
  const list = getRegistry().hooks[hookName as HookName];
  list.push(callback);
  return new Disposable(() => {
    const i = list.indexOf(callback);
    if (i >= 0) list.splice(i, 1);
  });
}

export function setProgrammingModel(programmingModel: ProgrammingModel): void {
  getRegistry().programmingModel = programmingModel;
}

export function getProgrammingModel(): ProgrammingModel | undefined {
  return getRegistry().programmingModel;
}

export function log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
  getRegistry().logSink(level, category, message);
}

// #region loading an app and its inventory

/** What the deployment templates and the local host need to know about one function. */
export interface FunctionInventoryEntry {
  name: string;
  /** Trigger binding type as indexed: httpTrigger, serviceBusTrigger, timerTrigger, ... */
  triggerType: string;
  /** HTTP: upper-case methods. */
  methods?: string[];
  /** HTTP: the route template (the function name when none is declared, as the host does). */
  route?: string;
  /** HTTP: anonymous | function | admin. */
  authLevel?: string;
  /** Service Bus. */
  queueName?: string;
  connection?: string;
  isSessionsEnabled?: boolean;
  /** Timer: NCRONTAB expression as declared. */
  schedule?: string;
  runOnStartup?: boolean;
}

/** The trigger binding of a registration (the one binding whose type ends in "Trigger"). */
export function triggerBinding(metadata: FunctionMetadata): [string, RpcBindingInfo] {
  const found = Object.entries(metadata.bindings).find(
    ([, b]) => typeof b.type === 'string' && /trigger$/i.test(b.type),
  );
  if (!found) throw new Error(`Function "${metadata.name}" has no trigger binding`);
  return found;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

/** Inventory entry of one registration; fields that do not apply are left out. */
export function toInventoryEntry(metadata: FunctionMetadata): FunctionInventoryEntry {
  const [, trigger] = triggerBinding(metadata);
  const type = str(trigger.type) ?? '';
  const entry: FunctionInventoryEntry = { name: metadata.name, triggerType: type };
  const lower = type.toLowerCase();
  if (lower === 'httptrigger') {
    const methods = Array.isArray(trigger.methods)
      ? trigger.methods.filter((m) => typeof m === 'string')
      : [];
    entry.methods = methods.map((m) => m.toUpperCase());
    entry.route = str(trigger.route) ?? metadata.name;
    entry.authLevel = str(trigger.authLevel) ?? 'function';
  } else if (lower === 'servicebustrigger') {
    const queueName = str(trigger.queueName);
    if (queueName !== undefined) entry.queueName = queueName;
    const connection = str(trigger.connection);
    if (connection !== undefined) entry.connection = connection;
    entry.isSessionsEnabled = bool(trigger.isSessionsEnabled) ?? false;
  } else if (lower === 'timertrigger') {
    const schedule = str(trigger.schedule);
    if (schedule !== undefined) entry.schedule = schedule;
    entry.runOnStartup = bool(trigger.runOnStartup) ?? false;
  }
  return entry;
}

type RequireFn = (this: unknown, id: string) => unknown;

/** While loading an app, answer `require('@azure/functions-core')` with this module, as the worker does. */
function withCoreModule<T>(fn: () => T): T {
  const proto = Module.prototype as unknown as { require: RequireFn };
  const original = proto.require;
  const self: unknown = module.exports;
  proto.require = function (this: unknown, id: string) {
    return id === '@azure/functions-core' ? self : original.call(this, id);
  };
  try {
    return fn();
  } finally {
    proto.require = original;
  }
}

/** Compiled files of the app: the entry and everything it requires outside node_modules. */
function appModuleFiles(entry: string): Set<string> {
  const files = new Set<string>();
  const visit = (m: NodeJS.Module | undefined) => {
    if (!m || files.has(m.filename) || /[\\/]node_modules[\\/]/.test(m.filename)) return;
    files.add(m.filename);
    for (const child of m.children) visit(child);
  };
  visit(require.cache[entry]);
  return files;
}

/**
 * Requires a function app's entry file (package.json "main", e.g. dist/functions/index.js, or a test fixture) and
 * returns its registrations in registration order. Functions registered by modules the app had already loaded
 * earlier in this process are found too (by the file that registered them). Throws on duplicate names, as the
 * host refuses to index them.
 */
export function loadFunctionAppRegistrations(entryFile: string): RegisteredFunction[] {
  const entry = require.resolve(resolve(entryFile));
  const before = getRegistry().functions.length;
  const load = Module.createRequire(__filename);
  withCoreModule((): unknown => load(entry));
  const reg = getRegistry();
  const files = appModuleFiles(entry);
  const fresh = new Set(reg.functions.slice(before));
  const mine = reg.functions.filter((f) => fresh.has(f) || (f.origin !== undefined && files.has(f.origin)));
  if (mine.length === 0 && !reg.programmingModel) {
    throw new Error(
      `Loading ${entry} registered no function through @azure/functions-core: if @azure/functions was loaded ` +
        'before this stand-in was reachable, it is in test mode; put dist/dev/host/stubs on NODE_PATH.',
    );
  }
  const seen = new Map<string, RegisteredFunction>();
  for (const f of mine) {
    if (seen.has(f.metadata.name)) {
      throw new Error(`Function name "${f.metadata.name}" is registered twice (in ${dirname(entry)})`);
    }
    seen.set(f.metadata.name, f);
  }
  return mine.sort((a, b) => a.sequence - b.sequence);
}

/** Requires a function app's entry file and returns what it registers: one inventory entry per function. */
export function loadFunctionApp(entryFile: string): FunctionInventoryEntry[] {
  return loadFunctionAppRegistrations(entryFile).map((f) => toInventoryEntry(f.metadata));
}

// #endregion
