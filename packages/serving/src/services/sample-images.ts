/**
 * The sample images of Knative's eventing documentation that a Service may name and that
 * Tributary runs as built-in, in-process equivalents (the one list: docs/serving.md, "Sample
 * images"). Each reads the same environment variables as the image and answers the way its
 * receiver does; the match is on the image's last path segment, any registry and tag.
 */
import { Script } from 'node:vm';
import type { CloudEvent, Logger } from '@tributary/core';
import type { SendOutcome } from '@tributary/broker';

/** One delivery to a built-in image: the event in, an HTTP-like answer out. */
export type SampleHandler = (event: CloudEvent) => SendOutcome;

/** A sample image: its name, what it does and the env it reads. */
export interface SampleImage {
  /** Last path segment of the image, without tag or digest (e.g. `appender`). */
  readonly name: string;
  /** The image references Knative's docs use. */
  readonly images: readonly string[];
  /** The environment variables it reads. */
  readonly env: readonly string[];
  create(env: Readonly<Record<string, string>>, logger: Logger): SampleHandler;
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const answer = (status: number, text = ''): SendOutcome => ({
  kind: 'response',
  status,
  headers: text ? { 'content-type': 'text/plain; charset=utf-8' } : {},
  body: utf8(text),
});
const reply = (event: CloudEvent): SendOutcome => ({
  kind: 'response',
  status: 200,
  headers: {},
  body: new Uint8Array(),
  reply: event,
});

function dataJson(event: CloudEvent): unknown {
  const text = Buffer.from(event.data ?? new Uint8Array()).toString('utf8');
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/** The event as the CloudEvents Go SDK prints it (`event_display`'s output). */
export function displayText(event: CloudEvent): string {
  const a = event.attributes;
  const spec = ['specversion', 'type', 'source', 'subject', 'id', 'time', 'dataschema'];
  const lines = ['☁️  cloudevents.Event', 'Validation: valid', 'Context Attributes,'];
  for (const k of spec) if (a[k] !== undefined) lines.push(`  ${k}: ${a[k]}`);
  if (a['datacontenttype'] !== undefined) lines.push(`  datacontenttype: ${a['datacontenttype']}`);
  const ext = Object.keys(a)
    .filter((k) => !spec.includes(k) && k !== 'datacontenttype')
    .sort();
  if (ext.length) {
    lines.push('Extensions,');
    for (const k of ext) lines.push(`  ${k}: ${a[k]}`);
  }
  if (event.data && event.data.length > 0) {
    lines.push('Data,');
    const text = Buffer.from(event.data).toString('utf8');
    let shown = text;
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON: shown as is
    }
    lines.push(...shown.split('\n').map((l) => `  ${l}`));
  }
  return lines.join('\n');
}

/** Compiles a JavaScript expression over `event` (attributes + `data`), run in a fresh context. */
function expression(source: string, what: string): (event: CloudEvent) => unknown {
  const script = new Script(`(${source.trim()})`, { filename: what });
  return (event) => {
    let data: unknown;
    try {
      data = dataJson(event);
    } catch {
      data = Buffer.from(event.data ?? new Uint8Array()).toString('utf8');
    }
    const view = { ...event.attributes, data };
    return script.runInNewContext({ event: view }, { timeout: 1_000 });
  };
}

const appender: SampleImage = {
  name: 'appender',
  images: ['gcr.io/knative-releases/knative.dev/eventing/cmd/appender'],
  env: ['MESSAGE', 'TYPE'],
  create(env, logger) {
    const message = env['MESSAGE'] ?? 'boring default msg, change me with env[MESSAGE]';
    const type = env['TYPE'] ?? '';
    return (event) => {
      let input: unknown;
      try {
        input = dataJson(event);
      } catch (err) {
        return answer(400, `got error while unmarshalling data: ${(err as Error).message}`);
      }
      const fields = (input ?? {}) as { id?: unknown; message?: unknown };
      // As Go's json.Unmarshal into {id int, message string}: other fields are dropped, null
      // leaves a field unset, a value of the wrong type is an error.
      const wrong =
        typeof fields !== 'object' || Array.isArray(fields)
          ? 'not a JSON object'
          : fields.id != null && !Number.isInteger(fields.id)
            ? `id ${JSON.stringify(fields.id)} is not an integer`
            : fields.message != null && typeof fields.message !== 'string'
              ? `message ${JSON.stringify(fields.message)} is not a string`
              : undefined;
      if (wrong) return answer(400, `got error while unmarshalling data: ${wrong}`);
      const payload = {
        id: (fields.id as number | null | undefined) ?? 0,
        message: `${(fields.message as string | null | undefined) ?? ''}${message}`,
      };
      const attributes: Record<string, string> = {
        ...event.attributes,
        datacontenttype: 'application/json',
      };
      if (type !== '') attributes['type'] = type;
      logger.info({ received: event.attributes['type'], data: payload }, 'appender: transformed');
      return reply({ attributes, data: utf8(JSON.stringify(payload)) });
    };
  },
};

const eventDisplay: SampleImage = {
  name: 'event_display',
  images: ['gcr.io/knative-releases/knative.dev/eventing/cmd/event_display'],
  env: [],
  create(_env, logger) {
    return (event) => {
      logger.info({ event: event.attributes }, displayText(event));
      return answer(200);
    };
  },
};

/** `villardl/filter-nodejs`: `FILTER` is an expression over `event`; truthy replies with the event. */
const filterNodejs: SampleImage = {
  name: 'filter-nodejs',
  images: ['villardl/filter-nodejs:0.1'],
  env: ['FILTER'],
  create(env, logger) {
    const test = expression(env['FILTER'] ?? 'true', 'FILTER');
    return (event) => {
      let pass: unknown;
      try {
        pass = test(event);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'filter-nodejs: FILTER failed');
        return answer(500, `FILTER failed: ${(err as Error).message}`);
      }
      return pass ? reply(event) : answer(200);
    };
  },
};

/** `villardl/transformer-nodejs`: `TRANSFORMER` is an expression over `event`; its value becomes the reply's data. */
const transformerNodejs: SampleImage = {
  name: 'transformer-nodejs',
  images: ['villardl/transformer-nodejs:0.1'],
  env: ['TRANSFORMER'],
  create(env, logger) {
    const transform = expression(env['TRANSFORMER'] ?? 'event.data', 'TRANSFORMER');
    return (event) => {
      let out: unknown;
      try {
        out = transform(event);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'transformer-nodejs: TRANSFORMER failed');
        return answer(500, `TRANSFORMER failed: ${(err as Error).message}`);
      }
      const json = JSON.stringify(out ?? null);
      return reply({
        attributes: { ...event.attributes, datacontenttype: 'application/json' },
        data: utf8(json),
      });
    };
  },
};

/** Every built-in sample image (the documented list). */
export const SAMPLE_IMAGES: readonly SampleImage[] = [
  eventDisplay,
  appender,
  filterNodejs,
  transformerNodejs,
];

/** The last path segment of an image reference without tag or digest: `a/b/appender:v1` → `appender`. */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0]!;
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  return last.includes(':') ? last.slice(0, last.indexOf(':')) : last;
}

/** The built-in equivalent of `image`, if it is one of the sample images. */
export function sampleImage(image: string): SampleImage | undefined {
  const name = imageName(image);
  return SAMPLE_IMAGES.find((s) => s.name === name);
}
