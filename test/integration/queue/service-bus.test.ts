/**
 * The shared queue behaviour suite against a real Service Bus namespace. Registered only when
 * SERVICE_BUS_TEST_CONNECTION_STRING is set (the Service Bus emulator is Docker-only, so CI without a namespace
 * registers nothing here). The namespace needs the two queues as infra/ creates them: `meeting-migrations`
 * (sessions enabled) and `directory-changes`, both with duplicate detection (PT10M) and
 * maxDeliveryCount SERVICE_BUS_TEST_MAX_DELIVERY_COUNT (default 10). Use a namespace dedicated to tests: the
 * suite dead-letters messages on purpose.
 */
import { ServiceBusClient } from '@azure/service-bus';
import type { QueueName } from '../../../shared/queue/port';
import { ServiceBusQueue } from '../../../shared/queue/service-bus';
import { queueBehaviourSuite, type DeadLetterView } from '../../unit/queue/behaviour';

const connectionString = process.env['SERVICE_BUS_TEST_CONNECTION_STRING']?.trim();

if (connectionString) {
  const maxDeliveryCount = Number(process.env['SERVICE_BUS_TEST_MAX_DELIVERY_COUNT'] ?? '10');

  async function deadLetters(queue: QueueName): Promise<DeadLetterView[]> {
    const client = new ServiceBusClient(connectionString ?? '');
    const receiver = client.createReceiver(queue, { subQueueType: 'deadLetter' });
    try {
      const peeked = await receiver.peekMessages(250);
      return peeked.map((m) => {
        const lastError = m.applicationProperties?.['lastError'];
        const description = [
          m.deadLetterErrorDescription,
          typeof lastError === 'string' ? `lastError: ${lastError}` : '',
        ]
          .filter(Boolean)
          .join('; ');
        return {
          messageId: String(m.messageId),
          ...(m.deadLetterReason !== undefined ? { deadLetterReason: m.deadLetterReason } : {}),
          deadLetterErrorDescription: description,
        };
      });
    } finally {
      await receiver.close();
      await client.close();
    }
  }

  queueBehaviourSuite(
    'service bus (real namespace)',
    () => {
      const q = new ServiceBusQueue(
        { kind: 'serviceBusConnectionString', connectionString },
        { sessionIdleTimeoutMs: 1_000 },
      );
      return Promise.resolve({
        publisher: q,
        consumer: q,
        sendUnvalidated: (queue, message) => q.sendUnvalidated(queue, message),
        deadLetters,
        maxDeliveryCount,
        close: () => q.close(),
      });
    },
    { deliverTwice: false, clockToleranceMs: 2_000, timeoutMs: 60_000 },
  );
}
