/**
 * Swaps kafkajs' encoder of Produce requests for ours (./produce-request.ts): same bytes, a
 * fraction of the CPU. kafkajs has no hook for this; its protocol table requires the request
 * module of the negotiated version (produce/v3..v7/request.js) on every request, so replacing
 * those modules' exports in the CommonJS module cache reaches every kafkajs producer in the
 * process. Only kafkajs 2.2.4 (the locked version, whose encoding test/wire.test.ts compares
 * byte for byte) is patched; any other version keeps its own encoder. Inputs ours does not
 * encode exactly like kafkajs go to the original encoder too.
 */
import { createRequire } from 'node:module';
import { encodeProduceRequest, type ProduceRequestArgs } from './produce-request.js';

const PATCHED_VERSION = '2.2.4';
const require = createRequire(import.meta.url);

interface KafkaRequest {
  encode: () => Promise<unknown>;
}
type RequestFactory = (args: ProduceRequestArgs) => KafkaRequest;
interface EncoderInstance {
  buf: Buffer;
  offset: number;
}
type EncoderClass = new (initialSize?: number) => EncoderInstance;

let installed: boolean | undefined;
/** kafkajs' own Produce request factories by version, as loaded before the patch. */
const originalFactories = new Map<number, RequestFactory>();

/** The body kafkajs itself encodes for a Produce request (the reference for tests). */
export async function kafkajsProduceRequestBody(
  args: ProduceRequestArgs,
  version = 3,
): Promise<Buffer> {
  const factory =
    originalFactories.get(version) ??
    (require(`kafkajs/src/protocol/requests/produce/v${version}/request.js`) as RequestFactory);
  const encoder = (await factory(args).encode()) as { buffer: Buffer };
  return encoder.buffer;
}

/**
 * Installs the Produce encoder once per process; true when it is in use. Call before a client
 * sends its first request (harmless later: the next request uses it).
 */
export function useFastKafkaCodec(): boolean {
  if (installed !== undefined) return installed;
  installed = false;
  let version: string;
  try {
    version = (require('kafkajs/package.json') as { version: string }).version;
  } catch {
    return false;
  }
  if (version !== PATCHED_VERSION) return false;
  const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
  /** Our bytes as the kafkajs Encoder the request framing copies them from. */
  const asEncoder = (body: Buffer): EncoderInstance => {
    const e = new Encoder(0);
    e.buf = body;
    e.offset = body.length;
    return e;
  };
  // Load every version first (v4..v7 wrap v3 and keep the original they loaded), then patch.
  const versions = [3, 4, 5, 6, 7];
  const paths = versions.map((v) =>
    require.resolve(`kafkajs/src/protocol/requests/produce/v${v}/request.js`),
  );
  const originals = paths.map((p) => require(p) as RequestFactory);
  paths.forEach((path, i) => {
    const original = originals[i]!;
    originalFactories.set(versions[i]!, original);
    const entry = require.cache[path];
    if (!entry) return;
    entry.exports = ((args: ProduceRequestArgs) => {
      const request = original(args);
      const encodeOriginal = request.encode;
      request.encode = async () => {
        const body = encodeProduceRequest(args);
        return body ? asEncoder(body) : encodeOriginal();
      };
      return request;
    }) satisfies RequestFactory;
  });
  installed = true;
  return true;
}
