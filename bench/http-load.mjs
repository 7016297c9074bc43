// Closed-loop HTTP load generator: `concurrency` requests in flight over keep-alive connections,
// each a binary-mode CloudEvent stamped with its send time (ce-benchsent, microseconds).
import { Pool } from 'undici';

const hrMicros = () => (process.hrtime.bigint() / 1000n).toString();

export async function runLoad({ url, seconds, concurrency, body }) {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 });
  const deadline = Date.now() + seconds * 1000;
  let sent = 0;
  let failed = 0;
  let seq = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const id = `e-${seq++}`;
      try {
        const res = await pool.request({
          path: target.pathname,
          method: 'POST',
          headers: {
            'ce-specversion': '1.0',
            'ce-id': id,
            'ce-source': '/bench',
            'ce-type': 'bench.event',
            'ce-benchsent': hrMicros(),
            'content-type': 'application/json',
          },
          body,
        });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) sent++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  return { sent, failed };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Open-loop load at a fixed rate: `rate` events per second for `seconds`, sent in 10 ms slices whatever
 * the answers take, so latency is measured at a known, sustainable load rather than at saturation.
 */
export async function runPaced({ url, rate, seconds, body }) {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 64, pipelining: 1 });
  const perSlice = rate / 100;
  const slices = Math.round(seconds * 100);
  let sent = 0;
  let failed = 0;
  let seq = 0;
  let owed = 0;
  const inFlight = new Set();
  const start = Date.now();
  for (let i = 0; i < slices; i++) {
    owed += perSlice;
    for (; owed >= 1; owed--) {
      const p = pool
        .request({
          path: target.pathname,
          method: 'POST',
          headers: {
            'ce-specversion': '1.0',
            'ce-id': `p-${seq++}`,
            'ce-source': '/bench',
            'ce-type': 'bench.event',
            'ce-benchsent': hrMicros(),
            'content-type': 'application/json',
          },
          body,
        })
        .then(
          async (res) => {
            await res.body.dump();
            if (res.statusCode >= 200 && res.statusCode < 300) sent++;
            else failed++;
          },
          () => failed++,
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    const next = start + (i + 1) * 10;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  await Promise.all(inFlight);
  await pool.close();
  return { sent, failed };
}
