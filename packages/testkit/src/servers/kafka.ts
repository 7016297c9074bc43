/**
 * A Kafka-protocol test cluster: librdkafka's built-in mock cluster, run through `kcat` (Debian
 * package `kcat`) and kept alive by an open stdin (docs/testing.md). One broker; topics are created
 * automatically on first use (4 partitions). `admin.createTopics` does not work against it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { Socket } from 'node:net';
import { KafkaMockError } from '../errors.js';

/** A running mock cluster. */
export interface KafkaMockCluster {
  /** `127.0.0.1:PORT`. */
  readonly bootstrapServers: string;
  /** Same, as the list kafkajs takes. */
  readonly brokers: string[];
  /** Kills the process group (kcat and its `sleep`). */
  stop(): Promise<void>;
}

/** Options of {@link startKafkaMock}. */
export interface KafkaMockOptions {
  /** How long to wait for the cluster to answer. @default 15000 */
  readonly timeoutMs?: number;
  /** Appends the mock's debug log to this file (default: env TRIBUTARY_KAFKA_MOCK_LOG; else discarded). */
  readonly logFile?: string;
}

const INSTALL_HINT =
  'kcat is not installed; it runs the librdkafka mock cluster the Kafka tests use. Install it with: sudo apt-get install -y kcat';

/**
 * Starts `sleep infinity | kcat -P -b unused:9092 -t boot -X test.mock.num.brokers=1 -d mock`,
 * reads `bootstrap.servers=127.0.0.1:PORT` from its stderr and waits until the broker answers an
 * ApiVersions request. Fails with the install command when kcat is missing.
 */
export async function startKafkaMock(options: KafkaMockOptions = {}): Promise<KafkaMockCluster> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const child = spawn(
    'sh',
    [
      '-c',
      'command -v kcat >/dev/null || exit 127; sleep infinity | exec kcat -P -b unused:9092 -t boot -X test.mock.num.brokers=1 -d mock',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      return;
    }
    await exited;
  };
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(
        () =>
          reject(
            new KafkaMockError(
              `kcat mock cluster printed no bootstrap.servers within ${timeoutMs} ms: ${text.slice(0, 500)}`,
            ),
          ),
        timeoutMs,
      );
      child.stderr!.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        const m = /bootstrap\.servers=(127\.0\.0\.1:\d+)/.exec(text);
        if (m) {
          clearTimeout(timer);
          text = '';
          resolve(m[1]!);
        } else if (text.length > 100_000) text = text.slice(-1000);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(
          new KafkaMockError(
            code === 127 ? INSTALL_HINT : `kcat exited with code ${code}: ${text.slice(0, 500)}`,
          ),
        );
      });
      child.once('error', (err) => reject(new KafkaMockError(`${INSTALL_HINT} (${err.message})`)));
    });
    // -d mock logs every request; keep draining stderr so kcat never blocks on a full pipe.
    child.stderr!.removeAllListeners('data');
    const logFile = options.logFile ?? process.env['TRIBUTARY_KAFKA_MOCK_LOG'];
    if (logFile) child.stderr!.pipe(createWriteStream(logFile, { flags: 'a' }));
    else child.stderr!.resume();
    await waitForApiVersions(address, timeoutMs);
    unrefChild(child);
    return { bootstrapServers: address, brokers: [address], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
}

/** Sends ApiVersions v0 until the broker answers with error code 0. */
async function waitForApiVersions(address: string, timeoutMs: number): Promise<void> {
  const [host, port] = address.split(':') as [string, string];
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      await apiVersions(host, Number(port));
      return;
    } catch (err) {
      last = (err as Error).message;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new KafkaMockError(
    `Kafka mock cluster at ${address} did not answer ApiVersions within ${timeoutMs} ms: ${last}`,
  );
}

function apiVersions(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from('testkit');
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    body.writeInt16BE(18, 0); // ApiVersions
    body.writeInt16BE(0, 2);
    body.writeInt32BE(1, 4);
    body.writeInt16BE(clientId.length, 8);
    clientId.copy(body, 10);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    const socket = new Socket();
    let data = Buffer.alloc(0);
    const fail = (e: Error): void => {
      socket.destroy();
      reject(e);
    };
    socket.setTimeout(2000, () => fail(new KafkaMockError('timeout')));
    socket.once('error', fail);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 10) return;
      const code = data.readInt16BE(8);
      socket.destroy();
      if (code === 0) resolve();
      else reject(new KafkaMockError(`ApiVersions error code ${code}`));
    });
    socket.connect(port, host, () => socket.write(Buffer.concat([size, body])));
  });
}
