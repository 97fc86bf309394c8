/**
 * The Service Bus adapter without a namespace: the pure mappings, settlement of one message with a fake
 * receiver, the micro-batching of sends with a fake sender, and construction from both configuration kinds without any network call. The behaviour suite runs
 * against a real namespace in test/integration/queue/service-bus.test.ts when one is configured.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import type { AccessToken, TokenCredential } from '@azure/identity';
import type {
  ServiceBusMessage,
  ServiceBusMessageBatch,
  ServiceBusReceivedMessage,
} from '@azure/service-bus';
import { QUEUES, type ReceivedMessage } from '../../../shared/queue/port';
import {
  BatchingSender,
  type BatchSender,
  createServiceBusClient,
  fromServiceBusMessage,
  type MessageSettler,
  ServiceBusQueue,
  settleWithHandler,
  toServiceBusMessage,
} from '../../../shared/queue/service-bus';
import { deltaSweep, migrateUser } from './behaviour';

const FAKE_CONNECTION_STRING =
  'Endpoint=sb://example.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=ZmFrZWtleQ==';

describe('service bus adapter: mapping', () => {
  it('maps an outgoing message to a ServiceBusMessage', () => {
    const at = new Date('2030-01-02T03:04:05.000Z');
    const msg = migrateUser(undefined, { scheduledEnqueueTime: at, correlationId: 'corr-1' });
    assert.deepEqual(toServiceBusMessage(msg), {
      messageId: msg.messageId,
      sessionId: msg.sessionId,
      correlationId: 'corr-1',
      contentType: 'application/json',
      body: msg.body,
      scheduledEnqueueTimeUtc: at,
    });
    const plain = deltaSweep();
    const mapped = toServiceBusMessage(plain);
    assert.deepEqual(Object.keys(mapped).sort(), ['body', 'contentType', 'messageId']);
  });

  it('maps a received message, counting deliveries from 1 and parsing JSON bytes', () => {
    const enqueued = new Date('2030-01-01T00:00:00.000Z');
    const body = { kind: 'deltaSweep', reason: 'r', requestedAt: enqueued.toISOString() };
    const r = fromServiceBusMessage({
      messageId: 'm1',
      sessionId: 's1',
      correlationId: Buffer.from('c1'),
      body: Buffer.from(JSON.stringify(body)),
      deliveryCount: 0,
      enqueuedTimeUtc: enqueued,
    });
    assert.deepEqual(r, {
      messageId: 'm1',
      sessionId: 's1',
      correlationId: 'c1',
      body,
      deliveryCount: 1,
      enqueuedTime: enqueued,
    });
    assert.equal(fromServiceBusMessage({ messageId: 42, body: {}, deliveryCount: 3 }).deliveryCount, 4);
    assert.equal(fromServiceBusMessage({ messageId: 42, body: {} }).messageId, '42');
  });
});

interface Settled {
  op: 'complete' | 'abandon' | 'deadLetter';
  detail?: unknown;
}

function fakeSettler(log: Settled[]): MessageSettler {
  return {
    completeMessage: () => {
      log.push({ op: 'complete' });
      return Promise.resolve();
    },
    abandonMessage: (_m, props) => {
      log.push({ op: 'abandon', detail: props });
      return Promise.resolve();
    },
    deadLetterMessage: (_m, options) => {
      log.push({ op: 'deadLetter', detail: options });
      return Promise.resolve();
    },
  };
}

function received(body: unknown, extra: Partial<ServiceBusReceivedMessage> = {}): ServiceBusReceivedMessage {
  return { messageId: 'id-1', body, deliveryCount: 0, ...extra } as ServiceBusReceivedMessage;
}

describe('service bus adapter: settlement', () => {
  const noLog = () => undefined;

  it('completes a valid message after the handler resolves, handing it the validated message', async () => {
    const log: Settled[] = [];
    const sent = deltaSweep('ok');
    let got: ReceivedMessage | undefined;
    await settleWithHandler(
      QUEUES.directoryChanges,
      fakeSettler(log),
      received(sent.body, { messageId: sent.messageId }),
      (m) => {
        got = m;
        return Promise.resolve();
      },
      noLog,
    );
    assert.deepEqual(log, [{ op: 'complete' }]);
    assert.equal(got?.messageId, sent.messageId);
    assert.equal(got?.deliveryCount, 1);
  });

  it('abandons with the error as lastError when the handler throws', async () => {
    const log: Settled[] = [];
    await settleWithHandler(
      QUEUES.directoryChanges,
      fakeSettler(log),
      received(deltaSweep().body),
      () => Promise.reject(new Error('graph said 503')),
      noLog,
    );
    assert.equal(log.length, 1);
    assert.equal(log[0]?.op, 'abandon');
    assert.match(String((log[0]?.detail as { lastError: string }).lastError), /graph said 503/);
  });

  it('dead-letters an invalid message at once without calling the handler, naming the field', async () => {
    const log: Settled[] = [];
    const bad = migrateUser();
    (bad.body as { requestedAt: string }).requestedAt = 'yesterday';
    let called = false;
    await settleWithHandler(
      QUEUES.meetingMigrations,
      fakeSettler(log),
      received(bad.body, { messageId: bad.messageId, sessionId: bad.sessionId ?? '' }),
      () => {
        called = true;
        return Promise.resolve();
      },
      noLog,
    );
    assert.equal(called, false);
    assert.equal(log[0]?.op, 'deadLetter');
    const options = log[0]?.detail as { deadLetterReason: string; deadLetterErrorDescription: string };
    assert.equal(options.deadLetterReason, 'InvalidMessage: body.requestedAt');
    assert.match(options.deadLetterErrorDescription, /body\.requestedAt/);
  });

  it('logs instead of throwing when settlement fails (lock lost)', async () => {
    const errors: unknown[] = [];
    const settler = fakeSettler([]);
    settler.completeMessage = () => Promise.reject(new Error('MessageLockLost'));
    await settleWithHandler(
      QUEUES.directoryChanges,
      settler,
      received(deltaSweep().body),
      () => Promise.resolve(),
      (_m, e) => errors.push(e),
    );
    assert.equal(errors.length, 1);
  });
});

describe('service bus adapter: construction', () => {
  /** Counts socket connections attempted while `fn` runs. */
  async function connectionsDuring(fn: () => Promise<void>): Promise<number> {
    let attempts = 0;
    const origTls = tls.connect;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- restored as is, called with .apply(this)
    const origNet = net.Socket.prototype.connect;
    tls.connect = ((...args: Parameters<typeof tls.connect>) => {
      attempts += 1;
      return origTls(...args);
    }) as typeof tls.connect;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      attempts += 1;
      return origNet.apply(this, args as Parameters<typeof origNet>);
    };
    try {
      await fn();
    } finally {
      tls.connect = origTls;
      net.Socket.prototype.connect = origNet;
    }
    return attempts;
  }

  it('builds a client from a namespace with a token credential, without connecting or asking for a token', async () => {
    let tokens = 0;
    const credential: TokenCredential = {
      getToken: (): Promise<AccessToken> => {
        tokens += 1;
        return Promise.resolve({ token: 't', expiresOnTimestamp: Date.now() + 60_000 });
      },
    };
    const attempts = await connectionsDuring(async () => {
      const client = createServiceBusClient(
        { kind: 'serviceBus', fullyQualifiedNamespace: 'mms-test.servicebus.windows.net' },
        credential,
      );
      assert.equal(client.fullyQualifiedNamespace, 'mms-test.servicebus.windows.net');
      await client.close();
      const q = new ServiceBusQueue(
        { kind: 'serviceBus', fullyQualifiedNamespace: 'mms-test.servicebus.windows.net' },
        { credential },
      );
      assert.equal(q.client.fullyQualifiedNamespace, 'mms-test.servicebus.windows.net');
      await q.close();
    });
    assert.equal(attempts, 0);
    assert.equal(tokens, 0);
  });

  it('builds a client from a connection string without connecting', async () => {
    const attempts = await connectionsDuring(async () => {
      const q = new ServiceBusQueue({
        kind: 'serviceBusConnectionString',
        connectionString: FAKE_CONNECTION_STRING,
      });
      assert.equal(q.client.fullyQualifiedNamespace, 'example.servicebus.windows.net');
      await q.close();
    });
    assert.equal(attempts, 0);
  });

  it('validates before sending: an invalid message is refused without a connection', async () => {
    const q = new ServiceBusQueue({
      kind: 'serviceBusConnectionString',
      connectionString: FAKE_CONNECTION_STRING,
    });
    try {
      const bad = deltaSweep();
      (bad.body as { kind: string }).kind = 'nope';
      const attempts = await connectionsDuring(async () => {
        await assert.rejects(q.send(QUEUES.directoryChanges, bad), /body\.kind/);
      });
      assert.equal(attempts, 0);
    } finally {
      await q.close();
    }
  });
});

describe('service bus adapter: batching sender', () => {
  /** A sender whose sends end when the test says so; a batch holds `capacity` messages. */
  function fakeSender(capacity: number, tooLarge = new Set<string>()) {
    const sent: { ids: string[]; release: () => void; fail: (e: Error) => void }[] = [];
    const idOf = (m: ServiceBusMessage) => String(m.messageId);
    const sender: BatchSender = {
      sendMessages: (what) =>
        new Promise<void>((resolve, reject) => {
          const list = Array.isArray(what)
            ? what.map(idOf)
            : 'count' in what
              ? (what as unknown as { ids: string[] }).ids
              : [idOf(what)];
          sent.push({ ids: list, release: resolve, fail: reject });
        }),
      createMessageBatch: () => {
        const ids: string[] = [];
        const batch = {
          ids,
          get count() {
            return ids.length;
          },
          tryAddMessage: (m: ServiceBusMessage) => {
            if (ids.length >= capacity || tooLarge.has(idOf(m))) return false;
            ids.push(idOf(m));
            return true;
          },
        };
        return Promise.resolve(batch as unknown as ServiceBusMessageBatch);
      },
    };
    return { sender, sent };
  }
  const msg = (id: string): ServiceBusMessage => ({ messageId: id, body: {} });
  const tick = () => new Promise((r) => setImmediate(r));

  it('sends a lone message at once and the ones that arrive meanwhile together, each resolved with its batch', async () => {
    const { sender, sent } = fakeSender(3);
    const b = new BatchingSender(sender);
    const done: string[] = [];
    const first = b.send(msg('a')).then(() => done.push('a'));
    assert.deepEqual(
      sent.map((s) => s.ids),
      [['a']],
    );
    const rest = ['b', 'c', 'd', 'e'].map((id) => b.send(msg(id)).then(() => done.push(id)));
    await tick();
    assert.equal(sent.length, 1, 'the others wait for the send in flight');
    sent[0]?.release();
    await first;
    await tick();
    assert.deepEqual(
      sent.map((s) => s.ids),
      [['a'], ['b', 'c', 'd']],
      'packed up to the batch size, in order',
    );
    assert.deepEqual(done, ['a'], 'nothing resolves before its batch is accepted');
    sent[1]?.release();
    await tick();
    assert.deepEqual(sent[2]?.ids, ['e']);
    sent[2]?.release();
    await Promise.all(rest);
    assert.deepEqual(done, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(b.sends, 3);
  });

  it('rejects every send of a refused batch, and only those; a message too large fails alone', async () => {
    const { sender, sent } = fakeSender(2, new Set(['huge']));
    const b = new BatchingSender(sender);
    const outcome = new Map<string, string>();
    const track = (id: string) =>
      b.send(msg(id)).then(
        () => outcome.set(id, 'ok'),
        (e: Error) => outcome.set(id, e.message),
      );
    const first = track('lead');
    const all = ['x', 'y', 'huge', 'z'].map(track);
    sent[0]?.release();
    await first;
    await tick();
    assert.deepEqual(sent[1]?.ids, ['x', 'y']);
    sent[1]?.fail(new Error('ServiceBusError: unavailable'));
    await tick();
    assert.deepEqual(sent[2]?.ids, ['huge'], 'too large for a batch: sent alone');
    sent[2]?.fail(new Error('MessageSizeExceeded'));
    await tick();
    assert.deepEqual(sent[3]?.ids, ['z']);
    sent[3]?.release();
    await Promise.all(all);
    assert.deepEqual(Object.fromEntries(outcome), {
      lead: 'ok',
      x: 'ServiceBusError: unavailable',
      y: 'ServiceBusError: unavailable',
      huge: 'MessageSizeExceeded',
      z: 'ok',
    });
  });
});
