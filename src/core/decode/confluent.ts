/**
 * The Confluent wire format (Schema Registry serializers): magic byte 0, a 4-byte big-endian
 * schema id, then for Protobuf a list of message indexes (zigzag varints: a count, then the
 * indexes; a lone 0 stands for [0], the first message), then the datum.
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
 */
export interface ConfluentFrame {
  schemaId: number;
  /** Protobuf only: the message-index path into the schema file. */
  indexes: number[];
  body: Uint8Array;
}

export function looksConfluent(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 5 && bytes[0] === 0;
}

/** Splits a Confluent frame; throws with the reason when it is not one. */
export function readConfluent(bytes: Uint8Array, protobufIndexes: boolean): ConfluentFrame {
  if (bytes.byteLength < 5) throw new Error(`a Confluent frame has at least 5 bytes, this payload ${bytes.byteLength}`);
  if (bytes[0] !== 0) throw new Error(`not a Confluent frame: magic byte is 0x${bytes[0]!.toString(16).padStart(2, '0')}, not 0x00`);
  const schemaId = ((bytes[1]! << 24) >>> 0) + (bytes[2]! << 16) + (bytes[3]! << 8) + bytes[4]!;
  let at = 5;
  const indexes: number[] = [];
  if (protobufIndexes) {
    const count = readZigzag(bytes, at);
    at = count.next;
    if (count.value < 0 || count.value > 100) throw new Error(`Confluent message-index count ${count.value} is not plausible`);
    if (count.value === 0) indexes.push(0);
    for (let i = 0; i < count.value; i++) {
      const idx = readZigzag(bytes, at);
      at = idx.next;
      indexes.push(idx.value);
    }
  }
  return { schemaId, indexes, body: bytes.subarray(at) };
}

function readZigzag(bytes: Uint8Array, at: number): { value: number; next: number } {
  let result = 0;
  let shift = 0;
  for (let i = at; i < bytes.byteLength && shift < 35; i++) {
    const b = bytes[i]!;
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return { value: result % 2 === 0 ? result / 2 : -(result + 1) / 2, next: i + 1 };
  }
  throw new Error('the Confluent message-index list ends inside a varint');
}
