import type { IPublishPacket } from 'mqtt';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { setOwn } from '../../common/own-key.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Capture time with sub-millisecond resolution, so messages of one burst keep distinct times. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Bytes as text when they are valid UTF-8, else as lower-case hex (an id must stay exact and comparable). */
export function bytesId(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('hex');
  }
}

function b64(bytes: Uint8Array): JsonValue {
  return { $base64: Buffer.from(bytes).toString('base64') };
}

/**
 * One PUBLISH the broker forwarded to the tap, as Flowscope records it: the topic as the
 * destination, payload bytes as they came, QoS/retain/dup in meta, MQTT 5 properties in
 * properties (user properties as headers, response topic as replyTo, correlation data as
 * the correlation id: text when it is UTF-8, hex otherwise; its bytes kept in properties).
 */
export function mqttMessage(endpoint: string, connection: string, packet: IPublishPacket, protocolVersion: 4 | 5): CapturedMessage {
  const p = packet.properties ?? {};
  const properties: Record<string, JsonValue> = {};
  let headers: Record<string, JsonValue> | null = null;
  if (p.userProperties) {
    headers = {};
    // A user property is any UTF-8 pair: `__proto__` is a name like another (see setOwn).
    for (const [k, v] of Object.entries(p.userProperties)) setOwn(headers, k, Array.isArray(v) ? v.map(String) : String(v));
  }
  if (p.contentType !== undefined) properties.contentType = p.contentType;
  if (p.payloadFormatIndicator !== undefined) properties.payloadFormatIndicator = p.payloadFormatIndicator ? 1 : 0;
  if (p.messageExpiryInterval !== undefined) properties.messageExpiryInterval = p.messageExpiryInterval;
  if (p.responseTopic !== undefined) properties.responseTopic = p.responseTopic;
  const corr = p.correlationData ? new Uint8Array(p.correlationData) : null;
  if (corr) properties.correlationData = b64(corr);
  if (p.subscriptionIdentifier !== undefined) properties.subscriptionIdentifier = p.subscriptionIdentifier as JsonValue;
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
  return {
    time: now(),
    transport: 'mqtt',
    endpoint,
    event: 'publish',
    destKind: 'topic',
    destination: packet.topic,
    connection,
    headers,
    properties: Object.keys(properties).length ? properties : null,
    payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
    correlationId: corr && corr.byteLength > 0 ? bytesId(corr) : null,
    replyTo: p.responseTopic ?? null,
    meta: { qos: packet.qos, retain: packet.retain, dup: packet.dup, protocolVersion: protocolVersion === 5 ? '5' : '3.1.1' },
  };
}
