import { BadInputError } from '../../common/errors.ts';
import { maskPassword } from '../../common/redact.ts';

/**
 * AMQP URL handling. Passwords must never reach a status message, an endpoint label, a
 * log line or a session file, so every URL shown goes through common/redact.ts.
 */

export interface AmqpTarget {
  protocol: 'amqp' | 'amqps';
  host: string;
  port: number;
  /** Decoded user name (amqplib's default is guest when the URL carries none). */
  user: string;
  /** Virtual host as the broker names it: '/' for an empty path, like amqplib. */
  vhost: string;
  /** The URL without its password, for labels and messages. */
  safeUrl: string;
}

export class AmqpUrlError extends BadInputError {
  constructor(message: string) {
    super(message);
    this.name = 'AmqpUrlError';
  }
}

/** Parses an amqp:// or amqps:// URL; the error message never includes the password. */
export function parseAmqpUrl(url: string): AmqpTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AmqpUrlError(`'${maskPassword(url)}' is not a valid URL; expected amqp://user:password@host:5672/vhost`);
  }
  const protocol = u.protocol.replace(/:$/, '');
  if (protocol !== 'amqp' && protocol !== 'amqps') {
    throw new AmqpUrlError(`'${maskPassword(url)}' is not an AMQP URL: it must start with amqp:// or amqps://`);
  }
  if (!u.hostname) throw new AmqpUrlError(`'${maskPassword(url)}' has no host name`);
  const user = u.username || u.password ? safeDecode(u.username) : 'guest';
  // amqplib maps an empty path to the '/' vhost and URL-decodes the rest ('%2f' → '/').
  const path = u.pathname.replace(/^\//, '');
  const vhost = path ? safeDecode(path) : '/';
  return {
    protocol,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : protocol === 'amqp' ? 5672 : 5671,
    user,
    vhost,
    safeUrl: maskPassword(url),
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
