/**
 * Publishing with confirms over an {@link AmqpLink}. `publish` resolves once RabbitMQ confirmed
 * every message. A message not confirmed when the connection or channel is lost stays pending and
 * is published again after the reconnection; when that does not happen within `pendingTimeoutMs`
 * the call rejects with BackendUnavailableError (the ingress answers 503). While the link is down,
 * new publishes are refused at once with BackendUnavailableError.
 */
import { BackendUnavailableError, type CloudEvent, type Logger } from '@tributary/core';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { AmqpLink } from './amqp-link.js';
import { ACCEPTED_AT_HEADER, encodeEvent } from './codec.js';

/** Stamps when the broker took the event (read back by the archive, archive.ts). */
function withAcceptedAt(m: ReturnType<typeof encodeEvent>): ReturnType<typeof encodeEvent> {
  return {
    ...m,
    options: {
      ...m.options,
      headers: { ...m.options.headers, [ACCEPTED_AT_HEADER]: String(Date.now()) },
    },
  };
}

interface Pending {
  readonly exchange: string;
  readonly message: ReturnType<typeof encodeEvent>;
  readonly since: number;
  sent: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** Declares a broker exchange (durable fanout). */
export async function declareBrokerExchange(
  ch: { assertExchange: ConfirmChannel['assertExchange'] },
  name: string,
): Promise<void> {
  await ch.assertExchange(name, 'fanout', { durable: true });
}

/** Confirmed publishing that survives connection loss. */
export class ConfirmPublisher {
  #channel: ConfirmChannel | undefined;
  #generation = 0;
  #declared = new Map<string, Promise<void>>();
  readonly #pending = new Set<Pending>();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(
    private readonly link: AmqpLink,
    private readonly logger: Logger,
    private readonly pendingTimeoutMs: number,
  ) {
    link.onUp((model) => this.#open(model));
    link.onDown(() => this.#drop());
    this.#sweeper = setInterval(() => this.#expire(), Math.min(1_000, pendingTimeoutMs));
    this.#sweeper.unref();
  }

  /** Unconfirmed messages. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Publishes events to `exchange`; resolves when all are confirmed. */
  async publish(exchange: string, events: readonly CloudEvent[]): Promise<void> {
    const ch = this.#channel;
    if (!ch || this.#closed)
      throw new BackendUnavailableError(
        `RabbitMQ is unreachable (${this.link.lastError}); try again later`,
        1,
      );
    await this.#declare(ch, exchange);
    await Promise.all(
      events.map(
        (e) =>
          new Promise<void>((resolve, reject) => {
            const p: Pending = {
              exchange,
              message: withAcceptedAt(encodeEvent(e)),
              since: Date.now(),
              sent: 0,
              resolve,
              reject,
            };
            this.#pending.add(p);
            this.#send(p);
          }),
      ),
    );
  }

  /** Waits up to `drainMs` for confirms in flight, then rejects what is left and stops. */
  async close(drainMs: number): Promise<void> {
    const deadline = Date.now() + drainMs;
    while (this.#pending.size > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const p of this.#pending)
      p.reject(new BackendUnavailableError('backend closed before RabbitMQ confirmed'));
    this.#pending.clear();
    await this.#channel?.close().catch(() => undefined);
    this.#channel = undefined;
  }

  #declare(ch: ConfirmChannel, exchange: string): Promise<void> {
    let d = this.#declared.get(exchange);
    if (!d) {
      d = declareBrokerExchange(ch, exchange);
      d.catch(() => this.#declared.delete(exchange));
      this.#declared.set(exchange, d);
    }
    return d;
  }

  #send(p: Pending): void {
    const ch = this.#channel;
    if (!ch) return; // kept; published again on reconnection or expired
    const generation = this.#generation;
    p.sent++;
    try {
      ch.publish(p.exchange, '', p.message.content, p.message.options, (err) => {
        if (!this.#pending.has(p)) return;
        if (!err) {
          this.#pending.delete(p);
          p.resolve();
        } else if (err.message === 'message nacked') {
          this.#pending.delete(p);
          p.reject(
            new BackendUnavailableError('RabbitMQ refused the message (nack); try again later'),
          );
        }
        // Any other error means the channel closed: the message stays pending and is published
        // again on the next channel (generation ${generation} is gone).
        void generation;
      });
    } catch (err) {
      this.logger.debug(
        { err: (err as Error).message },
        'publish on a closing channel; will republish',
      );
    }
  }

  async #open(model: ChannelModel): Promise<void> {
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) =>
      this.logger.warn({ err: err.message }, 'RabbitMQ publish channel error'),
    );
    ch.on('close', () => {
      if (this.#channel !== ch) return;
      this.#drop();
      // Channel lost while the connection lives (e.g. a declare refused): open a new one.
      if (!this.#closed && this.link.model === model)
        setTimeout(() => {
          if (this.link.model === model && !this.#channel && !this.#closed)
            this.#open(model).catch((err: Error) =>
              this.logger.warn({ err: err.message }, 'cannot reopen the publish channel'),
            );
        }, 100);
    });
    this.#declared = new Map();
    for (const ex of new Set([...this.#pending].map((p) => p.exchange)))
      await this.#declare(ch, ex);
    this.#generation++;
    this.#channel = ch;
    if (this.#pending.size > 0)
      this.logger.info({ messages: this.#pending.size }, 'republishing unconfirmed messages');
    for (const p of this.#pending) this.#send(p);
  }

  #drop(): void {
    this.#channel = undefined;
    this.#generation++;
    this.#declared = new Map();
  }

  #expire(): void {
    if (this.#channel) return;
    const now = Date.now();
    for (const p of this.#pending)
      if (now - p.since >= this.pendingTimeoutMs) {
        this.#pending.delete(p);
        p.reject(
          new BackendUnavailableError(
            `RabbitMQ did not confirm within ${this.pendingTimeoutMs} ms (${this.link.lastError}); try again later`,
          ),
        );
      }
  }
}
