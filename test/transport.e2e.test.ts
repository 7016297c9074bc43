import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect as netConnect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import { decodeHttp } from '@tributary/core';
import { makeTestCa, type TestCerts } from './support/certs.js';
import {
  type TributaryProcess,
  startTributary,
  writeManifests,
} from './support/tributary-process.js';

// Issue 17, transport and exposure: HTTPS only with a certificate made in the test (reloaded when
// the files change), minimum TLS version, mutual TLS, Destination CACerts for an HTTPS subscriber
// with a private CA; server limits against slow clients; bounded /metrics cardinality; the
// address really bound and the exposure warning for --host 0.0.0.0.

let certs: TestCerts;

function peerFingerprint(port: number, ca: string, extra: object = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...extra }, () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? '';
      s.end();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

describe('TLS', () => {
  let trib: TributaryProcess;
  let subscriber: HttpsServer;
  const received: string[] = [];
  let dls: HttpSink;
  let server: { certFile: string; keyFile: string; certPem: string };
  let liveCert: string;
  let liveKey: string;

  beforeAll(async () => {
    certs = makeTestCa();
    server = certs.issue('server', 'server');
    // Tributary reads copies, so the test can replace them.
    liveCert = `${certs.dir}/live.pem`;
    liveKey = `${certs.dir}/live.key`;
    copyFileSync(server.certFile, liveCert);
    copyFileSync(server.keyFile, liveKey);
    const sub = certs.issue('subscriber', 'server');
    subscriber = createHttpsServer(
      { cert: readFileSync(sub.certFile), key: readFileSync(sub.keyFile) },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const { events } = decodeHttp(req.headers, Buffer.concat(chunks));
          received.push(events[0]!.attributes['id']!);
          res.writeHead(202).end();
        });
      },
    );
    await new Promise<void>((r) => subscriber.listen(0, '127.0.0.1', () => r()));
    const subUrl = `https://127.0.0.1:${(subscriber.address() as AddressInfo).port}/`;
    dls = await startHttpSink();
    const indented = certs.caPem.trim().split('\n').join('\n      ');
    const dir = writeManifests({
      'b.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: private-ca }
spec:
  broker: b
  filter: { attributes: { type: with.ca } }
  subscriber:
    uri: "${subUrl}"
    CACerts: |
      ${indented}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: no-ca }
spec:
  broker: b
  filter: { attributes: { type: without.ca } }
  subscriber: { uri: "${subUrl}" }
  delivery: { retry: 0, deadLetterSink: { uri: "${dls.url}" } }
`,
    });
    trib = await startTributary(dir, [
      '--tls-cert',
      liveCert,
      '--tls-key',
      liveKey,
      '--tls-min-version',
      'TLSv1.3',
    ]);
  });

  afterAll(async () => {
    await trib?.stop();
    await dls?.close();
    await new Promise((r) => subscriber?.close(r));
  });

  const agent = () => new Agent({ connect: { ca: certs.caPem } });

  async function send(type: string): Promise<{ status: number; id: string }> {
    const id = `tls-${Math.random()}`;
    const res = await request(`${trib.baseUrl}/default/b`, {
      method: 'POST',
      dispatcher: agent(),
      headers: { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/t', 'ce-type': type },
      body: '',
    });
    await res.body.dump();
    return { status: res.statusCode, id };
  }

  it('serves HTTPS only, with the certificate made in the test', async () => {
    expect(trib.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ok = await send('nothing');
    expect(ok.status).toBe(202);
    const plain = trib.baseUrl.replace('https:', 'http:');
    await expect(request(`${plain}/healthz`).then((r) => r.body.text())).rejects.toThrow();
  });

  it('refuses clients below the minimum TLS version', async () => {
    const port = Number(new URL(trib.baseUrl).port);
    await expect(peerFingerprint(port, certs.caPem, { maxVersion: 'TLSv1.2' })).rejects.toThrow();
    await expect(peerFingerprint(port, certs.caPem)).resolves.toBe(
      new X509Certificate(server.certPem).fingerprint256,
    );
  });

  it('delivers to an HTTPS subscriber with a private CA given in CACerts (and fails without)', async () => {
    const withCa = await send('with.ca');
    const without = await send('without.ca');
    expect([withCa.status, without.status]).toEqual([202, 202]);
    const dead = await dls.waitForEvent((e) => e.attributes['id'] === without.id, 20_000);
    expect(dead.attributes['knativeerrorcode']).toBe('500');
    const until = Date.now() + 20_000;
    while (!received.includes(withCa.id) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(received).toContain(withCa.id);
    expect(received).not.toContain(without.id);
  });

  it('reloads the certificate when its files change', async () => {
    const port = Number(new URL(trib.baseUrl).port);
    const next = certs.issue('server-next', 'server');
    copyFileSync(next.keyFile, liveKey);
    copyFileSync(next.certFile, liveCert);
    await trib.waitForLog((l) => l['msg'] === 'TLS certificate reloaded', 30_000);
    const want = new X509Certificate(next.certPem).fingerprint256;
    expect(await peerFingerprint(port, certs.caPem)).toBe(want);
  });
});

describe('mutual TLS', () => {
  let trib: TributaryProcess;
  beforeAll(async () => {
    certs ??= makeTestCa();
    const server = certs.issue('mtls-server', 'server');
    const dir = writeManifests({
      'b.yaml': 'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: { name: b }\n',
    });
    trib = await startTributary(dir, [
      '--tls-cert',
      server.certFile,
      '--tls-key',
      server.keyFile,
      '--tls-client-ca',
      certs.caFile,
    ]);
  });
  afterAll(async () => {
    await trib?.stop();
  });

  it('accepts clients with a certificate from the CA and refuses others', async () => {
    const client = certs.issue('client', 'client');
    const withCert = new Agent({
      connect: {
        ca: certs.caPem,
        cert: readFileSync(client.certFile),
        key: readFileSync(client.keyFile),
      },
    });
    const ok = await request(`${trib.baseUrl}/healthz`, { dispatcher: withCert });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    const noCert = new Agent({ connect: { ca: certs.caPem } });
    await expect(
      request(`${trib.baseUrl}/healthz`, { dispatcher: noCert }).then((r) => r.body.text()),
    ).rejects.toThrow();
  });
});

describe('exposure, limits and metrics cardinality (--host 0.0.0.0)', () => {
  let trib: TributaryProcess;
  beforeAll(async () => {
    const dir = writeManifests({
      'b.yaml': 'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: { name: b }\n',
    });
    trib = await startTributary(dir, [
      '--host',
      '0.0.0.0',
      '--request-timeout',
      '2000',
      '--headers-timeout',
      '2000',
    ]);
  });
  afterAll(async () => {
    await trib?.stop();
  });

  it('logs the address really bound and warns about what is exposed', async () => {
    const running = await trib.waitForLog((l) => l['msg'] === 'tributary running');
    expect(running['bound']).toMatch(/^0\.0\.0\.0:\d+$/);
    const warning = await trib.waitForLog((l) => String(l['msg']).includes('non-loopback'));
    expect(String(warning['admin'])).toMatch(/loopback clients only/);
    expect(String(warning['ingress'])).toMatch(/open to anyone/);
    // Loopback clients still reach /metrics without a token.
    const m = await request(`${trib.baseUrl}/metrics`);
    expect(m.statusCode).toBe(200);
    await m.body.dump();
  });

  it('closes a connection whose body trickles in at 1 byte per second, and keeps serving others', async () => {
    const port = Number(new URL(trib.baseUrl).port);
    const sock = netConnect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(
      'POST /default/b HTTP/1.1\r\nhost: x\r\nce-specversion: 1.0\r\nce-id: slow\r\nce-source: /s\r\n' +
        'ce-type: slow\r\ncontent-type: application/json\r\ncontent-length: 60\r\n\r\n',
    );
    let sent = 0;
    let answer = '';
    sock.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('error', () => undefined);
    const timer = setInterval(() => {
      if (sent < 60 && !sock.destroyed) {
        sock.write('x');
        sent++;
      }
    }, 1_000);
    // Meanwhile other clients are served.
    const health = await request(`${trib.baseUrl}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    await closed;
    clearInterval(timer);
    // The server gave up long before the 60 s the body would take.
    expect(sent).toBeLessThan(60);
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  }, 90_000);

  it('closes a connection whose headers never finish', async () => {
    const port = Number(new URL(trib.baseUrl).port);
    const sock = netConnect(port, '127.0.0.1');
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write('POST /default/b HTTP/1.1\r\nhost: x\r\n');
    let sent = 0;
    const timer = setInterval(() => {
      if (!sock.destroyed) {
        sock.write('x');
        sent++;
      }
    }, 1_000);
    await new Promise<void>((r) => sock.once('close', () => r()));
    clearInterval(timer);
    expect(sent).toBeLessThan(60);
  }, 90_000);

  it('keeps /metrics bounded whatever paths and event types clients send', async () => {
    const post = (path: string, type: string) =>
      request(`${trib.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          'ce-specversion': '1.0',
          'ce-id': `${Math.random()}`,
          'ce-source': '/c',
          'ce-type': type,
        },
        body: '',
      }).then((r) => r.body.dump().then(() => r.statusCode));
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) statuses.push(await post(`/ns-${i}/broker-${i}`, 'x'));
    for (let i = 0; i < 250; i++) statuses.push(await post('/default/b', `com.example.type-${i}`));
    expect(statuses.slice(0, 300).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(300).every((s) => s === 202)).toBe(true);
    const text = await (await request(`${trib.baseUrl}/metrics`)).body.text();
    const rejected = text
      .split('\n')
      .filter((l) => l.startsWith('tributary_events_rejected_total{'));
    expect(rejected.length).toBe(1);
    expect(rejected[0]).toContain('kn_broker_name="_unknown"');
    const accepted = text
      .split('\n')
      .filter((l) => l.startsWith('tributary_events_accepted_total{'));
    expect(accepted.length).toBeLessThanOrEqual(101);
    expect(accepted.some((l) => l.includes('cloudevents_type="other"'))).toBe(true);
    expect(text.length).toBeLessThan(1_000_000);
  });
});
