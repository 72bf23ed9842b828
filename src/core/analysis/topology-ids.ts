import type { CapturedMessage } from '../../shared/model.ts';
import type { TopologyNodeKind } from '../../shared/views.ts';
import { header, scalar } from './correlation.ts';
import { DEFAULT_EXCHANGE } from './identity.ts';

/**
 * Node ids of the topology graph. They are pure functions of what a message says, so
 * undelivered detection can name the edge a lost message belongs to without holding
 * the graph.
 */

export type NodeKind = TopologyNodeKind;

export const ids = {
  exchange: (ep: string, name: string): string => `amqp:${ep}:exchange:${name || DEFAULT_EXCHANGE}`,
  queue: (ep: string, name: string): string => `amqp:${ep}:queue:${name}`,
  /** A Kafka topic, an MQTT topic or a NATS subject. */
  topic: (ep: string, name: string, transport: 'kafka' | 'mqtt' | 'nats' = 'kafka'): string => `${transport}:${ep}:topic:${name}`,
  natsRepliers: (ep: string, inboxes: string): string => `nats:${ep}:repliers:${inboxes}`,
  /** A JetStream stream, and a consumer reading from it. */
  jsStream: (ep: string, stream: string): string => `nats:${ep}:stream:${stream}`,
  jsConsumer: (ep: string, stream: string, consumer: string): string => `nats:${ep}:consumer:${stream}:${consumer}`,
  group: (ep: string, name: string): string => `kafka:${ep}:group:${name}`,
  /** An MQTT client, by client id, as a publisher (seen by the recording proxy) … */
  mqttClient: (ep: string, clientId: string): string => `mqtt:${ep}:client:${clientId}`,
  /** … and as a subscriber the broker delivered to. */
  mqttSubscriber: (ep: string, clientId: string): string => `mqtt:${ep}:subscriber:${clientId}`,
  wsServer: (ep: string, path: string): string => `ws:${ep}:server:${path}`,
  wsClient: (ep: string, connection: string): string => `ws:${ep}:client:${connection}`,
};

export interface ProducerRef {
  id: string;
  label: string;
}

/**
 * Who sent a publish, as far as the capture tells: an AMQP appId, a producer header, the
 * AMQP connection, the AMQP user; else one "producers of X" node per destination.
 * Kafka's log does not record the producing client, so only a header can name it.
 */
export function producerOf(m: CapturedMessage, producerHeaders: readonly string[]): ProducerRef {
  const ep = m.endpoint;
  const props = m.properties ?? null;
  const appId = props ? scalar(props.appId ?? props.app_id) : null;
  if (appId) return { id: `${m.transport}:${ep}:producer:app:${appId}`, label: appId };
  const fromHeader = m.headers ? header(m.headers, producerHeaders) : null;
  if (fromHeader) return { id: `${m.transport}:${ep}:producer:app:${fromHeader}`, label: fromHeader };
  if (m.transport === 'amqp') {
    if (m.connection) return { id: `amqp:${ep}:producer:conn:${m.connection}`, label: m.connection };
    const user = props ? scalar(props.userId ?? props.user_id) : null;
    if (user) return { id: `amqp:${ep}:producer:user:${user}`, label: `user ${user}` };
  }
  const dest = m.destination || DEFAULT_EXCHANGE;
  return { id: `${m.transport}:${ep}:producers:${dest}`, label: `producers → ${dest}` };
}

/** Who received an AMQP delivery: its consumer tag or connection, else "consumers of Q". */
export function consumerOf(m: CapturedMessage): ProducerRef {
  const tag = typeof m.meta?.consumerTag === 'string' ? m.meta.consumerTag : (m.connection ?? null);
  if (tag) return { id: `amqp:${m.endpoint}:consumer:${tag}`, label: tag };
  return { id: `amqp:${m.endpoint}:consumers:${m.destination}`, label: `consumers ← ${m.destination}` };
}
