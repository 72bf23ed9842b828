import type { MessageDetail, StoredMessage } from '../../shared/model.ts';
import type { SessionStore } from '../store/session-store.ts';
import { decodePayload, hexDump } from '../decode/payload.ts';
import { toRow } from './traffic-batcher.ts';
import { DETAIL_PAYLOAD_LIMIT, DETAIL_RELATED_LIMIT } from '../common/constants.ts';
import type { DecoderRegistry } from '../decode/registry.ts';

/** Everything the detail pane shows about one message, or null when there is no such seq. */
export function messageDetail(store: SessionStore, seq: number, decoders?: DecoderRegistry): MessageDetail | null {
  const m = store.get(seq);
  if (!m) return null;
  const detail = toDetail(m, m.correlationId ? store.related(m.correlationId, DETAIL_RELATED_LIMIT).filter((r) => r.seq !== seq) : []);
  // Open, close and error facts have no body to decode.
  const body = m.event !== 'open' && m.event !== 'close' && m.event !== 'error';
  detail.decoded = body && decoders ? decoders.decode(m) : null;
  return detail;
}

/** Backs a cut off to the start of a UTF-8 character, so a cut text still decodes as text. */
function utf8Boundary(bytes: Uint8Array, cut: number): number {
  let i = cut;
  while (i > 0 && cut - i < 4 && (bytes[i]! & 0xc0) === 0x80) i--;
  return i;
}

function toDetail(m: StoredMessage, related: MessageDetail['related']): MessageDetail {
  const tooBig = m.payload.byteLength > DETAIL_PAYLOAD_LIMIT;
  const head = tooBig ? m.payload.subarray(0, utf8Boundary(m.payload, DETAIL_PAYLOAD_LIMIT)) : m.payload;
  const decoded = decodePayload(head);
  return {
    ...toRow(m),
    brokerTime: m.brokerTime ?? null,
    headers: m.headers ?? null,
    properties: m.properties ?? null,
    meta: m.meta ?? null,
    encoding: decoded.encoding,
    text: decoded.text,
    hex: hexDump(m.payload, 4096),
    payloadBase64: tooBig ? null : Buffer.from(m.payload).toString('base64'),
    truncated: tooBig,
    decoded: null,
    related,
  };
}
