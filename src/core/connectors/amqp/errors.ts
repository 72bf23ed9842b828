import type { AmqpTarget } from './url.ts';
import { scrub } from './url.ts';

/**
 * What went wrong, in words a user can act on. `config` errors (wrong credentials, missing
 * vhost, exchange or queue) will not fix themselves by retrying, so they end a start that
 * never recorded; after a recording has run they are retried, because a broker restart
 * legitimately makes non-durable exchanges and freshly started vhosts briefly unavailable.
 */
export interface AmqpProblem {
  message: string;
  kind: 'config' | 'network' | 'broker';
}

interface ErrLike {
  message?: string;
  code?: string | number;
  classId?: number;
  methodId?: number;
}

/** Turns an amqplib / socket error into a user-facing problem. `what` names the operation. */
export function describeAmqpError(err: unknown, target: AmqpTarget, password: string | null, what?: string): AmqpProblem {
  const e = (err ?? {}) as ErrLike;
  const raw = scrub(String(e.message ?? err), password);
  const where = `${target.host}:${target.port}`;
  const code = typeof e.code === 'string' ? e.code : undefined;

  // Handshake refusals. amqplib 2 reports "Handshake terminated by server: 403 (ACCESS-REFUSED)".
  if (/ACCESS[-_]REFUSED/.test(raw) && /Handshake|Login/i.test(raw)) {
    return { kind: 'config', message: `RabbitMQ refused the login for user '${target.user}' (wrong user name or password)` };
  }
  // connection.open refused: amqplib hides the reply text ("Expected ConnectionOpenOk; got
  // <ConnectionClose …>"). RabbitMQ refuses open for an unknown vhost or a user without access to it.
  if (/Expected ConnectionOpenOk/.test(raw) || /NOT_ALLOWED.*vhost/i.test(raw)) {
    return {
      kind: 'config',
      message: `vhost '${target.vhost}' does not exist or user '${target.user}' has no access to it`,
    };
  }
  if (code === 'ECONNREFUSED') {
    return { kind: 'network', message: `cannot connect to ${where}: connection refused (is RabbitMQ running and listening on this port?)` };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { kind: 'network', message: `cannot resolve host '${target.host}' (check the URL or your DNS)` };
  }
  if (code === 'ETIMEDOUT' || /ETIMEDOUT/.test(raw)) {
    return { kind: 'network', message: `no answer from ${where} (timed out; wrong host, or a firewall?)` };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return { kind: 'network', message: `cannot reach ${where} (${code === 'EHOSTUNREACH' ? 'host' : 'network'} unreachable)` };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return { kind: 'network', message: `the connection to ${where} was reset` };
  }
  if (/Socket closed abruptly|Unexpected close/i.test(raw) && /handshake/i.test(raw)) {
    return {
      kind: 'network',
      message: `${where} closed the connection during the AMQP handshake (is this an AMQP 0-9-1 port? for TLS use amqps://)`,
    };
  }
  if (/CONNECTION[-_]FORCED/.test(raw)) {
    return { kind: 'broker', message: 'RabbitMQ closed the connection (the broker is stopping or restarting, or an operator closed it)' };
  }
  if (/Heartbeat timeout/i.test(raw)) {
    return { kind: 'network', message: `${where} stopped answering (heartbeat timeout)` };
  }
  if (/NOT[-_]FOUND/.test(raw)) {
    const m = /no (exchange|queue) '([^']*)' in vhost '([^']*)'/.exec(raw);
    if (m) return { kind: 'config', message: `${m[1]} '${m[2]}' does not exist in vhost '${m[3]}'` };
  }
  if (/ACCESS[-_]REFUSED/.test(raw) && /amq\.rabbitmq\.trace/.test(raw)) {
    return {
      kind: 'config',
      message: `user '${target.user}' may not read the firehose (exchange amq.rabbitmq.trace) in vhost '${target.vhost}': grant read permission on it, or record without the firehose`,
    };
  }
  if (/ACCESS[-_]REFUSED/.test(raw)) {
    const text = /ACCESS_REFUSED - ([^"]*)/.exec(raw)?.[1] ?? raw;
    return { kind: 'config', message: `RabbitMQ refused ${what ?? 'an operation'} for user '${target.user}': ${text}` };
  }
  if (code && /^ERR_TLS|CERT|SSL/.test(code)) {
    return { kind: 'network', message: `TLS to ${where} failed: ${raw}` };
  }
  return { kind: 'broker', message: what ? `${what} failed: ${raw}` : raw };
}
