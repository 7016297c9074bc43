import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { type CloudEvent, encodeHttp, validateCloudEvent } from '@tributary/core';

export interface SendOptions {
  type: string;
  source: string;
  id?: string;
  subject?: string;
  data?: string;
  contentType: string;
  extension: string[];
  mode: 'binary' | 'structured';
  /** Bearer token for an ingress with authentication (docs/security.md). */
  token?: string;
}

/** Builds one event from the options; throws with a message naming the bad option. */
export function buildEvent(opts: SendOptions): CloudEvent {
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: opts.id ?? randomUUID(),
    source: opts.source,
    type: opts.type,
    time: new Date().toISOString(),
  };
  if (opts.subject !== undefined) attributes['subject'] = opts.subject;
  for (const ext of opts.extension) {
    const eq = ext.indexOf('=');
    if (eq <= 0)
      throw new Error(
        `--extension '${ext}' must be name=value, e.g. --extension partitionkey=order-1`,
      );
    attributes[ext.slice(0, eq).toLowerCase()] = ext.slice(eq + 1);
  }
  let data: Uint8Array | undefined;
  if (opts.data !== undefined) {
    attributes['datacontenttype'] = opts.contentType;
    if (opts.contentType.includes('json')) {
      try {
        JSON.parse(opts.data);
      } catch {
        throw new Error(
          `--data '${opts.data}' is not JSON; quote text as JSON ('"hello"') or pass --content-type text/plain`,
        );
      }
    }
    data = Buffer.from(opts.data, 'utf8');
  }
  const problems = validateCloudEvent(attributes);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { attributes, data };
}

export async function sendCommand(url: string, opts: SendOptions): Promise<number> {
  const event = buildEvent(opts);
  const { headers, body } = encodeHttp(event, opts.mode);
  const token = opts.token ?? process.env['TRIBUTARY_TOKEN'];
  const res = await request(url, {
    method: 'POST',
    headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers,
    body: body ? Buffer.from(body) : undefined,
    reset: true,
  });
  const text = await res.body.text();
  const line = `${res.statusCode} ${event.attributes['id']}${text ? ` ${text}` : ''}\n`;
  if (res.statusCode >= 200 && res.statusCode < 300) {
    process.stdout.write(line);
    return 0;
  }
  process.stderr.write(line);
  return 1;
}
