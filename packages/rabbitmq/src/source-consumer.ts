/**
 * The consumer of one RabbitmqSource: declares (unless `predeclared`) the queue and its binding to
 * `exchangeName`, consumes with prefetch = `parallelism`, maps each message to a CloudEvent
 * (docs/knative-behaviour.md §7.5) and acknowledges it only after the sink accepted the event. When the sink
 * refuses for good (a non-retryable answer) the message is rejected without requeue (RabbitMQ
 * dead-letters it when the queue has a dead-letter exchange); when the retries ran out on a
 * retryable failure it is requeued after a pause. Reconnects through its {@link AmqpLink}.
 */
import type { Logger, Sink } from '@tributary/core';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { AmqpLink } from './amqp-link.js';
import { type SourceIdentity, messageToEvent } from './codec.js';

/** Settings of a {@link SourceConsumer}. */
export interface SourceConsumerOptions extends SourceIdentity {
  readonly exchange?: string | undefined;
  readonly predeclared: boolean;
  readonly parallelism: number;
  readonly sink: Sink;
  readonly logger: Logger;
  /** Pause before a message whose delivery failed is requeued. @default 1000 */
  readonly requeueDelayMs?: number;
}

/** Non-retryable HTTP answers (docs/knative-behaviour.md §3.3): requeueing would not help. */
const isFinal = (status: number | undefined): boolean =>
  status !== undefined && status >= 300 && status < 500 && ![404, 408, 409, 429].includes(status);

/** Consumes one RabbitmqSource's queue. */
export class SourceConsumer {
  #channel: Channel | undefined;
  #closed = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly link: AmqpLink,
    private readonly o: SourceConsumerOptions,
  ) {
    link.onUp((model) => (this.#closed ? Promise.resolve() : this.#consume(model)));
    link.onDown(() => {
      this.#channel = undefined;
    });
  }

  /** Stops consuming, waits up to `drainMs` for deliveries in flight; unacknowledged messages return to the queue. */
  async close(drainMs: number): Promise<void> {
    this.#closed = true;
    const ch = this.#channel;
    if (this.#inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inFlight]),
        new Promise((r) => (timer = setTimeout(r, drainMs))),
      ]);
      clearTimeout(timer);
    }
    this.#channel = undefined;
    await ch?.close().catch(() => undefined);
  }

  async #exists(model: ChannelModel, check: (ch: Channel) => Promise<unknown>): Promise<boolean> {
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    try {
      await check(ch);
      await ch.close().catch(() => undefined);
      return true;
    } catch {
      return false; // a failed check closes the channel
    }
  }

  async #declare(model: ChannelModel): Promise<void> {
    const { queue, exchange } = this.o;
    const ch = await model.createChannel();
    try {
      if (!(await this.#exists(model, (c) => c.checkQueue(queue))))
        await ch.assertQueue(queue, { durable: true });
      if (exchange) {
        if (!(await this.#exists(model, (c) => c.checkExchange(exchange))))
          await ch.assertExchange(exchange, 'headers', { durable: true });
        // '#' matches everything on a topic exchange; fanout and headers (no arguments) ignore it.
        await ch.bindQueue(queue, exchange, '#');
      }
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  /** Starts (or restarts) consuming on a live connection. */
  async #consume(model: ChannelModel): Promise<void> {
    if (!this.o.predeclared) await this.#declare(model);
    const ch = await model.createChannel();
    ch.on('error', (err: Error) =>
      this.o.logger.warn({ queue: this.o.queue, err: err.message }, 'RabbitmqSource channel error'),
    );
    await ch.prefetch(this.o.parallelism);
    this.#channel = ch;
    await ch.consume(this.o.queue, (msg) => this.#onMessage(ch, msg), { noAck: false });
  }

  /** Connects the first time. */
  async start(): Promise<void> {
    const model = this.link.model;
    if (!model) throw new Error(`RabbitMQ is unreachable (${this.link.lastError})`);
    await this.#consume(model);
  }

  #onMessage(ch: Channel, msg: ConsumeMessage | null): void {
    if (!msg) return;
    const p = this.#deliver(ch, msg).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  async #deliver(ch: Channel, msg: ConsumeMessage): Promise<void> {
    const event = messageToEvent(msg.content, msg.properties, this.o);
    const settle = (f: () => void): void => {
      try {
        if (this.#channel === ch || this.#closed) f();
      } catch {
        // channel gone: RabbitMQ redelivers the message
      }
    };
    try {
      await this.o.sink(event);
      settle(() => ch.ack(msg));
      this.o.logger.debug({ id: event.attributes['id'] }, 'message delivered to the sink');
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (isFinal(status)) {
        this.o.logger.error(
          { id: event.attributes['id'], err: (err as Error).message },
          'sink refused the event; message rejected without requeue',
        );
        settle(() => ch.nack(msg, false, false));
        return;
      }
      this.o.logger.warn(
        { id: event.attributes['id'], err: (err as Error).message },
        'sink failed; message requeued',
      );
      await new Promise((r) => setTimeout(r, this.o.requeueDelayMs ?? 1_000));
      settle(() => ch.nack(msg, false, true));
    }
  }
}
