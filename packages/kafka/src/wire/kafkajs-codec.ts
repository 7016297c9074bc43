/**
 * Swaps kafkajs' encoder of Produce requests and its decoder of fetched records for ours
 * (./produce-request.ts, ./record-decoder.ts): same bytes and same record objects, a fraction of
 * the CPU. kafkajs has no hook for this; its protocol table requires the request module of the
 * negotiated version (produce/v3..v7/request.js) on every request, and the record batch decoder
 * requires the record decoder when it loads, so replacing those modules' exports in the CommonJS
 * module cache reaches every kafkajs client in the process. Only kafkajs 2.2.4 (the locked version,
 * which packages/kafka/test/wire*.test.ts compare against) is patched; any other version keeps its
 * own code. Inputs ours does not handle exactly like kafkajs go to kafkajs' code too.
 */
import { createRequire } from 'node:module';
import { encodeProduceRequest, expandRecords, type ProduceRequestArgs } from './produce-request.js';
import { fastRecordDecoder, type KafkajsRecordDecoder } from './record-decoder.js';

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
  const encoder = (await factory(expandRecords(args)).encode()) as { buffer: Buffer };
  return encoder.buffer;
}

/**
 * Installs the Produce encoder once per process; true when it is in use, and only then may
 * messages carrying several records (./produce-request.ts, `RECORDS`) be produced. Call before a
 * client sends its first request (harmless later: the next request uses it).
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
  const patched = new Map<number, RequestFactory>();
  paths.forEach((path, i) => {
    const original = originals[i]!;
    originalFactories.set(versions[i]!, original);
    const entry = require.cache[path];
    if (!entry) return;
    const factory: RequestFactory = (args) => {
      const request = original(args);
      request.encode = async () => {
        const body = encodeProduceRequest(args);
        // kafkajs' encoder for what ours declines, with any multi-record message expanded.
        return body ? asEncoder(body) : original(expandRecords(args)).encode();
      };
      return request;
    };
    entry.exports = factory;
    patched.set(versions[i]!, factory);
  });
  patchProduceProtocol(patched);
  // The record decoder is bound by the record batch decoder when that module loads (on the
  // first Fetch response): replace it before that, or not at all.
  const batchDecoder = require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js');
  const recordDecoder = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
  if (!require.cache[batchDecoder]) {
    const original = require(recordDecoder) as KafkajsRecordDecoder;
    kafkajsRecordDecoder = original;
    const entry = require.cache[recordDecoder];
    if (entry) {
      entry.exports = fastRecordDecoder(original);
      fastDecoder = true;
    }
  }
  installed = true;
  return true;
}

/** What kafkajs' Produce protocol table gives a broker for one version. */
type ProtocolEntry = (args: ProduceRequestArgs) => { request: KafkaRequest; response: unknown };
interface ProduceProtocol {
  protocol: (o: { version: number }) => ProtocolEntry;
}

/**
 * kafkajs' Produce protocol table (protocol/requests/produce/index.js) requires the request and
 * response modules of the version on every request. A module that was already in the cache when
 * that table first required it (ours are: we load and patch them above) is resolved again on
 * every call, path and package.json lookups included: 1.3 % of the broker process' CPU and 1.5 %
 * of its allocations in the bench profile; the Kafka path alone (32 closed-loop publishers, a
 * no-op subscriber, mock cluster, 60,000 events, 5 alternating rounds) 26.8 → 24.5 µs of CPU per
 * event, median. The table's `protocol` (what every broker's request
 * lookup calls; a property of the module's exports object, so patchable whenever kafkajs loaded)
 * now returns, for the patched versions, an entry holding the two modules: what the original
 * entry returns, without the require calls.
 */
function patchProduceProtocol(patched: ReadonlyMap<number, RequestFactory>): void {
  const table = require('kafkajs/src/protocol/requests/produce/index.js') as ProduceProtocol;
  const original = table.protocol.bind(table);
  const entries = new Map<number, ProtocolEntry>();
  for (const [version, request] of patched) {
    const response: unknown = require(
      `kafkajs/src/protocol/requests/produce/v${version}/response.js`,
    );
    entries.set(version, (a) => ({
      // The same keys kafkajs' own entry passes on.
      request: request({
        acks: a.acks,
        timeout: a.timeout,
        compression: a.compression,
        topicData: a.topicData,
        transactionalId: a.transactionalId,
        producerId: a.producerId,
        producerEpoch: a.producerEpoch,
      }),
      response,
    }));
  }
  // Versions not patched (0 to 2, older brokers) get kafkajs' entry with multi-record messages
  // (produce-request.ts, RECORDS) expanded: every version gives the records they stand for.
  table.protocol = (o) => {
    const entry = entries.get(o.version);
    if (entry) return entry;
    const kafkajsEntry = original(o);
    return (a) => kafkajsEntry(expandRecords(a));
  };
}

let kafkajsRecordDecoder: KafkajsRecordDecoder | undefined;
let fastDecoder = false;

/** kafkajs' own record decoder (the reference for tests), and whether ours replaced it. */
export function kafkajsRecordDecoding(): { original: KafkajsRecordDecoder; replaced: boolean } {
  const original =
    kafkajsRecordDecoder ??
    (require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as KafkajsRecordDecoder);
  return { original, replaced: fastDecoder };
}
