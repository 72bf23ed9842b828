import type { MessageEventKind, Transport } from '../../../shared/model.ts';
import type { EndpointStatus } from '../../../shared/model.ts';

const TRANSPORT_LABEL: Record<Transport, string> = { kafka: 'Kafka', amqp: 'AMQP', ws: 'WS', mqtt: 'MQTT', nats: 'NATS' };

export function TransportBadge({ transport }: { transport: Transport }) {
  return <span className={`badge transport-${transport}`}>{TRANSPORT_LABEL[transport]}</span>;
}

const EVENT_LABEL: Record<MessageEventKind, string> = {
  publish: 'publish',
  deliver: 'deliver',
  return: 'return',
  'frame-out': '→ out',
  'frame-in': '← in',
  open: 'open',
  close: 'close',
  error: 'error',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  ack: 'ack',
};

export function EventBadge({ event }: { event: MessageEventKind }) {
  return (
    <span className={`event event-${event}`} title={event}>
      {EVENT_LABEL[event]}
    </span>
  );
}

export function StatusDot({ status }: { status: EndpointStatus }) {
  return <span className={`status-dot status-${status}`} aria-hidden="true" />;
}
