/**
 * RPC-shaped trigger payloads, as the Functions host sends them to the worker for each trigger type. The
 * programming model (@azure/functions) turns them into what handlers receive.
 */
import type { ReceivedMessage } from '../../shared/queue/port';
import type { RpcHttpData, RpcTypedData } from './stubs/@azure/functions-core';

/** Service Bus trigger: the message body (JSON text, which the library parses) and the extension's metadata. */
export function serviceBusInvocation(message: ReceivedMessage): {
  data: RpcTypedData;
  triggerMetadata: Record<string, RpcTypedData>;
} {
  const triggerMetadata: Record<string, RpcTypedData> = {
    MessageId: { string: message.messageId },
    DeliveryCount: { int: message.deliveryCount },
    EnqueuedTimeUtc: { string: message.enqueuedTime.toISOString() },
    ContentType: { string: 'application/json' },
    ApplicationProperties: { json: '{}' },
    UserProperties: { json: '{}' },
  };
  if (message.sessionId !== undefined) triggerMetadata.SessionId = { string: message.sessionId };
  if (message.correlationId !== undefined) triggerMetadata.CorrelationId = { string: message.correlationId };
  const text = typeof message.body === 'string' ? message.body : JSON.stringify(message.body ?? null);
  return { data: { string: text }, triggerMetadata };
}

export interface TimerStatus {
  last: Date | undefined;
  next: Date;
  lastUpdated: Date;
}

/** .NET's DateTime.MinValue, what the host reports as "Last" before a timer ever ran. */
const NEVER = '0001-01-01T00:00:00';

/** Timer trigger: the TimerInfo JSON the host sends (PascalCase; the library camel-cases it). */
export function timerInvocation(status: TimerStatus, isPastDue: boolean): RpcTypedData {
  return {
    json: JSON.stringify({
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: status.last?.toISOString() ?? NEVER,
        Next: status.next.toISOString(),
        LastUpdated: status.lastUpdated.toISOString(),
      },
      IsPastDue: isPastDue,
    }),
  };
}

/** HTTP trigger: the request as RPC http data (headers folded into one value each, query first values). */
export function httpInvocation(init: {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  params: Record<string, string>;
  body: Buffer;
}): RpcTypedData {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers)) {
    if (v === undefined) continue;
    headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of init.url.searchParams) {
    query[k] = k in query ? `${query[k]},${v}` : v;
  }
  const http: RpcHttpData = {
    method: init.method,
    url: init.url.toString(),
    headers,
    query,
    params: init.params,
    body: { bytes: init.body },
  };
  return { http };
}
