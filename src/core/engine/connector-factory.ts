import type { EndpointSpec } from '../../shared/specs.ts';
import type { CaptureSink, Connector } from '../connectors/types.ts';
import { WsProxyThread } from '../connectors/ws/proxy-thread.ts';
import { WsTapConnector } from '../connectors/ws/tap.ts';
import { KafkaConnector } from '../connectors/kafka/index.ts';
import { AmqpConnector } from '../connectors/amqp/index.ts';
import { MqttTapConnector } from '../connectors/mqtt/tap.ts';
import { MqttProxyThread } from '../connectors/mqtt/proxy-thread.ts';
import { NatsTapConnector } from '../connectors/nats/tap.ts';
import { NatsProxyConnector } from '../connectors/nats/proxy.ts';

/** Builds the connector for a user's endpoint spec. */
export function createConnector(id: string, spec: EndpointSpec, sink: CaptureSink): Connector {
  switch (spec.kind) {
    case 'ws-proxy':
      // On its own thread: relaying never waits for the recording (issue 12).
      return new WsProxyThread({ id, listenPort: spec.listenPort, target: spec.target }, sink);
    case 'ws-tap':
      return new WsTapConnector({ id, url: spec.url, ...(spec.send ? { send: spec.send } : {}) }, sink);
    case 'kafka':
      return new KafkaConnector(
        { id, brokers: spec.brokers, topics: spec.topics, fromBeginning: spec.fromBeginning ?? false },
        sink,
      );
    case 'amqp':
      return new AmqpConnector(
        {
          id,
          url: spec.url,
          exchanges: spec.exchanges,
          queues: spec.queues ?? [],
          firehose: spec.firehose ?? false,
          durableTap: spec.durableTap ?? false,
          ...(spec.managementUrl !== undefined ? { managementUrl: spec.managementUrl } : {}),
        },
        sink,
      );
    case 'mqtt':
      return new MqttTapConnector({ id, url: spec.url, topics: spec.topics, ...(spec.protocolVersion ? { protocolVersion: spec.protocolVersion } : {}) }, sink);
    case 'mqtt-proxy':
      // On the relay thread, as the WebSocket proxy: relaying never waits for the recording.
      return new MqttProxyThread({ id, listenPort: spec.listenPort, target: spec.target }, sink);
    case 'nats':
      return new NatsTapConnector({ id, url: spec.url, subjects: spec.subjects, jetstream: spec.jetstream ?? false }, sink);
    case 'nats-proxy':
      return new NatsProxyConnector({ id, listenPort: spec.listenPort, target: spec.target }, sink);
  }
}
