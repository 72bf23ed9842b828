import { decode as msgpackDecode } from '@msgpack/msgpack';
import { decode as cborDecode } from 'cborg';

/**
 * MessagePack and CBOR recognised by content. Both are self-delimiting, so a payload counts
 * as one only when it decodes to a map or an array using every byte: random binary rarely
 * does. Their first bytes overlap (0x80–0x9f is a MessagePack map or array and a CBOR array),
 * so the format whose map the first byte would be is tried first.
 */
export function detectBinary(bytes: Uint8Array): { format: 'msgpack' | 'cbor'; value: unknown } | null {
  if (bytes.byteLength < 1) return null;
  const b = bytes[0]!;
  // CBOR's self-describe tag 55799 (RFC 8949 §3.4.6).
  if (bytes.byteLength >= 3 && b === 0xd9 && bytes[1] === 0xd9 && bytes[2] === 0xf7) {
    const v = tryCbor(bytes);
    return v === undefined ? null : { format: 'cbor', value: v };
  }
  const msgpackFirst = (b >= 0x80 && b <= 0x9f) || b === 0xdc || b === 0xdd || b === 0xde || b === 0xdf;
  const cborFirst = (b >= 0xa0 && b <= 0xbb) || b === 0xbf || b === 0x9f;
  if (!msgpackFirst && !cborFirst) return null;
  const order: ('msgpack' | 'cbor')[] = msgpackFirst ? ['msgpack', 'cbor'] : ['cbor', 'msgpack'];
  for (const format of order) {
    const v = format === 'msgpack' ? tryMsgpack(bytes) : tryCbor(bytes);
    if (v !== undefined && v !== null && typeof v === 'object') return { format, value: v };
  }
  return null;
}

export function decodeMsgpack(bytes: Uint8Array): unknown {
  return msgpackDecode(bytes, { useBigInt64: true });
}

export function decodeCbor(bytes: Uint8Array): unknown {
  return cborDecode(bytes, { useMaps: true });
}

function tryMsgpack(bytes: Uint8Array): unknown {
  try {
    return decodeMsgpack(bytes);
  } catch {
    return undefined;
  }
}

function tryCbor(bytes: Uint8Array): unknown {
  try {
    return decodeCbor(bytes);
  } catch {
    return undefined;
  }
}
