import type { EndpointSpec } from '../../shared/specs.ts';
import type { JsonValue } from '../../shared/model.ts';
import { hideSecretParams } from './redact.ts';

/**
 * A URL fit for labels, logs and session files: the password and the values of
 * credential-looking query parameters are removed; the user name stays, since it helps to
 * tell endpoints apart.
 */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.password = '';
    return hideSecretParams(u).toString();
  } catch {
    return raw.replace(/\/\/[^/]*@/, '//').replace(/([?&][^=&]*(?:token|secret|pass|auth|key)[^=&]*=)[^&]*/gi, '$1redacted');
  }
}

export function endpointLabel(spec: EndpointSpec): string {
  switch (spec.kind) {
    case 'ws-proxy':
      return `ws proxy :${spec.listenPort} → ${redactUrl(spec.target)}`;
    case 'ws-tap':
      return `ws ${redactUrl(spec.url)}`;
    case 'kafka':
      return `kafka ${spec.brokers.join(',')} ${spec.topics.join(',')}`;
    case 'amqp':
      return `amqp ${redactUrl(spec.url)}${spec.exchanges.length ? ` ${spec.exchanges.join(',')}` : ''}`;
  }
}

/** The endpoint settings as written into a session file: no credentials. */
export function storableConfig(spec: EndpointSpec): Record<string, JsonValue> {
  const copy = JSON.parse(JSON.stringify(spec)) as Record<string, JsonValue>;
  for (const k of ['url', 'target', 'managementUrl']) {
    const v = copy[k];
    if (typeof v === 'string') copy[k] = redactUrl(v);
  }
  return copy;
}
