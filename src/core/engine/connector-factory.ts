import type { EndpointSpec } from '../../shared/specs.ts';
import type { CaptureSink, Connector } from '../connectors/types.ts';

/**
 * Builds the connector for a user's endpoint spec. Each connector's module, and with it its
 * broker client (kafkajs, amqplib, mqtt, nats, ws), loads the first time an endpoint of its
 * kind is attached: a command or an engine that only reads sessions (inspect, export, a
 * reopened file) does not pay the ~0.5 s the five clients take to load.
 */
export async function createConnector(id: string, spec: EndpointSpec, sink: CaptureSink): Promise<Connector> {
  switch (spec.kind) {
    case 'ws-proxy': {
      // On its own thread: relaying never waits for the recording (issue 12).
      const { WsProxyThread } = await import('../connectors/ws/proxy-thread.ts');
      return new WsProxyThread({ id, listenPort: spec.listenPort, target: spec.target }, sink);
    }
    case 'ws-tap': {
      const { WsTapConnector } = await import('../connectors/ws/tap.ts');
      return new WsTapConnector({ id, url: spec.url, ...(spec.send ? { send: spec.send } : {}) }, sink);
    }
    case 'kafka': {
      const { KafkaConnector } = await import('../connectors/kafka/index.ts');
      return new KafkaConnector(
        { id, brokers: spec.brokers, topics: spec.topics, fromBeginning: spec.fromBeginning ?? false },
        sink,
      );
    }
    case 'amqp': {
      const { AmqpConnector } = await import('../connectors/amqp/index.ts');
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
    }
    case 'mqtt': {
      const { MqttTapConnector } = await import('../connectors/mqtt/tap.ts');
      return new MqttTapConnector({ id, url: spec.url, topics: spec.topics, ...(spec.protocolVersion ? { protocolVersion: spec.protocolVersion } : {}) }, sink);
    }
    case 'mqtt-proxy': {
      // On the relay thread, as the WebSocket proxy: relaying never waits for the recording.
      const { MqttProxyThread } = await import('../connectors/mqtt/proxy-thread.ts');
      return new MqttProxyThread({ id, listenPort: spec.listenPort, target: spec.target }, sink);
    }
    case 'nats': {
      const { NatsTapConnector } = await import('../connectors/nats/tap.ts');
      return new NatsTapConnector({ id, url: spec.url, subjects: spec.subjects, jetstream: spec.jetstream ?? false }, sink);
    }
    case 'nats-proxy': {
      const { NatsProxyConnector } = await import('../connectors/nats/proxy.ts');
      return new NatsProxyConnector({ id, listenPort: spec.listenPort, target: spec.target }, sink);
    }
  }
}
