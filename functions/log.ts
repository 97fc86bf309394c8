/**
 * The logger of one invocation (see shared/logging.ts): every line carries the function's name and invocation id,
 * one JSON object per line in Azure, the readable one-line form locally.
 *
 *   const log = functionLogger(context).with({ userId, correlationId, retryCount });
 *   log.info('migrateUser: started');
 */
import type { InvocationContext } from '@azure/functions';
import { logFormat, RunLogger } from '../shared/logging';

export function functionLogger(context: InvocationContext): RunLogger {
  return new RunLogger(
    {
      info: (line) => context.info(line),
      warn: (line) => context.warn(line),
      error: (line) => context.error(line),
    },
    logFormat(),
    { functionName: context.functionName, invocationId: context.invocationId },
  );
}
