/**
 * One AMQP connection that comes back: connects with exponential backoff, runs every `onUp`
 * hook on each (re)connection (declare topology, re-consume, republish) and every `onDown` hook
 * when the connection is lost, until {@link AmqpLink.close}.
 */
import type { Logger } from '@tributary/core';
import amqp, { type ChannelModel } from 'amqplib';
import { coalesceWrites } from './coalesce-writes.js';
import { RabbitmqConnectionError } from './errors.js';
import { redactUrl } from './connection-url.js';

/** Reconnection delays. */
export interface BackoffOptions {
  /** First delay after a loss. @default 100 */
  readonly initialDelayMs?: number;
  /** Cap of the doubling delay. @default 5000 */
  readonly maxDelayMs?: number;
}

/** A self-healing AMQP connection. */
export class AmqpLink {
  #model: ChannelModel | undefined;
  #closing = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastError = 'not connected yet';
  readonly #up: Array<(model: ChannelModel) => Promise<void>> = [];
  readonly #down: Array<(err: string) => void> = [];

  constructor(
    readonly url: string,
    readonly name: string,
    private readonly logger: Logger,
    private readonly backoff: BackoffOptions = {},
  ) {}

  /** The live connection, if any. */
  get model(): ChannelModel | undefined {
    return this.#model;
  }

  /** Why the link is down (last connection error). */
  get lastError(): string {
    return this.#lastError;
  }

  /** Registers a hook run on every connection; a hook that throws drops the connection and retries. */
  onUp(hook: (model: ChannelModel) => Promise<void>): void {
    this.#up.push(hook);
  }

  /** Registers a hook run when the connection is lost. */
  onDown(hook: (reason: string) => void): void {
    this.#down.push(hook);
  }

  /** Connects (retrying with backoff) within `timeoutMs`; throws {@link RabbitmqConnectionError} otherwise. */
  async open(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.#connect()) return;
      if (this.#closing) throw new RabbitmqConnectionError(`${this.name}: closed while connecting`);
      if (Date.now() >= deadline)
        throw new RabbitmqConnectionError(
          `cannot connect to RabbitMQ at ${redactUrl(this.url)}: ${this.#lastError}; is the server running and are the Secret's uri, username and password right?`,
        );
      await new Promise((r) => setTimeout(r, this.#delay()));
    }
  }

  /** Stops reconnecting and closes the connection. */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    const m = this.#model;
    this.#model = undefined;
    await m?.close().catch(() => undefined);
  }

  #delay(): number {
    const base = this.backoff.initialDelayMs ?? 100;
    const max = this.backoff.maxDelayMs ?? 5_000;
    const d = Math.min(max, base * 2 ** Math.min(this.#attempt++, 16));
    return d / 2 + Math.random() * (d / 2);
  }

  async #connect(): Promise<boolean> {
    let model: ChannelModel;
    try {
      const url = new URL(this.url);
      if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', '10');
      model = await amqp.connect(url.toString(), {
        noDelay: true,
        timeout: 5_000,
        clientProperties: { connection_name: this.name },
      });
    } catch (err) {
      this.#lastError = (err as Error).message;
      return false;
    }
    coalesceWrites(model);
    model.on('error', (err: Error) => {
      this.#lastError = err.message;
      this.logger.warn({ link: this.name, err: err.message }, 'RabbitMQ connection error');
    });
    model.on('close', () => this.#lost(model));
    this.#model = model;
    try {
      for (const hook of this.#up) await hook(model);
    } catch (err) {
      this.#lastError = (err as Error).message;
      this.logger.warn(
        { link: this.name, err: this.#lastError },
        'RabbitMQ setup failed; reconnecting',
      );
      this.#model = undefined;
      await model.close().catch(() => undefined);
      return false;
    }
    if (this.#closing) return true;
    this.#attempt = 0;
    this.logger.info({ link: this.name, url: redactUrl(this.url) }, 'RabbitMQ connected');
    return true;
  }

  #lost(model: ChannelModel): void {
    if (this.#model !== model) return;
    this.#model = undefined;
    if (this.#closing) return;
    this.logger.warn(
      { link: this.name, reason: this.#lastError },
      'RabbitMQ connection lost; reconnecting',
    );
    for (const hook of this.#down) hook(this.#lastError);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closing) return;
    this.#timer = setTimeout(() => {
      void this.#connect().then((ok) => {
        if (!ok) this.#schedule();
      });
    }, this.#delay());
  }
}
