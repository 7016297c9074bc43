import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resolveLogFormat } from '../src/logger.js';

describe('resolveLogFormat', () => {
  it('is pretty on a terminal and JSON elsewhere when auto', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('auto', undefined)).toBe('json');
  });
  it('keeps an explicit choice whatever stdout is', () => {
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
  it('pino-pretty turns a JSON line into one readable line', async () => {
    const { default: pretty } = await import('pino-pretty');
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const stream = pretty({ sync: true, colorize: false, singleLine: true, destination: sink });
    stream.write('{"level":30,"time":0,"msg":"tributary running","brokers":1}\n');
    expect(chunks.join('')).toMatch(/INFO: tributary running \{"brokers":1\}/);
  });
});
