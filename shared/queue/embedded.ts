/**
 * The embedded queue: an in-process implementation of QueuePublisher and QueueConsumer that keeps the Service
 * Bus semantics the service relies on, for the local host (`npm start`) and tests. Without a store nothing is
 * persisted (a process exit loses every message); with one (`EmbeddedQueue.open({ store })`, a TableQueueStore
 * on Azurite for the local host), every message, schedule, lock, duplicate-detection id and dead letter is
 * written through to it, and a queue opened again on the same store after the process died delivers what was
 * waiting, and redelivers what was in flight once its lock has expired (deliveryCount + 1), as Service Bus does.
 *
 * - **Locks.** A delivered message is locked for `lockDurationMs` (default: the queue's MESSAGE_LOCK_DURATION_MS,
 *   as deployed), renewed every half lock while its handler runs (the Functions host renews Service Bus locks the
 *   same way). Only a restart can find a lock expired: within one process the handler's end settles the message.
 *
 * Semantics (per queue):
 * - **At-least-once.** A handler that resolves completes the message. One that throws (or rejects) abandons
 *   it: it is redelivered with `deliveryCount + 1` after `redeliveryDelayMs` (default 25 ms; Service Bus
 *   redelivers at once, the delay only avoids a hot loop). Handlers must be idempotent.
 * - **Dead letter.** When a delivery fails and `deliveryCount` has reached `maxDeliveryCount` (default: the
 *   queue's QUEUE_PROPERTIES in port.ts, as deployed), the message moves to the dead-letter list with reason `MaxDeliveryCountExceeded` and the last
 *   error as description. A message that fails schema validation on receive (messages.ts) is dead-lettered at
 *   once, without calling the handler, with reason `InvalidMessage: <field>`.
 * - **Scheduled delivery.** A message with `scheduledEnqueueTime` is invisible (counted by `scheduledCount`)
 *   until that time, then joins the queue behind the messages already there.
 * - **Sessions.** With `subscribe(q, { sessions: true })` at most one message per sessionId is in flight, in
 *   FIFO order within the session (an abandoned message stays at the head of its session and blocks it until
 *   redelivered); different sessions run concurrently, up to `maxConcurrent` (default 8, the Functions host's
 *   maxConcurrentSessions). Without sessions, up to `maxConcurrent` (default 16) messages run at once.
 * - **Duplicate detection.** A second send with the same messageId within `duplicateDetectionWindowMs`
 *   (default: the queue's QUEUE_PROPERTIES, as in the Bicep/Terraform queues) of the first is silently dropped, whatever
 *   happened to the first; while the first is still being stored, the second's send resolves (or rejects) with
 *   it, so that no duplicate is acknowledged before the message it repeats is durable. Window 0 turns it off.
 * - **Fault mode `deliverTwice`.** Every message that completes is delivered once more (deliveryCount + 1),
 *   as Service Bus does when a lock is lost after the work was done: proves consumers are idempotent.
 *
 * Inspection for tests: `deadLetters(q)`, `activeCount(q)` (waiting or in flight), `scheduledCount(q)`, and
 * `waitForIdle(timeoutMs)`: resolves once nothing is in flight, nothing is waiting to be delivered, and no
 * scheduled message is due within `idleHorizonMs` (default 2 s; messages scheduled later, such as a 120-second
 * migration delay, do not keep the queue busy). It rejects after `timeoutMs`, naming what is still pending.
 *
 * `close()` stops timers and deliveries and waits for the handlers in flight. Nothing here produces unhandled
 * rejections: handler errors are caught and turned into abandons.
 */
import { randomUUID } from 'node:crypto';
import type {
  MessageHandler,
  OutgoingMessage,
  QueueConsumer,
  QueueName,
  QueuePublisher,
  ReceivedMessage,
  Subscription,
} from './port';
import { MESSAGE_LOCK_DURATION_MS, QUEUE_PROPERTIES, QUEUES } from './port';
import { validateOutgoing, validateReceived } from './messages';
import type { QueueStore, StoredMessage } from './table-store';

export interface EmbeddedQueueSettings {
  /** Deliveries before a failing message is dead-lettered. Default 10. */
  maxDeliveryCount?: number;
  /** Duplicate-detection window by messageId. Default 600 000 (10 minutes); 0 disables. */
  duplicateDetectionWindowMs?: number;
}

export interface EmbeddedQueueOptions extends EmbeddedQueueSettings {
  /** Per-queue overrides of maxDeliveryCount / duplicateDetectionWindowMs. */
  queues?: Partial<Record<QueueName, EmbeddedQueueSettings>>;
  /** Pause before an abandoned message is delivered again. Default 25 ms. */
  redeliveryDelayMs?: number;
  /** Deliver every message once more after it completes. Default false. */
  deliverTwice?: boolean;
  /** Scheduled messages due later than this do not count as pending in waitForIdle. Default 2 000 ms. */
  idleHorizonMs?: number;
  /** Where unexpected internal errors go (never thrown). Default console.error. */
  log?: (message: string, error?: unknown) => void;
  /** Keep messages in this store (durable across restarts); open the queue with EmbeddedQueue.open. */
  store?: QueueStore;
  /** Lock of a delivered message (default: the queue's MESSAGE_LOCK_DURATION_MS). */
  lockDurationMs?: number;
}

export interface DeadLetteredMessage extends ReceivedMessage {
  deadLetterReason: string;
  deadLetterErrorDescription: string;
  deadLetteredAt: Date;
}

interface Entry {
  /** Stable key in the store. */
  key: string;
  /** FIFO order across restarts. */
  order: number;
  /** Epoch ms until which a consumer holds it (kept in the store; 0 when not delivered). */
  lockedUntil: number;
  messageId: string;
  sessionId?: string;
  correlationId?: string;
  /** JSON copy of the body, as it would travel on the wire. */
  body: unknown;
  enqueuedTime: Date;
  /** Deliveries so far. */
  deliveryCount: number;
  /** Not delivered before this time (scheduled, or redelivery delay). */
  notBefore: number;
  /** Order of activation (FIFO). */
  seq: number;
  inFlight: boolean;
  /** Already the deliverTwice copy. */
  repeat: boolean;
  /** Epoch ms its messageId's duplicate-detection window ends (0: no window). */
  seenUntil: number;
}

interface Sub {
  sessions: boolean;
  maxConcurrent: number;
  handler: MessageHandler;
  active: number;
  closed: boolean;
  running: Set<Promise<void>>;
}

interface QueueState {
  /** Activated messages in FIFO order (waiting, redelivery-delayed or in flight). */
  active: Entry[];
  /** Messages whose scheduledEnqueueTime has not come yet. */
  scheduled: Entry[];
  deadLetters: DeadLetteredMessage[];
  /** messageId → time its duplicate-detection window ends. */
  seen: Map<string, number>;
  /** messageId → the store write of a message not yet stored (its duplicates wait for it). */
  storing: Map<string, Promise<void>>;
  lockedSessions: Set<string>;
  subs: Sub[];
  timer?: NodeJS.Timeout;
  timerAt?: number;
}

function toJson(body: unknown): unknown {
  const text = JSON.stringify(body);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

export class EmbeddedQueue implements QueuePublisher, QueueConsumer {
  private readonly states = new Map<QueueName, QueueState>();
  private readonly waiters = new Set<() => void>();
  private seq = 0;
  private order = 0;
  private closed = false;
  /** Crashed (tests): writes nothing more, as a killed process would not. */
  private dead = false;
  private readonly store: QueueStore | undefined;

  /** A queue on `options.store`, with what the store kept from an earlier process. */
  static async open(options: EmbeddedQueueOptions): Promise<EmbeddedQueue> {
    const q = new EmbeddedQueue(options);
    await q.restore();
    return q;
  }
  private readonly redeliveryDelayMs: number;
  private readonly idleHorizonMs: number;
  private readonly log: (message: string, error?: unknown) => void;

  constructor(private readonly options: EmbeddedQueueOptions = {}) {
    this.redeliveryDelayMs = options.redeliveryDelayMs ?? 25;
    this.idleHorizonMs = options.idleHorizonMs ?? 2_000;
    this.log = options.log ?? ((m, e) => console.error(`[embedded-queue] ${m}`, e ?? ''));
    this.store = options.store;
    for (const q of Object.values(QUEUES)) this.state(q);
  }

  /** Loads what the store kept: messages (locked ones wait for their lock), dedup ids, dead letters. */
  private async restore(): Promise<void> {
    const store = this.store;
    if (store === undefined) return;
    const now = Date.now();
    for (const queue of Object.values(QUEUES)) {
      const st = this.state(queue);
      const rows = (await store.loadMessages(queue)).sort((a, b) => a.order - b.order);
      // An id is seen while its message is in the queue (the row says until when) or, after that, by its mark.
      const seenIds = await store.loadSeen(queue);
      for (const m of rows) {
        if (m.seenUntil !== undefined)
          seenIds.set(m.messageId, Math.max(m.seenUntil, seenIds.get(m.messageId) ?? 0));
      }
      const seen = [...seenIds].sort((a, b) => a[1] - b[1]);
      for (const [id, until] of seen) if (until > now) st.seen.set(id, until);
      for (const d of await store.loadDeadLetters(queue)) {
        st.deadLetters.push({
          messageId: d.messageId,
          ...(d.sessionId !== undefined ? { sessionId: d.sessionId } : {}),
          ...(d.correlationId !== undefined ? { correlationId: d.correlationId } : {}),
          body: d.body,
          deliveryCount: d.deliveryCount,
          enqueuedTime: new Date(d.enqueuedTime),
          deadLetterReason: d.deadLetterReason,
          deadLetterErrorDescription: d.deadLetterErrorDescription,
          deadLetteredAt: new Date(d.deadLetteredAt),
        });
      }
      for (const m of rows) {
        this.order = Math.max(this.order, m.order);
        const entry: Entry = {
          key: m.key,
          order: m.order,
          lockedUntil: 0,
          messageId: m.messageId,
          ...(m.sessionId !== undefined ? { sessionId: m.sessionId } : {}),
          ...(m.correlationId !== undefined ? { correlationId: m.correlationId } : {}),
          body: m.body,
          enqueuedTime: new Date(m.enqueuedTime),
          deliveryCount: m.deliveryCount,
          // A message a dead consumer held waits for its lock to expire, as on Service Bus.
          notBefore: Math.max(m.notBefore, m.lockedUntil),
          seq: 0,
          inFlight: false,
          repeat: false,
          seenUntil: m.seenUntil ?? 0,
        };
        if (m.deliveryCount === 0 && m.notBefore > now) st.scheduled.push(entry);
        else this.activate(st, entry);
      }
      this.pump(queue);
    }
  }

  private row(queue: QueueName, e: Entry): StoredMessage {
    return {
      key: e.key,
      queue,
      messageId: e.messageId,
      ...(e.sessionId !== undefined ? { sessionId: e.sessionId } : {}),
      ...(e.correlationId !== undefined ? { correlationId: e.correlationId } : {}),
      body: e.body,
      enqueuedTime: e.enqueuedTime.toISOString(),
      deliveryCount: e.deliveryCount,
      notBefore: e.notBefore,
      lockedUntil: e.lockedUntil,
      order: e.order,
      ...(e.seenUntil > 0 ? { seenUntil: e.seenUntil } : {}),
    };
  }

  /** Writes through to the store (nothing without one, or after a crash). */
  private async persist(write: (store: QueueStore) => Promise<void>): Promise<void> {
    if (this.store === undefined || this.dead) return;
    await write(this.store);
  }

  private lockDuration(queue: QueueName): number {
    return this.options.lockDurationMs ?? MESSAGE_LOCK_DURATION_MS[queue];
  }

  /**
   * Stops at once without settling anything or writing anything more, as a killed process would (tests of
   * restarts): handlers still running are left to themselves, their outcome is never recorded.
   */
  crash(): void {
    this.dead = true;
    this.closed = true;
    for (const st of this.states.values()) {
      if (st.timer) clearTimeout(st.timer);
      st.timer = undefined;
      for (const sub of st.subs) sub.closed = true;
    }
  }

  // ----- QueuePublisher

  /** Validates and enqueues. Resolves once enqueued (stored, with a store) or dropped as a duplicate. */
  async send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    const valid = validateOutgoing(queue, message);
    await this.enqueue(queue, valid);
  }

  /**
   * Enqueues without validating on send, as a foreign or older sender could: for tests of receive-side
   * validation. Duplicate detection and scheduling still apply.
   */
  sendUnvalidated(queue: QueueName, message: OutgoingMessage): void {
    this.enqueue(queue, message).catch((e: unknown) => this.log(`sendUnvalidated on ${queue} failed`, e));
  }

  /** sendUnvalidated that resolves once the message is stored. */
  sendUnvalidatedDurably(queue: QueueName, message: OutgoingMessage): Promise<void> {
    return this.enqueue(queue, message);
  }

  // ----- QueueConsumer

  subscribe(
    queue: QueueName,
    options: { sessions: boolean; maxConcurrent?: number },
    handler: MessageHandler,
  ): Subscription {
    if (this.closed) throw new Error('EmbeddedQueue is closed');
    const maxConcurrent = options.maxConcurrent ?? (options.sessions ? 8 : 16);
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new RangeError(`maxConcurrent must be a positive whole number, got ${maxConcurrent}`);
    }
    const sub: Sub = {
      sessions: options.sessions,
      maxConcurrent,
      handler,
      active: 0,
      closed: false,
      running: new Set(),
    };
    const st = this.state(queue);
    st.subs.push(sub);
    this.pump(queue);
    return {
      close: async () => {
        sub.closed = true;
        st.subs = st.subs.filter((s) => s !== sub);
        await Promise.allSettled([...sub.running]);
      },
    };
  }

  // ----- inspection

  deadLetters(queue: QueueName): DeadLetteredMessage[] {
    return [...this.state(queue).deadLetters];
  }

  /** Messages waiting or in flight (Service Bus's activeMessageCount). */
  activeCount(queue: QueueName): number {
    return this.state(queue).active.length;
  }

  /** Messages whose scheduled time has not come yet. */
  scheduledCount(queue: QueueName): number {
    return this.state(queue).scheduled.length;
  }

  /** What keeps the queue busy now (empty when idle). */
  pending(): string[] {
    const horizon = Date.now() + this.idleHorizonMs;
    const out: string[] = [];
    for (const [q, st] of this.states) {
      const inFlight = st.active.filter((e) => e.inFlight).length;
      const waiting = st.active.length - inFlight;
      const soon = st.scheduled.filter((e) => e.notBefore <= horizon).length;
      if (inFlight) out.push(`${q}: ${inFlight} in flight`);
      if (waiting) out.push(`${q}: ${waiting} waiting${st.subs.length === 0 ? ' (no subscriber)' : ''}`);
      if (soon) out.push(`${q}: ${soon} scheduled within ${this.idleHorizonMs} ms`);
    }
    return out;
  }

  /** Resolves when idle (see the file comment); rejects after timeoutMs naming what is still pending. */
  waitForIdle(timeoutMs = 10_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = () => {
        this.waiters.delete(check);
        clearTimeout(timer);
        clearInterval(poll);
      };
      const check = () => {
        if (this.pending().length > 0) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Queue not idle after ${timeoutMs} ms: ${this.pending().join('; ')}`));
      }, timeoutMs);
      // A scheduled message can cross into the horizon without any state change: look again now and then.
      const poll = setInterval(check, Math.max(10, Math.min(250, this.idleHorizonMs)));
      this.waiters.add(check);
      check();
    });
  }

  /** Stops timers and deliveries; waits for the handlers in flight. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const running: Promise<void>[] = [];
    for (const st of this.states.values()) {
      if (st.timer) clearTimeout(st.timer);
      st.timer = undefined;
      for (const sub of st.subs) {
        sub.closed = true;
        running.push(...sub.running);
      }
    }
    await Promise.allSettled(running);
  }

  // ----- internals

  private state(queue: QueueName): QueueState {
    let st = this.states.get(queue);
    if (!st) {
      st = {
        active: [],
        scheduled: [],
        deadLetters: [],
        seen: new Map(),
        storing: new Map(),
        lockedSessions: new Set(),
        subs: [],
      };
      this.states.set(queue, st);
    }
    return st;
  }

  private settings(queue: QueueName): Required<EmbeddedQueueSettings> {
    const q = this.options.queues?.[queue] ?? {};
    return {
      maxDeliveryCount:
        q.maxDeliveryCount ?? this.options.maxDeliveryCount ?? QUEUE_PROPERTIES[queue].maxDeliveryCount,
      duplicateDetectionWindowMs:
        q.duplicateDetectionWindowMs ??
        this.options.duplicateDetectionWindowMs ??
        QUEUE_PROPERTIES[queue].duplicateDetectionWindowMs,
    };
  }

  private async enqueue(queue: QueueName, message: OutgoingMessage): Promise<void> {
    if (this.closed) throw new Error('EmbeddedQueue is closed');
    const st = this.state(queue);
    const now = Date.now();
    const window = this.settings(queue).duplicateDetectionWindowMs;
    if (window > 0) {
      // Ids are kept in the order their windows end (one window per queue): expired ones are at the front.
      for (const [id, until] of st.seen) {
        if (until > now) break;
        st.seen.delete(id);
      }
      const seenUntil = st.seen.get(message.messageId);
      if (seenUntil !== undefined && seenUntil > now) {
        // A duplicate is acknowledged no earlier than the message it repeats: if that one is still being
        // stored, its outcome is this send's too (a failure lets the sender try again, as for the first).
        await st.storing.get(message.messageId);
        return;
      }
      st.seen.delete(message.messageId);
      st.seen.set(message.messageId, now + window);
    }
    const at = message.scheduledEnqueueTime?.getTime();
    this.order = Math.max(this.order + 1, now * 1000);
    const entry: Entry = {
      key: randomUUID(),
      order: this.order,
      lockedUntil: 0,
      messageId: message.messageId,
      ...(message.sessionId !== undefined ? { sessionId: message.sessionId } : {}),
      ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
      body: toJson(message.body),
      enqueuedTime: new Date(now),
      deliveryCount: 0,
      notBefore: at !== undefined && at > now ? at : 0,
      seq: 0,
      inFlight: false,
      repeat: false,
      seenUntil: window > 0 ? now + window : 0,
    };
    if (entry.notBefore > now) entry.enqueuedTime = new Date(entry.notBefore);
    // Stored before it can be delivered, so that a completion can never be overtaken by this write. The row is
    // the id's duplicate-detection record too: one write, one round trip, before the send resolves.
    const stored = this.persist((store) => store.put(this.row(queue, entry)));
    if (window > 0 && this.store !== undefined) {
      st.storing.set(message.messageId, stored);
      const forget = () => {
        if (st.storing.get(message.messageId) === stored) st.storing.delete(message.messageId);
      };
      stored.then(forget, forget);
    }
    try {
      await stored;
    } catch (e) {
      st.seen.delete(message.messageId);
      throw e;
    }
    if (this.closed) return;
    if (entry.notBefore > now) {
      st.scheduled.push(entry);
      this.pump(queue);
    } else {
      this.activate(st, entry);
      this.pump(queue);
    }
    this.notify();
  }

  private activate(st: QueueState, entry: Entry): void {
    entry.seq = ++this.seq;
    st.active.push(entry);
  }

  /**
   * Sets the queue's timer to the next time something becomes deliverable. Called only by pump(), with the
   * same `now` its picks used, so that an entry is either due (and pump dealt with it) or timed here.
   */
  private arm(queue: QueueName, now: number): void {
    const st = this.state(queue);
    if (this.closed) return;
    let next = Infinity;
    for (const e of st.scheduled) next = Math.min(next, e.notBefore);
    for (const e of st.active) if (!e.inFlight && e.notBefore > now) next = Math.min(next, e.notBefore);
    if (next === Infinity) {
      if (st.timer) clearTimeout(st.timer);
      st.timer = undefined;
      st.timerAt = undefined;
      return;
    }
    if (st.timer && st.timerAt !== undefined && st.timerAt <= next) return;
    if (st.timer) clearTimeout(st.timer);
    st.timerAt = next;
    st.timer = setTimeout(
      () => {
        st.timer = undefined;
        st.timerAt = undefined;
        this.tick(queue);
      },
      Math.max(0, next - now),
    );
  }

  private tick(queue: QueueName): void {
    try {
      const st = this.state(queue);
      const now = Date.now();
      const due = st.scheduled.filter((e) => e.notBefore <= now).sort((a, b) => a.notBefore - b.notBefore);
      if (due.length) {
        st.scheduled = st.scheduled.filter((e) => e.notBefore > now);
        for (const e of due) this.activate(st, e);
      }
      this.pump(queue);
      this.notify();
    } catch (e) {
      this.log(`timer of ${queue} failed`, e);
    }
  }

  /** Starts every delivery that a subscription has room for. */
  private pump(queue: QueueName): void {
    if (this.closed) return;
    const st = this.state(queue);
    const now = Date.now();
    for (const sub of st.subs) {
      while (!sub.closed && sub.active < sub.maxConcurrent) {
        const entry = this.pick(st, sub, now);
        if (!entry) break;
        this.deliver(queue, st, sub, entry);
      }
    }
    this.arm(queue, now);
  }

  private pick(st: QueueState, sub: Sub, now: number): Entry | undefined {
    if (!sub.sessions) return st.active.find((e) => !e.inFlight && e.notBefore <= now);
    const blocked = new Set<string>();
    for (const e of st.active) {
      const session = e.sessionId ?? '';
      if (st.lockedSessions.has(session) || blocked.has(session)) continue;
      // The head of a session: deliver it if due, otherwise the session waits for it (FIFO).
      blocked.add(session);
      if (!e.inFlight && e.notBefore <= now) return e;
    }
    return undefined;
  }

  private deliver(queue: QueueName, st: QueueState, sub: Sub, entry: Entry): void {
    entry.inFlight = true;
    entry.deliveryCount += 1;
    sub.active += 1;
    const session = sub.sessions ? (entry.sessionId ?? '') : undefined;
    if (session !== undefined) st.lockedSessions.add(session);

    const received: ReceivedMessage = {
      messageId: entry.messageId,
      ...(entry.sessionId !== undefined ? { sessionId: entry.sessionId } : {}),
      ...(entry.correlationId !== undefined ? { correlationId: entry.correlationId } : {}),
      body: toJson(entry.body),
      deliveryCount: entry.deliveryCount,
      enqueuedTime: entry.enqueuedTime,
    };

    const run = async (): Promise<void> => {
      const checked = validateReceived(queue, received);
      if (!checked.ok) {
        await this.deadLetter(
          queue,
          st,
          entry,
          received,
          checked.deadLetterReason,
          checked.deadLetterErrorDescription,
        );
        return;
      }
      // The lock is stored before the handler runs and renewed while it runs.
      const lock = this.lockDuration(queue);
      entry.lockedUntil = Date.now() + lock;
      let renewal: NodeJS.Timeout | undefined;
      if (this.store !== undefined) {
        try {
          await this.persist((store) => store.put(this.row(queue, entry)));
        } catch (e) {
          this.log(`storing the lock of ${entry.messageId} on ${queue} failed`, e);
        }
        renewal = setInterval(
          () => {
            entry.lockedUntil = Date.now() + lock;
            this.persist((store) => store.put(this.row(queue, entry))).catch((e: unknown) =>
              this.log(`renewing the lock of ${entry.messageId} on ${queue} failed`, e),
            );
          },
          Math.max(10, Math.floor(lock / 2)),
        );
        renewal.unref();
      }
      try {
        await sub.handler(checked.message);
      } catch (e) {
        clearInterval(renewal);
        await this.abandon(queue, st, entry, received, e);
        return;
      }
      clearInterval(renewal);
      await this.complete(queue, st, entry);
    };

    const p: Promise<void> = run()
      .catch((e: unknown) => this.log(`settling ${entry.messageId} on ${queue} failed`, e))
      .finally(() => {
        sub.active -= 1;
        sub.running.delete(p);
        if (session !== undefined) st.lockedSessions.delete(session);
        this.pump(queue);
        this.notify();
      });
    sub.running.add(p);
  }

  private remove(st: QueueState, entry: Entry): void {
    const i = st.active.indexOf(entry);
    if (i >= 0) st.active.splice(i, 1);
  }

  /**
   * Before a message's row leaves the store, its id is marked seen for what is left of its window (the row was
   * that record until then): a process killed in between leaves the row, never an id forgotten too soon.
   */
  private async keepSeen(queue: QueueName, entry: Entry): Promise<void> {
    if (entry.seenUntil <= Date.now()) return;
    await this.persist((store) => store.markSeen(queue, entry.messageId, entry.seenUntil));
  }

  private async complete(queue: QueueName, st: QueueState, entry: Entry): Promise<void> {
    if (this.dead) return;
    this.remove(st, entry);
    await this.keepSeen(queue, entry);
    await this.persist((store) => store.remove(queue, entry.key));
    if (this.options.deliverTwice && !entry.repeat && !this.closed) {
      const copy: Entry = { ...entry, inFlight: false, repeat: true, notBefore: 0 };
      this.activate(st, copy);
    }
  }

  private async abandon(
    queue: QueueName,
    st: QueueState,
    entry: Entry,
    received: ReceivedMessage,
    error: unknown,
  ): Promise<void> {
    if (this.dead) return;
    const max = this.settings(queue).maxDeliveryCount;
    if (entry.deliveryCount >= max) {
      await this.deadLetter(
        queue,
        st,
        entry,
        received,
        'MaxDeliveryCountExceeded',
        `Delivered ${entry.deliveryCount} times (maxDeliveryCount ${max}); last error: ${errorText(error)}`.slice(
          0,
          4000,
        ),
      );
      return;
    }
    entry.notBefore = Date.now() + this.redeliveryDelayMs;
    entry.lockedUntil = 0;
    await this.persist((store) => store.put(this.row(queue, entry)));
    entry.inFlight = false;
  }

  private async deadLetter(
    queue: QueueName,
    st: QueueState,
    entry: Entry,
    received: ReceivedMessage,
    reason: string,
    description: string,
  ): Promise<void> {
    if (this.dead) return;
    const deadLetteredAt = new Date();
    await this.keepSeen(queue, entry);
    await this.persist((store) =>
      store.deadLetter({
        ...this.row(queue, entry),
        deadLetterReason: reason,
        deadLetterErrorDescription: description,
        deadLetteredAt: deadLetteredAt.toISOString(),
      }),
    );
    this.remove(st, entry);
    st.deadLetters.push({
      ...received,
      deadLetterReason: reason,
      deadLetterErrorDescription: description,
      deadLetteredAt,
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) {
      try {
        w();
      } catch (e) {
        this.log('idle waiter failed', e);
      }
    }
  }
}
