/**
 * One subscription = one durable queue bound to the broker's exchange, consumed on its own channel
 * with prefetch = concurrency (1 when ordered). A message is acknowledged only after the handler
 * resolved; a handler that rejects is called again after a capped exponential delay while the
 * message stays unacknowledged (so an ordered queue keeps its order, and a crash redelivers it).
 * After a connection or channel loss the queue is declared and consumed again.
 */
import type {
  DeliveryInfo,
  EventHandler,
  Logger,
  SubscribeOptions,
  Subscription,
} from '@tributary/core';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { AckBatcher } from './ack-batcher.js';
import type { AmqpLink } from './amqp-link.js';
import { decodeEvent } from './codec.js';
import { declareBrokerExchange } from './publisher.js';
import type { QueueType } from './resources.js';

/** Settings of one {@link QueueConsumer}. */
export interface QueueConsumerOptions {
  readonly exchange: string;
  readonly queue: string;
  readonly queueType: QueueType;
  readonly handler: EventHandler;
  readonly subscribe: SubscribeOptions;
  readonly redeliveryDelayMs: number;
  readonly maxRedeliveryDelayMs: number;
  readonly logger: Logger;
}

/** A running subscription on a RabbitMQ queue. */
export class QueueConsumer implements Subscription {
  #channel: Channel | undefined;
  #acks: AckBatcher | undefined;
  #closed = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly link: AmqpLink,
    private readonly o: QueueConsumerOptions,
  ) {
    const up = async (model: ChannelModel): Promise<void> => {
      if (!this.#closed) await this.#consume(model);
    };
    link.onUp(up);
    link.onDown(() => {
      this.#channel = undefined;
      this.#acks?.drop();
    });
  }

  /** Declares the queue and its binding and starts consuming (resolves once bound). */
  async start(): Promise<void> {
    const model = this.link.model;
    if (!model) throw new Error(`RabbitMQ is unreachable (${this.link.lastError})`);
    await this.#consume(model);
  }

  async close({ drainMs = 10_000 }: { drainMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const ch = this.#channel;
    const tag = (ch as (Channel & { consumerTag?: string }) | undefined)?.consumerTag;
    if (ch && tag) await ch.cancel(tag).catch(() => undefined);
    if (this.#inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inFlight]),
        new Promise((r) => (timer = setTimeout(r, drainMs))),
      ]);
      clearTimeout(timer);
    }
    this.#acks?.flush();
    this.#channel = undefined;
    // Closing the channel returns unacknowledged messages to the queue.
    await ch?.close().catch(() => undefined);
  }

  async #consume(model: ChannelModel): Promise<void> {
    const { exchange, queue, queueType, subscribe } = this.o;
    const ch = await model.createChannel();
    ch.on('error', (err: Error) =>
      this.o.logger.warn({ queue, err: err.message }, 'RabbitMQ consumer channel error'),
    );
    ch.on('close', () => {
      if (this.#channel !== ch) return;
      this.#channel = undefined;
      this.#acks?.drop();
      if (!this.#closed && this.link.model === model)
        setTimeout(() => {
          if (!this.#closed && !this.#channel && this.link.model === model)
            this.#consume(model).catch((err: Error) =>
              this.o.logger.warn({ queue, err: err.message }, 'cannot re-consume the queue'),
            );
        }, 200);
    });
    const prefetch = subscribe.ordered ? 1 : Math.max(1, subscribe.concurrency);
    await ch.prefetch(prefetch);
    await declareBrokerExchange(ch, exchange);
    await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': queueType } });
    await ch.bindQueue(queue, exchange, '');
    this.#acks?.drop();
    const acks = new AckBatcher(ch, Math.max(1, Math.floor(prefetch / 2)));
    this.#acks = acks;
    this.#channel = ch;
    const { consumerTag } = await ch.consume(queue, (msg) => this.#onMessage(ch, acks, msg), {
      noAck: false,
    });
    (ch as Channel & { consumerTag?: string }).consumerTag = consumerTag;
  }

  #onMessage(ch: Channel, acks: AckBatcher, msg: ConsumeMessage | null): void {
    if (!msg) {
      this.o.logger.warn(
        { queue: this.o.queue },
        'consumer cancelled by RabbitMQ (queue deleted?)',
      );
      if (this.#channel === ch) void ch.close().catch(() => undefined);
      return;
    }
    acks.delivered(msg);
    const p = this.#handle(ch, acks, msg).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  async #handle(ch: Channel, acks: AckBatcher, msg: ConsumeMessage): Promise<void> {
    const event = decodeEvent(msg.content, msg.properties);
    const viaQuorum = Number(msg.properties.headers?.['x-delivery-count']);
    let deliveryCount = Number.isFinite(viaQuorum) ? viaQuorum + 1 : msg.fields.redelivered ? 2 : 1;
    for (let attempt = 0; ; attempt++) {
      if (this.#closed || this.#channel !== ch) return; // left unacked: RabbitMQ redelivers it
      try {
        const info: DeliveryInfo = { deliveryCount };
        await this.o.handler(event, info);
      } catch (err) {
        const delay = Math.min(
          this.o.maxRedeliveryDelayMs,
          this.o.redeliveryDelayMs * 2 ** Math.min(attempt, 20),
        );
        this.o.logger.debug(
          { queue: this.o.queue, id: event.attributes['id'], err: (err as Error).message, delay },
          'handler failed; redelivering',
        );
        await new Promise((r) => setTimeout(r, delay));
        deliveryCount++;
        continue;
      }
      // Batched with the other acknowledgements of this turn (ack-batcher.ts).
      if (this.#channel === ch || this.#closed) acks.done(msg);
      return;
    }
  }
}
