import type { IPublishPacket } from 'mqtt-packet';
import type { CapturedMessage, JsonValue, MessageEventKind } from '../../../shared/model.ts';
import { mqttMessage } from './record.ts';

const EMPTY = new Uint8Array(0);

/** What every record of one proxied connection shares. */
export interface LinkIdentity {
  endpoint: string;
  /** The proxy's own number for the TCP connection (`c1`, `c2`…): packet ids are scoped by it. */
  link: string;
  /** The MQTT client id (the broker's assigned one when the client left it empty), else the link. */
  clientId: string;
  /** The broker, host:port: the destination of connection facts. */
  broker: string;
  version: 4 | 5;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A PUBLISH crossing the proxy: `publish` from a client to the broker, `deliver` from the
 * broker to a subscriber. The topic is the resolved one when a topic alias stood for it.
 */
export function proxyPublish(id: LinkIdentity, event: 'publish' | 'deliver', packet: IPublishPacket, topic: string): CapturedMessage {
  const m = mqttMessage(id.endpoint, id.clientId, { ...packet, topic }, id.version);
  m.event = event;
  const meta = m.meta!;
  meta.via = 'proxy';
  meta.link = id.link;
  if (packet.messageId !== undefined && packet.qos > 0) meta.packetId = packet.messageId;
  if (packet.properties?.topicAlias !== undefined) meta.topicAlias = packet.properties.topicAlias;
  return m;
}

/** A fact of the connection or of a handshake: no payload, what it says in meta. */
export function proxyFact(
  id: LinkIdentity,
  event: MessageEventKind,
  destination: string | null,
  meta: Record<string, JsonValue>,
): CapturedMessage {
  return {
    time: now(),
    transport: 'mqtt',
    endpoint: id.endpoint,
    event,
    destKind: destination === null ? 'socket' : 'topic',
    destination: destination ?? id.broker,
    connection: id.clientId,
    payload: EMPTY,
    meta: { via: 'proxy', link: id.link, protocolVersion: id.version === 5 ? '5' : '3.1.1', ...meta },
  };
}

/** Names of the MQTT 5 reason codes a user meets in acknowledgements (MQTT 5 §2.4). */
const REASONS: Record<number, string> = {
  0x00: 'Success',
  0x01: 'Granted QoS 1',
  0x02: 'Granted QoS 2',
  0x04: 'Disconnect with Will Message',
  0x10: 'No matching subscribers',
  0x11: 'No subscription existed',
  0x80: 'Unspecified error',
  0x81: 'Malformed Packet',
  0x82: 'Protocol Error',
  0x83: 'Implementation specific error',
  0x84: 'Unsupported Protocol Version',
  0x85: 'Client Identifier not valid',
  0x86: 'Bad User Name or Password',
  0x87: 'Not authorized',
  0x88: 'Server unavailable',
  0x89: 'Server busy',
  0x8a: 'Banned',
  0x8b: 'Server shutting down',
  0x8d: 'Keep Alive timeout',
  0x8e: 'Session taken over',
  0x8f: 'Topic Filter invalid',
  0x90: 'Topic Name invalid',
  0x91: 'Packet Identifier in use',
  0x92: 'Packet Identifier not found',
  0x93: 'Receive Maximum exceeded',
  0x94: 'Topic Alias invalid',
  0x95: 'Packet too large',
  0x97: 'Quota exceeded',
  0x99: 'Payload format invalid',
  0x9a: 'Retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'Use another server',
  0x9d: 'Server moved',
  0x9e: 'Shared Subscriptions not supported',
  0x9f: 'Connection rate exceeded',
  0xa0: 'Maximum connect time',
  0xa1: 'Subscription Identifiers not supported',
  0xa2: 'Wildcard Subscriptions not supported',
};

/** `0x10 No matching subscribers`, for explanations and the detail pane. */
export function reasonName(code: number): string {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  return REASONS[code] ? `${hex} ${REASONS[code]}` : hex;
}
