import { createRequire } from 'node:module';
import path from 'node:path';
import { basesOf, readRecord, type BatchContext, type Bases, type DecodedRecord } from './record-fields.ts';

export type { DecodedRecord };

/**
 * The record batches of a fetch response, decoded for the tap (issue 12).
 *
 * kafkajs 2.2.4 decodes each record through a Decoder object of its own and does its offset
 * and timestamp sums on BigInt-backed Longs parsed from and printed to decimal strings
 * (protocol/recordBatch/record/v0/decoder.js): about a quarter of the engine thread in a
 * catch-up. This reads the same bytes into the same records, in one pass over the response
 * buffer, with plain numbers wherever the sum is a safe integer. It stands in for kafkajs's
 * `protocol/requests/fetch/v4/decodeMessages.js` (which every fetch version from 4 uses) in
 * the module cache, and hands kafkajs's own decoders whatever it does not read itself:
 * legacy message sets (format v0/v1), and any record whose bytes are not what a broker
 * writes (a length past the end, an over-long varint), so odd input behaves exactly as it
 * did. Compressed batches go through kafkajs's codec table, that is through codecs.ts, with
 * the compressed bytes as the same view kafkajs gives (the placeholders read the record
 * count just before it).
 */

type DecodeMessages = (decoder: KafkaDecoder) => Promise<unknown[]>;

/** The parts of kafkajs's protocol Decoder used here. */
interface KafkaDecoder {
  buffer: Buffer;
  offset: number;
  readInt32(): number;
  readBytes(n: number): Buffer;
  canReadBytes(n: number): boolean;
  readVarIntBytes(): Buffer | null;
}

interface Codec {
  decompress(buf: Buffer): Promise<Buffer>;
}

/** The kafkajs version whose decoder this reproduces; another one keeps its own. */
const KAFKAJS_VERSION = '2.2.4';

const require = createRequire(import.meta.url);
const root = path.dirname(require.resolve('kafkajs/package.json'));
const kafkajs = (file: string): unknown => require(path.join(root, 'src', file));
const DECODE_MESSAGES = path.join(root, 'src/protocol/requests/fetch/v4/decodeMessages.js');

const Decoder = kafkajs('protocol/decoder.js') as new (buf: Buffer) => KafkaDecoder;
const MessageSetDecoder = kafkajs('protocol/messageSet/decoder.js') as (d: KafkaDecoder, size: number) => Promise<unknown[]>;
const RecordDecoder = kafkajs('protocol/recordBatch/record/v0/decoder.js') as (d: KafkaDecoder, ctx: BatchContext) => DecodedRecord;
const { lookupCodecByAttributes } = kafkajs('protocol/message/compression/index.js') as { lookupCodecByAttributes: (attributes: number) => Codec | null };

// kafkajs/src/protocol/recordBatch/v0/decoder.js and requests/fetch/v4/decodeMessages.js.
const MAGIC_OFFSET = 16;
const RECORD_BATCH_MAGIC = 2;
const RECORD_BATCH_OVERHEAD = 49;
/** Bytes of a batch after its length field, up to its record count. */
const BATCH_HEADER = 45;
const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
const CREATE_TIME = 0;
const LOG_APPEND_TIME = 1;

let original: DecodeMessages | null = null;
let installed = false;

/**
 * Puts `decodeMessages` in kafkajs's place. Idempotent; false (kafkajs keeps its decoder)
 * for another kafkajs version, or when a fetch response decoder was loaded before this and
 * holds kafkajs's own already.
 */
export function installRecordDecoder(): boolean {
  if (installed) return true;
  const { version } = require(path.join(root, 'package.json')) as { version: string };
  if (version !== KAFKAJS_VERSION) return false;
  const responses = ['v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'v10', 'v11'].map((v) => path.join(root, `src/protocol/requests/fetch/${v}/response.js`));
  if (responses.some((f) => require.cache[f])) return false;
  original = require(DECODE_MESSAGES) as DecodeMessages;
  const cached = require.cache[DECODE_MESSAGES];
  if (!cached) return false;
  cached.exports = decodeMessages;
  installed = true;
  return true;
}

/** kafkajs's own decodeMessages, for the tests that compare the two. */
export function kafkajsDecodeMessages(): DecodeMessages {
  original ??= require(DECODE_MESSAGES) as DecodeMessages;
  return original;
}

/** Decodes one partition's record set from a fetch response, as kafkajs's decodeMessages does. */
export async function decodeMessages(decoder: KafkaDecoder): Promise<unknown[]> {
  const messagesSize = decoder.readInt32();
  if (messagesSize <= 0 || !decoder.canReadBytes(messagesSize)) return [];
  const buf = decoder.readBytes(messagesSize);
  const magicByte = buf.subarray(MAGIC_OFFSET).readInt8(0);
  if (magicByte !== RECORD_BATCH_MAGIC) return MessageSetDecoder(new Decoder(buf), messagesSize);
  const records: DecodedRecord[] = [];
  let pos = 0;
  while (buf.length - pos >= RECORD_BATCH_OVERHEAD) {
    const firstOffset = buf.readBigInt64BE(pos);
    const length = buf.readInt32BE(pos + 8);
    const start = pos + 12;
    pos = start + length;
    // The tail of a response may hold a partial batch (maxBytes cuts it): kafkajs stops there.
    if (buf.length - start < length) break;
    const batch = buf.subarray(start, start + length);
    await decodeBatch(batch, firstOffset, records);
  }
  return records;
}

async function decodeBatch(b: Buffer, firstOffsetBig: bigint, out: DecodedRecord[]): Promise<void> {
  const attributes = b.readInt16BE(9);
  const firstTimestampBig = b.readBigInt64BE(15);
  const ctx: BatchContext = {
    firstOffset: String(firstOffsetBig),
    firstTimestamp: String(firstTimestampBig),
    partitionLeaderEpoch: b.readInt32BE(0),
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
    lastOffsetDelta: b.readInt32BE(11),
    producerId: String(b.readBigInt64BE(31)),
    producerEpoch: b.readInt16BE(39),
    firstSequence: b.readInt32BE(41),
    maxTimestamp: String(b.readBigInt64BE(23)),
    timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME,
    magicByte: b.readInt8(4),
  };
  const bases = basesOf(firstOffsetBig, firstTimestampBig);
  const count = b.readInt32BE(BATCH_HEADER);
  const codec = lookupCodecByAttributes(attributes);
  if (!codec) {
    if (count === -1) return;
    // kafkajs sizes its array by the count first: a negative one throws as it did there.
    if (count < 0) void new Array(count);
    let at = BATCH_HEADER + 4;
    for (let i = 0; i < count; i++) at = record(b, at, ctx, bases, out);
    return;
  }
  if (count <= 0) return;
  // A view of the batch, so the 4 bytes before it are the count (codecs.ts placeholders).
  const plain = await codec.decompress(b.subarray(BATCH_HEADER + 4));
  let at = 0;
  for (let i = 0; i < count; i++) at = record(plain, at, ctx, bases, out);
}

/** Reads the record whose length varint starts at `at` into `out`; returns where the next one starts. */
function record(buf: Buffer, at: number, ctx: BatchContext, bases: Bases, out: DecodedRecord[]): number {
  const next = readRecord(buf, at, ctx, bases, out);
  if (next >= 0) return next;
  // Anything else kafkajs's decoder reads, and fails on, as it always did.
  const d = new Decoder(buf);
  d.offset = at;
  const body = d.readVarIntBytes();
  out.push(RecordDecoder(new Decoder(body as Buffer), ctx));
  return d.offset;
}
