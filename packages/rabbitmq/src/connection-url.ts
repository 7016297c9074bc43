/**
 * Turns a `rabbitmqClusterReference` into an AMQP URL, reading the connection Secret as Knative
 * does: `uri` (an `amqp://`/`amqps://` URL, or Knative's management `http(s)://host[:port]` URL, in
 * which case the AMQP `port` key, default 5672, applies), `username`, `password`, optional `port`
 * and `vhost`.
 */
import { type Topology, resolveSecretKeyRef } from '@tributary/core';
import { RabbitmqConfigError } from './errors.js';
import type { RabbitmqClusterReference } from './resources.js';

/** Resolves the cluster reference of a resource in `namespace` to an AMQP URL (credentials included). */
export function resolveAmqpUrl(
  topology: Topology,
  namespace: string,
  ref: RabbitmqClusterReference,
  vhost: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const secretName = ref.connectionSecret?.name;
  if (!secretName)
    throw new RabbitmqConfigError(
      'rabbitmqClusterReference.connectionSecret is required: set connectionSecret.name to a Secret with uri, username and password',
    );
  const ns = ref.namespace ?? namespace;
  const read = (key: string, required: boolean): string | undefined => {
    try {
      return resolveSecretKeyRef(topology, ns, { name: secretName, key }, env);
    } catch (err) {
      if (required) throw new RabbitmqConfigError((err as Error).message);
      return undefined;
    }
  };
  const uri = read('uri', true)!;
  let url: URL;
  try {
    url = new URL(uri.includes('://') ? uri : `amqp://${uri}`);
  } catch {
    throw new RabbitmqConfigError(
      `Secret '${ns}/${secretName}' key uri '${uri}' is not a URL; use e.g. amqp://rabbitmq.example:5672`,
    );
  }
  const port = read('port', false);
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = url.protocol === 'https:';
    url = new URL(`${tls ? 'amqps' : 'amqp'}://${url.hostname}:${port ?? (tls ? 5671 : 5672)}`);
  } else if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    throw new RabbitmqConfigError(
      `Secret '${ns}/${secretName}' key uri '${uri}' has scheme '${url.protocol}'; use amqp://, amqps://, http:// or https://`,
    );
  } else if (port && !url.port) url.port = port;
  const username = read('username', false);
  const password = read('password', false);
  if (username !== undefined) url.username = encodeURIComponent(username);
  if (password !== undefined) url.password = encodeURIComponent(password);
  const v = vhost ?? read('vhost', false);
  if (v !== undefined && v !== '') url.pathname = `/${encodeURIComponent(v)}`;
  return url.toString();
}

/** The URL without credentials, for logs: core's one redaction helper (docs/security.md). */
export { redactUrl } from '@tributary/core';
