import type { EndpointSpec } from '../../shared/specs.ts';
import type { JsonValue } from '../../shared/model.ts';
import { hidePassword } from './redact.ts';

export function endpointLabel(spec: EndpointSpec): string {
  switch (spec.kind) {
    case 'ws-proxy':
      return `ws proxy :${spec.listenPort} → ${hidePassword(spec.target)}`;
    case 'ws-tap':
      return `ws ${hidePassword(spec.url)}`;
    case 'kafka':
      return `kafka ${spec.brokers.join(',')} ${spec.topics.join(',')}`;
    case 'amqp':
      return `amqp ${hidePassword(spec.url)}${spec.exchanges.length ? ` ${spec.exchanges.join(',')}` : ''}`;
    case 'mqtt':
      return `mqtt ${hidePassword(spec.url)} ${spec.topics.join(',')}`;
    case 'mqtt-proxy':
      return `mqtt proxy :${spec.listenPort} → ${hidePassword(spec.target)}`;
    case 'nats':
      return `nats ${hidePassword(spec.url)} ${spec.subjects.join(',')}`;
    case 'nats-proxy':
      return `nats proxy :${spec.listenPort} → ${hidePassword(spec.target)}`;
  }
}

/** The endpoint settings as written into a session file: no credentials. */
export function storableConfig(spec: EndpointSpec): Record<string, JsonValue> {
  const copy = JSON.parse(JSON.stringify(spec)) as Record<string, JsonValue>;
  for (const k of ['url', 'target', 'managementUrl']) {
    const v = copy[k];
    if (typeof v === 'string') copy[k] = hidePassword(v);
  }
  return copy;
}
