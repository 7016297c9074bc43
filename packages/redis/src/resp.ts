/**
 * The two commands the Redis broker sends per event, XADD (publish) and XACK (consumer group),
 * encoded here as RESP and handed to the ioredis connection as ready-made Commands, all the ones
 * of an event-loop turn in one socket write (the socket is corked until `setImmediate`, the same
 * point ioredis's auto-pipelining writes at). ioredis still matches each reply to its Command,
 * queues Commands while disconnected and resends them after a reconnect (it calls `toWritable`
 * again); what is skipped is its argument flattening, its per-argument Buffer/string conversion
 * and concatenation (twice, for Buffer arguments) and its auto-pipeline objects.
 *
 * What it saves, measured in one process against Redis on the 2-core bench machine (32 XADDs in
 * flight, 60,000 XADDs of a ~450-byte entry): 6.4–6.9 µs of CPU per XADD through `redis.xadd`
 * with auto-pipelining, 1.9–2.4 µs this way; redis-server's CPU is the same. Under the
 * bench/redis-bench.mjs load (HTTP in, 1 Trigger, HTTP sink; 30,000 events per round, old and
 * new code in alternating rounds, medians), with the one-promise XACK batches: `tributary run`
 * 79 → 67 µs of CPU per event (4 rounds, machine shared), 88 → 76 (6 rounds, machine busier).
 */
import type { CloudEvent } from '@tributary/core';
import { Command, type Redis } from 'ioredis';
import { ATTRIBUTES_FIELD, DATA_FIELD } from './codec.js';

/** A Command whose RESP encoding is given. */
class EncodedCommand extends Command {
  readonly #wire: Buffer | string;

  constructor(name: string, wire: Buffer | string) {
    super(name, []);
    this.#wire = wire;
  }

  override toWritable(): Buffer | string {
    return this.#wire;
  }
}

/** `$<length>\r\n<value>\r\n`: a RESP bulk string of a string of single-byte characters. */
const ascii = (s: string): string => `$${s.length}\r\n${s}\r\n`;
/** The same for any string. */
const bulk = (s: string): string => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

/** Sends pre-encoded commands on one ioredis connection (see the file comment). */
export class RespSender {
  /** The socket corked for this turn's commands, uncorked by the flush. */
  #corked: Redis['stream'] | undefined;
  /** Whether the flush (`setImmediate`) is queued. */
  #scheduled = false;
  /** Callbacks that run in the flush, before the uncork: {@link atFlush}. */
  #beforeFlush: Array<() => void> = [];

  constructor(private readonly redis: Redis) {}

  /** Whether keys can go out as given: ioredis would prefix them with `keyPrefix`. */
  get usable(): boolean {
    return !this.redis.options.keyPrefix;
  }

  /** Sends `wire` (the whole RESP command `name`); resolves with the reply. */
  send(name: string, wire: Buffer | string): Promise<unknown> {
    this.#cork();
    this.#schedule();
    return this.redis.sendCommand(new EncodedCommand(name, wire)) as Promise<unknown>;
  }

  /**
   * Runs `fn` once, at the end of this event-loop turn, just before the socket is uncorked:
   * what `fn` sends goes out in the same write as the turn's other commands. The XACK batches use
   * it (xack-batcher.ts): with their own `setImmediate`, an XACK was sent after this turn's uncork
   * and needed a write (and a wake-up of redis-server) of its own: 0.096 → 0.089 writes per event
   * on the broker's connection (bench/redis-bench.mjs load, writes counted with `perf stat` on
   * the socket; medians of 5 alternating rounds of 20,000 events). `fn` must not throw.
   */
  atFlush(fn: () => void): void {
    this.#beforeFlush.push(fn);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    const callbacks = this.#beforeFlush;
    if (callbacks.length > 0) {
      this.#beforeFlush = [];
      // Commands sent from here join this write (the flag keeps a second flush from queueing).
      this.#cork();
      for (const fn of callbacks) fn();
    }
    this.#scheduled = false;
    const socket = this.#corked;
    this.#corked = undefined;
    socket?.uncork();
    if (this.#beforeFlush.length > 0) this.#schedule(); // registered by a callback above
  };

  #cork(): void {
    const socket = this.redis.stream;
    if (this.#corked || this.redis.status !== 'ready' || !socket) return;
    this.#corked = socket;
    socket.cork();
  }
}

/** Encodes `XADD stream [MAXLEN ~ maxlen] * a <attributes> [d <data>]` for one stream. */
export function xaddEncoder(
  stream: string,
  maxlen: number,
): (event: CloudEvent) => Buffer | string {
  const cap = maxlen > 0 ? `${ascii('MAXLEN')}${ascii('~')}${ascii(String(maxlen))}` : '';
  const tail = `${bulk(stream)}${cap}${ascii('*')}${ascii(ATTRIBUTES_FIELD)}`;
  const base = 5 + (maxlen > 0 ? 3 : 0);
  const noData = `*${base}\r\n${ascii('XADD')}${tail}`;
  const withData = `*${base + 2}\r\n${ascii('XADD')}${tail}`;
  const dataField = ascii(DATA_FIELD);
  return (event) => {
    const attributes = bulk(JSON.stringify(event.attributes));
    const data = event.data;
    if (data === undefined) return noData + attributes;
    const head = `${withData}${attributes}${dataField}$${data.byteLength}\r\n`;
    const headLength = Buffer.byteLength(head);
    const wire = Buffer.allocUnsafe(headLength + data.byteLength + 2);
    wire.write(head, 0, headLength, 'utf8');
    wire.set(data, headLength);
    wire[wire.length - 2] = 13; // \r
    wire[wire.length - 1] = 10; // \n
    return wire;
  };
}

/** Encodes `XACK stream group id…` for one consumer group. */
export function xackEncoder(stream: string, group: string): (ids: readonly string[]) => string {
  const tail = `${ascii('XACK')}${bulk(stream)}${bulk(group)}`;
  return (ids) => {
    let wire = `*${3 + ids.length}\r\n${tail}`;
    for (const id of ids) wire += ascii(id);
    return wire;
  };
}

/**
 * Encodes `XREADGROUP GROUP group consumer COUNT n STREAMS stream >` (no BLOCK: it answers at once,
 * so it can share the connection of the XADDs and XACKs; stream-consumer.ts).
 */
export function xreadgroupEncoder(
  stream: string,
  group: string,
  consumer: string,
): (count: number) => string {
  const head = `*9\r\n${ascii('XREADGROUP')}${ascii('GROUP')}${bulk(group)}${bulk(consumer)}${ascii('COUNT')}`;
  const tail = `${ascii('STREAMS')}${bulk(stream)}${ascii('>')}`;
  return (count) => `${head}${ascii(String(count))}${tail}`;
}
