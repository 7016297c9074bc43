/**
 * GitHubSource and GitLabSource receivers (docs/knative-behaviour.md §7.7, §7.8).
 */
import { randomUUID } from 'node:crypto';
import { HttpError } from '@tributary/broker';
import { type CloudEvent, nowRfc3339Nano } from '@tributary/core';
import { VerificationError } from '../errors.js';
import type { GitHubSource, GitLabSource } from '../resources/git.js';
import { githubSubjectAndExtensions } from './github-events.js';
import { type WebhookRequest, header, hmac, safeEqual } from './verify.js';

/** The JSON payload bytes of a GitHub delivery (`application/json`, or the `payload` field of a form post). */
function githubPayload(req: WebhookRequest): { bytes: Buffer; json: Record<string, unknown> } {
  let bytes = req.body;
  const type = (header(req.headers, 'content-type') ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(req.body.toString('utf8')).get('payload');
    if (payload === null)
      throw new HttpError(400, 'form-encoded GitHub delivery without a payload field');
    bytes = Buffer.from(payload, 'utf8');
  }
  return { bytes, json: parseObject(bytes) };
}

function parseObject(bytes: Buffer): Record<string, unknown> {
  if (bytes.length === 0)
    throw new HttpError(400, 'the request body is empty; expected a JSON payload');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `the request body is not JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new HttpError(400, 'the request body must be a JSON object');
  return json as Record<string, unknown>;
}

/**
 * Verifies GitHub's signature: `X-Hub-Signature-256` (`sha256=<hex>`) when present, else
 * `X-Hub-Signature` (`sha1=<hex>`); both over the raw body, compared in constant time.
 */
export function verifyGitHubSignature(req: WebhookRequest, secret: string): void {
  const sha256 = header(req.headers, 'x-hub-signature-256');
  const sha1 = header(req.headers, 'x-hub-signature');
  const [algorithm, got] =
    sha256 !== undefined
      ? ['sha256', sha256]
      : sha1 !== undefined
        ? ['sha1', sha1]
        : [undefined, undefined];
  if (algorithm === undefined || got === undefined)
    throw new VerificationError('missing X-Hub-Signature-256 (or X-Hub-Signature) header');
  const expected = `${algorithm}=${hmac(algorithm, secret, req.body, 'hex')}`;
  if (!safeEqual(got.trim(), expected))
    throw new VerificationError(
      `${algorithm === 'sha256' ? 'X-Hub-Signature-256' : 'X-Hub-Signature'} does not match the payload`,
    );
}

/** Maps a verified GitHub delivery; the payload is passed through byte for byte. */
export function githubEvent(
  source: GitHubSource,
  req: WebhookRequest,
): { event: CloudEvent; deliveryId: string } {
  const ghEvent = header(req.headers, 'x-github-event');
  if (!ghEvent || !/^[a-z_]+$/.test(ghEvent))
    throw new HttpError(400, 'missing or invalid X-GitHub-Event header');
  const delivery = header(req.headers, 'x-github-delivery');
  if (!delivery) throw new HttpError(400, 'missing X-GitHub-Delivery header');
  const { bytes, json } = githubPayload(req);
  const { subject, extensions } = githubSubjectAndExtensions(ghEvent, json);
  const attributes: Record<string, string> = {
    ...extensions,
    specversion: '1.0',
    id: delivery,
    type: `dev.knative.source.github.${ghEvent}`,
    source: `https://github.com/${source.spec.ownerAndRepository}`,
    time: nowRfc3339Nano(),
    datacontenttype: 'application/json',
  };
  if (subject !== undefined) attributes['subject'] = subject;
  return { event: { attributes, data: bytes }, deliveryId: delivery };
}

/** GitLab's `X-Gitlab-Event` → the type suffix: `Merge Request Hook` → `merge_request`. */
export function gitlabTypeSuffix(headerValue: string): string {
  if (!headerValue.endsWith(' Hook'))
    throw new HttpError(400, `X-Gitlab-Event '${headerValue}' does not end with ' Hook'`);
  return headerValue.slice(0, -' Hook'.length).replace(/ /g, '_').toLowerCase();
}

/** Checks `X-Gitlab-Token` against the secret in constant time. */
export function verifyGitLabToken(req: WebhookRequest, secret: string): void {
  const got = header(req.headers, 'x-gitlab-token');
  if (got === undefined) throw new VerificationError('missing X-Gitlab-Token header');
  if (!safeEqual(got, secret))
    throw new VerificationError('X-Gitlab-Token does not match the secret');
}

/**
 * Maps a verified GitLab delivery. id: `X-Gitlab-Event-UUID` when sent, else a random UUID; the
 * redelivery key is `Idempotency-Key`, else `X-Gitlab-Event-UUID`.
 */
export function gitlabEvent(
  source: GitLabSource,
  req: WebhookRequest,
): { event: CloudEvent; deliveryId?: string | undefined } {
  const glEvent = header(req.headers, 'x-gitlab-event');
  if (!glEvent) throw new HttpError(400, 'missing X-Gitlab-Event header');
  const suffix = gitlabTypeSuffix(glEvent);
  parseObject(req.body);
  const uuid = header(req.headers, 'x-gitlab-event-uuid');
  const attributes: Record<string, string> = {
    comgitlabevent: glEvent,
    specversion: '1.0',
    id: uuid ?? randomUUID(),
    type: `dev.knative.sources.gitlab.${suffix}`,
    source: source.spec.projectUrl,
    time: nowRfc3339Nano(),
    datacontenttype: 'application/json',
  };
  return {
    event: { attributes, data: req.body },
    deliveryId: header(req.headers, 'idempotency-key') ?? uuid,
  };
}
