/**
 * Publishing with confirms over an {@link AmqpLink}. `publish` resolves once RabbitMQ confirmed
 * every message. A message not confirmed when the connection or channel is lost stays pending and
 * is published again after the reconnection; when that does not happen within `pendingTimeoutMs`
 * the call rejects with BackendUnavailableError (the ingress answers 503). While the link is down,
 * new publishes are refused at once with BackendUnavailableError.
 */
import {
  BackendUnavailableError,
  type CloudEvent,
  EventUnsupportedError,
  type Logger,
} from '@tributary/core';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { AmqpLink } from './amqp-link.js';
import { ACCEPTED_AT_HEADER, encodeEvent } from './codec.js';
import { RabbitmqMessageError } from './errors.js';
import { type FramePublish, framePublisher } from './publish-frames.js';

interface Pending {
  readonly exchange: string;
  readonly event: CloudEvent;
  /** The `x-tributary-accepted-ms` stamp, kept for a republish. */
  readonly acceptedAt: string;
  readonly since: number;
  sent: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** The attributes that become AMQP short strings (message-id, content-type): at most 255 bytes. */
const SHORT_STRING_ATTRIBUTES = [
  ['id', 'message-id'],
  ['datacontenttype', 'content-type'],
] as const;

/**
 * Refuses (400, before anything is published) an event whose `id` or `datacontenttype` does not
 * fit the AMQP short string it is carried in. A string of at most 85 UTF-16 units is at most 255
 * UTF-8 bytes, so only longer ones are measured.
 */
function checkShortStrings(event: CloudEvent): void {
  for (const [attribute, property] of SHORT_STRING_ATTRIBUTES) {
    const value = event.attributes[attribute];
    if (typeof value !== 'string' || value.length <= 85) continue;
    const bytes = Buffer.byteLength(value);
    if (bytes > 255)
      throw new EventUnsupportedError(
        `attribute '${attribute}' is ${bytes} bytes (starts '${value.slice(0, 32)}…'); a RabbitMQ broker carries it as the AMQP ${property}, which holds at most 255 bytes: shorten it`,
        attribute,
      );
  }
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
  /** Pre-encoded publishing on #channel (publish-frames.ts), when amqplib's internals allow it. */
  #frames: FramePublish | undefined;
  #declared = new Map<string, Promise<void>>();
  /** Exchanges whose declaration on #channel completed: publish need not wait for it. */
  #ready = new Set<string>();
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
    for (const e of events) checkShortStrings(e);
    if (!this.#ready.has(exchange)) await this.#declare(ch, exchange);
    if (events.length === 1) return this.#publishOne(exchange, events[0]!);
    await Promise.all(events.map((e) => this.#publishOne(exchange, e)));
  }

  #publishOne(exchange: string, event: CloudEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const now = Date.now();
      const p: Pending = {
        exchange,
        event,
        acceptedAt: String(now),
        since: now,
        sent: 0,
        resolve,
        reject,
      };
      this.#pending.add(p);
      this.#send(p);
    });
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
      const ready = this.#ready;
      d = declareBrokerExchange(ch, exchange).then(() => void ready.add(exchange));
      d.catch(() => this.#declared.delete(exchange));
      this.#declared.set(exchange, d);
    }
    return d;
  }

  #send(p: Pending): void {
    const ch = this.#channel;
    if (!ch) return; // kept; published again on reconnection or expired
    p.sent++;
    const confirmed = (err: Error | null): void => {
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
      // again on the next channel.
    };
    const { attributes, data } = p.event;
    // The frames encoded in one pass (publish-frames.ts); amqplib's publish for what it leaves.
    if (this.#frames?.(p.exchange, attributes, ACCEPTED_AT_HEADER, p.acceptedAt, data, confirmed))
      return;
    try {
      const m = encodeEvent(p.event);
      const options = {
        ...m.options,
        headers: { ...m.options.headers, [ACCEPTED_AT_HEADER]: p.acceptedAt },
      };
      ch.publish(p.exchange, '', m.content, options, confirmed);
    } catch (err) {
      // amqplib throws IllegalOperationError on a closing channel: the message stays pending.
      // Anything else is an encoding error (a property too long, …) that no retry can fix.
      if ((err as Error).name !== 'IllegalOperationError') {
        this.#pending.delete(p);
        p.reject(
          new RabbitmqMessageError(
            `event '${String(p.event.attributes['id']).slice(0, 64)}' cannot be a RabbitMQ message: ${(err as Error).message}`,
            { cause: err },
          ),
        );
        return;
      }
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
    this.#ready = new Set();
    for (const ex of new Set([...this.#pending].map((p) => p.exchange)))
      await this.#declare(ch, ex);
    this.#channel = ch;
    this.#frames = framePublisher(ch);
    if (this.#pending.size > 0)
      this.logger.info({ messages: this.#pending.size }, 'republishing unconfirmed messages');
    for (const p of this.#pending) this.#send(p);
  }

  #drop(): void {
    this.#channel = undefined;
    this.#frames = undefined;
    this.#declared = new Map();
    this.#ready = new Set();
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
