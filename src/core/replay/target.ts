import { BadInputError } from '../common/errors.ts';
import { hidePassword, passwordOf, redactText } from '../common/redact.ts';

export type ReplayTarget =
  | { transport: 'kafka'; brokers: string[]; url: string }
  | { transport: 'amqp'; url: string; host: string; port: number; vhost: string; username: string }
  | { transport: 'ws'; url: URL }
  | { transport: 'mqtt'; url: string; host: string; port: number }
  | { transport: 'nats'; url: string; host: string; port: number };

/** A target URL the user typed is wrong; the message says how. */
export class ReplayTargetError extends BadInputError {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayTargetError';
  }
}

/**
 * Parses `kafka://host:port[,host:port]`, `amqp(s)://[user:pass@]host[:port][/vhost]` and
 * `ws(s)://host[:port][/path]`, `mqtt(s)://[user:pass@]host[:port]` and
 * `nats://[user:pass@|token@]host[:port]`. Kafka takes a broker list, which `URL` cannot parse.
 */
export function parseTarget(to: string): ReplayTarget {
  const scheme = /^([a-z]+):\/\//i.exec(to)?.[1]?.toLowerCase();
  if (scheme === 'kafka') {
    const rest = to.slice('kafka://'.length).replace(/\/+$/, '');
    const brokers = rest.split(',').map((b) => b.trim()).filter(Boolean);
    if (brokers.length === 0) throw new ReplayTargetError('kafka:// needs at least one broker, e.g. kafka://127.0.0.1:9092');
    return {
      transport: 'kafka',
      url: to,
      brokers: brokers.map((b) => {
        if (/^\[[^\]]+\]$|^[^:[\]]+$/.test(b)) return `${b}:9092`;
        if (!/^(\[[^\]]+\]|[^:[\]/]+):\d{1,5}$/.test(b)) throw new ReplayTargetError(`kafka:// broker "${b}" is not host:port`);
        return b;
      }),
    };
  }
  if (scheme === 'amqp' || scheme === 'amqps') {
    const u = parseUrl(to);
    const vhost = decodeURIComponent(u.pathname.replace(/^\//, '')) || '/';
    return {
      transport: 'amqp',
      url: to,
      host: u.hostname,
      port: Number(u.port || (scheme === 'amqps' ? 5671 : 5672)),
      vhost,
      username: decodeURIComponent(u.username) || 'guest',
    };
  }
  if (scheme === 'ws' || scheme === 'wss') return { transport: 'ws', url: parseUrl(to) };
  if (scheme === 'mqtt' || scheme === 'mqtts') {
    const u = parseUrl(to);
    return { transport: 'mqtt', url: to, host: u.hostname, port: Number(u.port || (scheme === 'mqtts' ? 8883 : 1883)) };
  }
  if (scheme === 'nats') {
    const u = parseUrl(to);
    return { transport: 'nats', url: to, host: u.hostname, port: Number(u.port || 4222) };
  }
  throw new ReplayTargetError(`Cannot replay to "${hidePassword(to)}": the target must be kafka://, amqp(s)://, ws(s)://, mqtt(s):// or nats://.`);
}

function parseUrl(to: string): URL {
  try {
    return new URL(to);
  } catch {
    throw new ReplayTargetError(`"${hidePassword(to)}" is not a valid URL.`);
  }
}

/** The target as shown to the user: never with its password. */
export function targetLabel(to: string): string {
  return hidePassword(to);
}

/**
 * Removes a target's credentials from a message a client library produced (some echo the
 * URL they were given).
 */
export function scrubCredentials(message: string, to: string): string {
  return redactText(message, [passwordOf(to)]);
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0', '::', '[::]']);

/** host:port with the loopback names folded together, so 127.0.0.1 and localhost compare equal. */
export function hostKey(host: string, port: number | string): string {
  const h = host.toLowerCase();
  return `${LOCAL_HOSTS.has(h) ? 'loopback' : h}:${port}`;
}
