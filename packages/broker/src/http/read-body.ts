import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** Default request body limit: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a request body into one buffer, refusing more than `limit` bytes with an
 * {@link HttpError} 413: first by `Content-Length` (nothing is read), then while streaming (the
 * read stops at the limit, so memory stays bounded whatever the client sends).
 */
export function readBody(req: IncomingMessage, limit = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  const tooLarge = (): HttpError =>
    new HttpError(413, `request body exceeds the limit of ${limit} bytes`, { connection: 'close' });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume(); // discard, so the connection can answer
    return Promise.reject(tooLarge());
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | undefined, body?: Buffer): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) reject(err);
      else resolve(body!);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.resume();
        finish(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onError = (err: Error): void =>
      finish(new HttpError(400, `request body could not be read: ${err.message}`));
    const onAborted = (): void => finish(new HttpError(400, 'request was aborted by the client'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
