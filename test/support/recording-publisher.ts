/**
 * A queue publisher that records what is sent, each message validated against its queue's schema as the real
 * adapters validate it (so a test or bench that sends a malformed message fails there, not in production). With
 * `failWith` set, every send rejects with it and records nothing, as an unreachable queue would.
 */
import { validateOutgoing } from '../../shared/queue/messages';
import type { OutgoingMessage, QueueName, QueuePublisher } from '../../shared/queue/port';

export class RecordingPublisher implements QueuePublisher {
  readonly sent: { queue: QueueName; message: OutgoingMessage }[] = [];
  failWith: Error | undefined;

  send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.sent.push({ queue, message: validateOutgoing(queue, message) });
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
