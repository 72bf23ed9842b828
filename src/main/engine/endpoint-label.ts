import type { EndpointSpec } from '../../shared/specs.ts';
import type { JsonValue } from '../../shared/model.ts';

/** Removes user info (and with it any password) from a URL, for labels, logs and files. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '';
    if (u.username) u.username = u.username ? `${u.username}` : '';
    // Keep the user name (it helps to tell endpoints apart) but never the password.
    return u.toString().replace(/:@/, '@');
  } catch {
    return raw.replace(/\/\/[^@/]*@/, '//');
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
