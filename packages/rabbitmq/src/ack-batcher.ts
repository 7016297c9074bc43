/**
 * Acknowledgements of one consumer channel, sent together (docs/rabbitmq.md, "What is batched").
 * A message is marked done once its handler resolved; the done messages are acknowledged at the
 * end of the event-loop turn (or earlier when `maxPending` are waiting): the run of done messages
 * at the head of the unacknowledged ones with ONE `basic.ack multiple=true`, done messages behind a
 * message still in flight one by one (so a message that is being retried for minutes never holds
 * back the acknowledgement of later ones, nor the prefetch window).
 *
 * Saves one AMQP frame, one socket write and one quorum-queue settle command per message at load:
 * at 32 requests in flight about 15 µs of RabbitMQ CPU per message on the bench machine
 * (77–83 µs against 95 µs per message with one ack each, raw amqplib, quorum queue).
 * An acknowledgement is only ever sent after the handler resolved, as before; `flush` sends what
 * is done before the channel is closed, so a graceful close does not redeliver delivered messages.
 */
import type { Channel, Message } from 'amqplib';

export class AckBatcher {
  /** Unacknowledged messages in delivery-tag order (tags grow per channel); true once done. */
  readonly #unacked = new Map<number, { msg: Message; done: boolean }>();
  #doneCount = 0;
  #scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly channel: Channel,
    private readonly maxPending: number,
  ) {}

  /** Registers a delivered message (call in delivery order). */
  delivered(msg: Message): void {
    this.#unacked.set(msg.fields.deliveryTag, { msg, done: false });
  }

  /** Marks a message handled; it is acknowledged at the end of this turn. */
  done(msg: Message): void {
    const slot = this.#unacked.get(msg.fields.deliveryTag);
    if (!slot || slot.done) return;
    slot.done = true;
    this.#doneCount++;
    if (this.#doneCount >= this.maxPending) this.flush();
    else this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Forgets every message (the channel is gone: RabbitMQ redelivers what was not acknowledged). */
  drop(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#unacked.clear();
    this.#doneCount = 0;
  }

  /** Acknowledges every done message now. */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#doneCount === 0) return;
    let head: Message | undefined; // last of the done run at the head
    let atHead = true;
    for (const [tag, slot] of this.#unacked) {
      if (!slot.done) {
        atHead = false;
        continue;
      }
      this.#unacked.delete(tag);
      if (atHead) head = slot.msg;
      else this.#ack(slot.msg, false); // behind one in flight: on its own
    }
    this.#doneCount = 0;
    // Everything up to `head` is acknowledged by this one frame (those behind a gap were already).
    if (head) this.#ack(head, true);
  }

  #ack(msg: Message, multiple: boolean): void {
    try {
      this.channel.ack(msg, multiple);
    } catch {
      // channel already gone: RabbitMQ redelivers the message (at least once)
    }
  }
}
