import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from './ports.js';

describe('freePort', () => {
  it('returns a port that can be listened on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const srv = createServer();
    await new Promise<void>((resolve, reject) =>
      srv.once('error', reject).listen(port, '127.0.0.1', resolve),
    );
    await new Promise((r) => srv.close(r));
  });
});
