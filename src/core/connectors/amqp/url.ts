/**
 * AMQP URL handling. Passwords must never reach a status message, an endpoint label, a
 * log line or a session file, so everything user-visible goes through `redactUrl` or
 * `scrub`.
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

export class AmqpUrlError extends Error {
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
    throw new AmqpUrlError(`'${redactUrl(url)}' is not a valid URL; expected amqp://user:password@host:5672/vhost`);
  }
  const protocol = u.protocol.replace(/:$/, '');
  if (protocol !== 'amqp' && protocol !== 'amqps') {
    throw new AmqpUrlError(`'${redactUrl(url)}' is not an AMQP URL: it must start with amqp:// or amqps://`);
  }
  if (!u.hostname) throw new AmqpUrlError(`'${redactUrl(url)}' has no host name`);
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
    safeUrl: redactUrl(url),
  };
}

/** The URL with its password replaced by `***`. Works on strings that are not quite URLs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Not parseable: blank out anything between "//user:" and "@".
    return url.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
  }
}

/** Removes the password (raw and URL-encoded forms) and any embedded URL password from a text. */
export function scrub(text: string, password: string | null): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
  if (password && password.length >= 3) {
    for (const form of new Set([password, encodeURIComponent(password)])) out = out.split(form).join('***');
  }
  return out;
}

/** The decoded password of a URL, or null; kept only in memory to scrub messages. */
export function passwordOf(url: string): string | null {
  try {
    const p = new URL(url).password;
    return p ? safeDecode(p) : null;
  } catch {
    return null;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
