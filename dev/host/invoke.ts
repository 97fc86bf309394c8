/**
 * Invokes a registered function the way the Node.js worker does: it builds the RPC-shaped invocation request
 * (input data and trigger metadata as the Functions host sends them), asks the app's programming model
 * (@azure/functions' ProgrammingModel, installed through setProgrammingModel) for an InvocationModel, and runs
 * getArguments → preInvocation hooks → invokeFunction → postInvocation hooks → getResponse. So the library's own
 * conversions (HttpRequest from RPC http data, camel-cased timer info and trigger metadata, HttpResponse to RPC)
 * run exactly as in Azure.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  getRegistry,
  type CoreInvocationContext,
  type FunctionCallback,
  type InvocationState,
  type RegisteredFunction,
  type RpcFunctionMetadata,
  type RpcInvocationResponse,
  type RpcLogCategory,
  type RpcLogLevel,
  type RpcParameterBinding,
  type RpcTypedData,
} from './stubs/@azure/functions-core';

export interface InvocationInput {
  /** Input bindings by name (the trigger's binding name for the trigger payload). */
  inputData: RpcParameterBinding[];
  /** Trigger metadata as the host sends it (PascalCase keys; the library camel-cases them). */
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: { retryCount: number; maxRetryCount: number };
}

export type HostLogger = (
  level: RpcLogLevel,
  category: RpcLogCategory,
  message: string,
  functionName?: string,
  invocationId?: string,
) => void;

export interface InvocationResult {
  invocationId: string;
  response: RpcInvocationResponse;
}

function readOnly(name: string): never {
  throw new TypeError(`Cannot assign to read only property "${name}"`);
}

async function runHooks(name: 'preInvocation' | 'postInvocation', context: Record<string, unknown>) {
  for (const hook of [...getRegistry().hooks[name]]) await hook(context);
}

function hookContext(
  hookData: Record<string, unknown>,
  invocationContext: unknown,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const ctx: Record<string, unknown> = { ...extra };
  Object.defineProperties(ctx, {
    hookData: { get: () => hookData, set: () => readOnly('hookData'), enumerable: true },
    appHookData: {
      get: () => getRegistry().appHookData,
      set: () => readOnly('appHookData'),
      enumerable: true,
    },
    invocationContext: {
      get: () => invocationContext,
      set: () => readOnly('invocationContext'),
      enumerable: true,
    },
  });
  return ctx;
}

/** Runs one invocation; rejects with the handler's error (after postInvocation hooks) like the worker. */
export async function invokeRegistered(
  fn: RegisteredFunction,
  input: InvocationInput,
  logger: HostLogger,
): Promise<InvocationResult> {
  const registry = getRegistry();
  const programmingModel = registry.programmingModel;
  if (!programmingModel) {
    throw new Error('No programming model was set: the app did not load @azure/functions through this host');
  }
  const invocationId = randomUUID();
  const name = fn.metadata.name;
  const metadata: RpcFunctionMetadata = {
    name,
    functionId: fn.metadata.functionId ?? name,
    bindings: fn.metadata.bindings,
    rawBindings: fn.rawBindings,
    scriptFile: 'n/a',
    retryOptions: fn.metadata.retryOptions,
  };
  const coreCtx: CoreInvocationContext & { state?: InvocationState } = {
    invocationId,
    request: {
      invocationId,
      functionId: metadata.functionId ?? name,
      inputData: input.inputData,
      triggerMetadata: input.triggerMetadata ?? {},
      traceContext: { traceParent: traceParent(), traceState: '' },
      ...(input.retryContext ? { retryContext: input.retryContext } : {}),
    },
    metadata,
    log: (level, category, message) => {
      logger(level, category, message, name, invocationId);
      if (category === 'user') runLogHooks(level, message, current.context);
    },
  };
  const current: { context?: unknown } = {};

  const started = Date.now();
  const outcome = (ok: boolean) =>
    logger(
      ok ? 'information' : 'error',
      'system',
      `Executed '${name}' (${ok ? 'Succeeded' : 'Failed'}, Id=${invocationId}, Duration=${Date.now() - started}ms)`,
      name,
      invocationId,
    );
  const model = await programmingModel.getInvocationModel(coreCtx);
  const args = await model.getArguments();
  current.context = args.context;
  const hookData: Record<string, unknown> = {};
  // The hook contexts are built only when hooks are registered (the worker's result is the same without them).
  const hooks = registry.hooks;

  let inputs = args.inputs;
  let callback: FunctionCallback = fn.callback;
  if (hooks.preInvocation.length > 0) {
    const pre = hookContext(hookData, args.context, { inputs, functionCallback: callback });
    coreCtx.state = 'preInvocationHooks';
    try {
      await runHooks('preInvocation', pre);
    } finally {
      coreCtx.state = undefined;
    }
    inputs = pre.inputs as unknown[];
    callback = pre.functionCallback as FunctionCallback;
  }

  const post: { result: unknown; error: unknown } = { result: null, error: null };
  coreCtx.state = 'invocation';
  try {
    post.result = await model.invokeFunction(args.context, inputs, callback);
  } catch (err) {
    post.error = err;
  } finally {
    coreCtx.state = undefined;
  }
  if (hooks.postInvocation.length > 0) {
    const ctx = hookContext(hookData, args.context, { inputs, ...post });
    coreCtx.state = 'postInvocationHooks';
    try {
      await runHooks('postInvocation', ctx);
    } finally {
      coreCtx.state = undefined;
    }
    post.result = ctx.result;
    post.error = ctx.error;
  }
  if (post.error !== null && post.error !== undefined) {
    outcome(false);
    throw post.error instanceof Error ? post.error : new Error(inspect(post.error));
  }
  const response = await model.getResponse(args.context, post.result);
  outcome(true);
  return { invocationId, response };
}

function runLogHooks(level: RpcLogLevel, message: string, invocationContext: unknown): void {
  const hooks = getRegistry().hooks.log;
  if (hooks.length === 0) return;
  const ctx = hookContext({}, invocationContext, { level, message, category: 'user' });
  for (const hook of [...hooks]) {
    try {
      void hook(ctx);
    } catch {
      /* a failing log hook must not break the invocation */
    }
  }
}

/** A W3C traceparent, like the one the host gives every invocation. */
function traceParent(): string {
  const hex = (n: number) => randomUUID().replace(/-/g, '').slice(0, n);
  return `00-${hex(32)}-${hex(16)}-01`;
}

/** Calls the app's appStart / appTerminate hooks. */
export async function runAppHooks(name: 'appStart' | 'appTerminate', functionAppDirectory: string) {
  const ctx = hookContext({}, undefined, name === 'appStart' ? { functionAppDirectory } : {});
  for (const hook of [...getRegistry().hooks[name]]) await hook(ctx);
}
