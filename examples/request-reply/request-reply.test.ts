import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer } from '@tributary/sdk';
import { startTributary, type TributaryProcess } from '../../test/support/tributary-process.js';

// Runs this example's own manifests and walks its README.
const here = fileURLToPath(new URL('.', import.meta.url));
let trib: TributaryProcess;
beforeAll(async () => {
  trib = await startTributary(here);
});
afterAll(async () => {
  await trib?.stop();
});

describe('examples/request-reply', () => {
  it('answers the README request with the priced quote', async () => {
    const quotes = createProducer({
      url: `${trib.baseUrl}/default/requestreplies/quotes`,
      source: '/shop',
    });
    try {
      const quote = await quotes.request(
        { type: 'com.example.quote.requested', data: { items: [{ sku: 'A-1' }, { sku: 'B-2' }] } },
        { timeout: 30_000 },
      );
      expect(quote.attributes['type']).toBe('com.example.quote.given');
      expect(JSON.parse(Buffer.from(quote.data!).toString())).toEqual({
        skus: ['A-1', 'B-2'],
        total: 42,
      });
    } finally {
      await quotes.close();
    }
  });
});
