import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type * as KafkaJs from 'kafkajs';
import { decompress as zstdDecompress } from 'fzstd';
import { decompress as lz4Decompress } from 'lz4js';
import { uncompress as snappyUncompress } from 'snappyjs';

/**
 * Record-batch decompression for the Kafka tap.
 *
 * kafkajs decodes gzip itself and throws KafkaJSNotImplemented for snappy, lz4 and zstd.
 * A throw inside a fetch response fails the whole response, so one zstd topic would stall
 * every partition fetched from the same broker. We register pure-JS decoders (no native
 * build) for all four codecs, and if a decoder is switched off or fails on a batch, the
 * batch turns into placeholder records carrying UNDECODABLE_HEADER instead of an error:
 * the tap reports the topic and codec and keeps recording everything else.
 */

export type CodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Header key of placeholder records standing for a batch no decoder could read. */
export const UNDECODABLE_HEADER = '__flowscope_undecodable__';

// Node's ESM loader cannot see these two among kafkajs's CommonJS exports (they are not
// plain identifiers in its `module.exports = {…}`), so they are read through require.
const { CompressionCodecs, CompressionTypes } = createRequire(import.meta.url)('kafkajs') as typeof KafkaJs;

const unzip = promisify(zlib.unzip);
const gzip = promisify(zlib.gzip);

// Kafka's Java client frames snappy the way snappy-java's SnappyOutputStream does ("xerial"
// framing: magic, version, compat, then length-prefixed raw blocks); librdkafka writes the
// same framing. Raw unframed snappy is accepted too.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

function snappyDecode(buf: Buffer): Buffer {
  if (buf.length < 16 || !buf.subarray(0, 8).equals(XERIAL_MAGIC)) return Buffer.from(snappyUncompress(buf));
  const parts: Buffer[] = [];
  let pos = 16;
  while (pos + 4 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    pos += 4;
    parts.push(Buffer.from(snappyUncompress(buf.subarray(pos, pos + len))));
    pos += len;
  }
  return Buffer.concat(parts);
}

const decoders: Record<CodecName, (buf: Buffer) => Buffer | Promise<Buffer>> = {
  gzip: (buf) => unzip(buf),
  snappy: snappyDecode,
  lz4: (buf) => {
    const out = lz4Decompress(buf);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  },
  zstd: (buf) => {
    const out = zstdDecompress(buf);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  },
};

const disabled = new Set<CodecName>();
const stats: Record<CodecName, { batches: number; failed: number }> = {
  gzip: { batches: 0, failed: 0 },
  snappy: { batches: 0, failed: 0 },
  lz4: { batches: 0, failed: 0 },
  zstd: { batches: 0, failed: 0 },
};

/** Batches decoded (or not) per codec since the process started, for diagnostics and tests. */
export function codecStats(): Record<CodecName, { batches: number; failed: number }> {
  return structuredClone(stats);
}

/**
 * Switches a decoder off or on for the whole process. Records of a switched-off codec are
 * captured as placeholders (no key, no payload) with a reason; used when a decoder is
 * suspected of misreading data, and by the tests of that path.
 */
export function setCodecEnabled(codec: CodecName, enabled: boolean): void {
  if (enabled) disabled.delete(codec);
  else disabled.add(codec);
}

function codec(name: CodecName) {
  return {
    // Other code in the process (replay) may produce with kafkajs: keep gzip producing as
    // kafkajs did; the others were never available for producing.
    compress: async (encoder: { buffer: Buffer }): Promise<Buffer> => {
      if (name === 'gzip') return gzip(encoder.buffer);
      throw new Error(`Flowscope's Kafka client cannot produce ${name}-compressed batches; use gzip`);
    },
    decompress: async (buf: Buffer): Promise<Buffer> => {
      stats[name].batches += 1;
      try {
        if (disabled.has(name)) throw new Error('decoder switched off');
        return await decoders[name](buf);
      } catch (err) {
        stats[name].failed += 1;
        return placeholders(buf, `${name}: ${(err as Error).message}`);
      }
    },
  };
}

let registered = false;

/** Installs the decoders into kafkajs's (process-wide) codec table. Idempotent. */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const table = CompressionCodecs as Record<number, () => unknown>;
  const entries: [number, CodecName][] = [
    [CompressionTypes.GZIP, 'gzip'],
    [CompressionTypes.Snappy, 'snappy'],
    [CompressionTypes.LZ4, 'lz4'],
    [CompressionTypes.ZSTD, 'zstd'],
  ];
  for (const [type, name] of entries) {
    const c = codec(name);
    table[type] = () => c;
  }
}

/**
 * Builds `count` records that kafkajs's record decoder reads in place of the batch's real
 * ones: same offsets (offsetDelta 0..count-1), null key and value, one header naming the
 * codec and reason. kafkajs reads the record count (an int32) just before handing us the
 * compressed bytes, from the same buffer, so the count sits in the 4 bytes before `buf`
 * (kafkajs 2.2.4 protocol/recordBatch/v0/decoder.js, decodeRecords). When that cannot be
 * read sensibly, the original error is thrown as kafkajs would have.
 */
function placeholders(buf: Buffer, reason: string): Buffer {
  const count =
    buf.byteOffset >= 4 ? new DataView(buf.buffer, buf.byteOffset - 4, 4).getInt32(0) : -1;
  if (!(count > 0 && count <= 1_000_000)) throw new Error(`cannot decode record batch (${reason})`);
  const key = Buffer.from(UNDECODABLE_HEADER);
  const value = Buffer.from(reason.slice(0, 500));
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const body: number[] = [0]; // attributes
    zigzag(0, body); // timestamp delta
    zigzag(i, body); // offset delta
    zigzag(-1, body); // null key
    zigzag(-1, body); // null value
    zigzag(1, body); // one header
    zigzag(key.length, body);
    for (const b of key) body.push(b);
    zigzag(value.length, body);
    for (const b of value) body.push(b);
    zigzag(body.length, out);
    for (const b of body) out.push(b);
  }
  return Buffer.from(out);
}

/** Kafka's varint: zigzag-encoded, 7 bits per byte, low bits first. */
function zigzag(n: number, out: number[]): void {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}
