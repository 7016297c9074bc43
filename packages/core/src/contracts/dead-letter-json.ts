import type { DeadLetterEntry } from './dead-letter-store.js';

/**
 * The JSON form of a dead-letter entry: the admin API's `Entry` (docs/failed-deliveries.md) and what
 * durable stores write. `event.data` is UTF-8 text when the bytes are valid UTF-8, else base64;
 * `data` and `dataEncoding` are absent when the event has no data.
 */
export interface DeadLetterEntryJson {
  readonly id: string;
  readonly broker: { readonly namespace: string; readonly name: string };
  readonly owner: DeadLetterEntry['owner'];
  readonly event: {
    readonly attributes: Record<string, string>;
    readonly data?: string;
    readonly dataEncoding?: 'utf8' | 'base64';
  };
  readonly attempts: DeadLetterEntry['attempts'];
  readonly lastResponseBody?: string;
  readonly errorExtensions: DeadLetterEntry['errorExtensions'];
  readonly deadLetteredAt: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Entry → JSON value (see {@link DeadLetterEntryJson}). */
export function deadLetterEntryToJson(e: DeadLetterEntry): DeadLetterEntryJson {
  let data: Pick<DeadLetterEntryJson['event'], 'data' | 'dataEncoding'> = {};
  if (e.event.data !== undefined) {
    try {
      data = { data: strictUtf8.decode(e.event.data), dataEncoding: 'utf8' };
    } catch {
      data = { data: Buffer.from(e.event.data).toString('base64'), dataEncoding: 'base64' };
    }
  }
  return {
    id: e.id,
    broker: { namespace: e.broker.namespace, name: e.broker.name },
    owner: { kind: e.owner.kind, namespace: e.owner.namespace, name: e.owner.name },
    event: { attributes: { ...e.event.attributes }, ...data },
    attempts: e.attempts.map((a) => ({
      time: a.time,
      status: a.status,
      ...(a.error !== undefined ? { error: a.error } : {}),
    })),
    ...(e.lastResponseBody !== undefined ? { lastResponseBody: e.lastResponseBody } : {}),
    errorExtensions: { ...e.errorExtensions },
    deadLetteredAt: e.deadLetteredAt,
  };
}

/** JSON value (as written by {@link deadLetterEntryToJson}) → entry. */
export function deadLetterEntryFromJson(j: DeadLetterEntryJson): DeadLetterEntry {
  const { data, dataEncoding } = j.event;
  const bytes =
    data === undefined
      ? undefined
      : dataEncoding === 'base64'
        ? new Uint8Array(Buffer.from(data, 'base64'))
        : new Uint8Array(Buffer.from(data, 'utf8'));
  return {
    ...j,
    event: { attributes: { ...j.event.attributes }, ...(bytes ? { data: bytes } : {}) },
  };
}
