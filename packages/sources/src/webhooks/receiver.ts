/**
 * The one HTTP route of all webhook sources, `POST /webhooks/<ns>/<name>`: read the body, verify,
 * map to a CloudEvent, skip redeliveries, hand to the sink, and answer the provider only once the
 * sink accepted (202), so a failure (502) makes the provider redeliver.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, type RouteContext, sendError } from '@tributary/broker';
import type { CloudEvent, Logger, Sink } from '@tributary/core';
import { VerificationError } from '../errors.js';
import type { DeliveryDedupe } from './dedupe.js';
import type { WebhookRequest } from './verify.js';

/** The path prefix of webhook receivers. */
export const WEBHOOK_PREFIX = '/webhooks/';

/** What a webhook source kind contributes: verification and mapping of one request. */
export interface WebhookReceiver {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Verifies (throws VerificationError) and maps the request (throws HttpError 400 for bad input). */
  receive(
    req: WebhookRequest,
    nowMs: number,
  ): { event: CloudEvent; deliveryId?: string | undefined };
  readonly dedupe: DeliveryDedupe;
  /** Set once the sink resolved; unset ⇒ 503. */
  sink?: Sink | undefined;
  readonly logger: Logger;
}

/** The route handler over the registered receivers (key `<ns>/<name>`). */
export function webhookHandler(
  receivers: ReadonlyMap<string, WebhookReceiver>,
  now: () => number = Date.now,
) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> => {
    const segments = ctx.path.slice(WEBHOOK_PREFIX.length).replace(/\/$/, '').split('/');
    if (segments.length !== 2)
      throw new HttpError(
        404,
        `no webhook source at ${ctx.path}: use /webhooks/<namespace>/<name>`,
      );
    const [ns, name] = segments.map((s) => decodeURIComponent(s)) as [string, string];
    const receiver = receivers.get(`${ns}/${name}`);
    if (!receiver)
      throw new HttpError(404, `no GitHubSource, GitLabSource or WebhookSource '${ns}/${name}'`);
    if (req.method !== 'POST')
      throw new HttpError(
        405,
        `method ${req.method} is not allowed on ${ctx.path}; webhooks are POSTed`,
        { allow: 'POST' },
      );
    const body = await ctx.readBody();
    const log = receiver.logger;
    let mapped: ReturnType<WebhookReceiver['receive']>;
    try {
      mapped = receiver.receive({ headers: req.headers, body }, now());
    } catch (err) {
      if (err instanceof VerificationError) {
        log.warn(
          { reason: err.message },
          `${receiver.kind} ${ns}/${name}: request rejected: ${err.message}`,
        );
        const headers = err.basicAuthChallenge
          ? { 'www-authenticate': `Basic realm="${ns}/${name}"` }
          : undefined;
        return sendError(res, err.status, err.message, headers);
      }
      throw err;
    }
    const sink = receiver.sink;
    if (!sink)
      throw new HttpError(
        503,
        `${receiver.kind} ${ns}/${name} is not ready: its sink did not resolve`,
      );
    const { event, deliveryId } = mapped;
    try {
      const result = await receiver.dedupe.run(deliveryId, () => sink(event));
      log.debug(
        { id: event.attributes['id'], type: event.attributes['type'], result },
        'webhook received',
      );
      res.writeHead(202, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(
        result === 'duplicate' ? 'accepted (duplicate delivery, not emitted again)' : 'accepted',
      );
    } catch (err) {
      log.error(
        { id: event.attributes['id'], err: (err as Error).message },
        `${receiver.kind} ${ns}/${name}: sink failed: ${(err as Error).message}`,
      );
      sendError(res, 502, `the event was not accepted by the sink: ${(err as Error).message}`);
    }
  };
}
