import { AuthenticationError, ConnectionError, FlowscopeError, NotFoundError } from '../../common/errors.ts';
import { redactText } from '../../common/redact.ts';
import type { AmqpTarget } from './url.ts';

/** AMQP 0-9-1 reply codes that amqplib puts in `code` of channel and connection close errors. */
const REPLY = { CONNECTION_FORCED: 320, ACCESS_REFUSED: 403, NOT_FOUND: 404, NOT_ALLOWED: 530 } as const;

interface ErrLike {
  message?: string;
  code?: string | number;
}

/**
 * Turns an amqplib / socket error into a FlowscopeError whose message a user can act on;
 * `what` names the operation. Not retriable: wrong credentials, a missing vhost, exchange
 * or queue, a missing permission. Those end a start that never recorded; after a recording
 * has run the connector retries them anyway, because a broker restart legitimately makes
 * non-durable exchanges and freshly started vhosts briefly unavailable.
 *
 * amqplib gives close errors a numeric reply `code` and socket errors a system `code`, and
 * those decide. Its handshake failures, its own connect timeout and a heartbeat timeout are
 * plain Errors with nothing but text ("Handshake terminated by server: 403 (ACCESS-REFUSED)",
 * "Expected ConnectionOpenOk; got <ConnectionClose …>"), so those alone are read by text.
 */
export function amqpError(err: unknown, target: AmqpTarget, password: string | null, what?: string): FlowscopeError {
  const e = (err ?? {}) as ErrLike;
  const raw = redactText(String(e.message ?? err), [password]);
  const where = `${target.host}:${target.port}`;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const reply = typeof e.code === 'number' ? e.code : undefined;
  const opts = { cause: err, ...(code ? { code } : {}) };

  if (/ACCESS[-_]REFUSED/.test(raw) && /Handshake|Login/i.test(raw)) {
    return new AuthenticationError(`RabbitMQ refused the login for user '${target.user}' (wrong user name or password)`, opts);
  }
  // connection.open refused: amqplib hides the reply text. RabbitMQ refuses open for an
  // unknown vhost or a user without access to it.
  if (/Expected ConnectionOpenOk/.test(raw) || (reply === REPLY.NOT_ALLOWED && /vhost/i.test(raw))) {
    return new NotFoundError(`vhost '${target.vhost}' does not exist or user '${target.user}' has no access to it`, opts);
  }
  if (code === 'ECONNREFUSED') {
    return new ConnectionError(`cannot connect to ${where}: connection refused (is RabbitMQ running and listening on this port?)`, opts);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectionError(`cannot resolve host '${target.host}' (check the URL or your DNS)`, opts);
  }
  if (code === 'ETIMEDOUT' || /ETIMEDOUT/.test(raw)) {
    return new ConnectionError(`no answer from ${where} (timed out; wrong host, or a firewall?)`, opts);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new ConnectionError(`cannot reach ${where} (${code === 'EHOSTUNREACH' ? 'host' : 'network'} unreachable)`, opts);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new ConnectionError(`the connection to ${where} was reset`, opts);
  }
  if (/Socket closed abruptly|Unexpected close/i.test(raw) && /handshake/i.test(raw)) {
    return new ConnectionError(
      `${where} closed the connection during the AMQP handshake (is this an AMQP 0-9-1 port? for TLS use amqps://)`,
      opts,
    );
  }
  if (reply === REPLY.CONNECTION_FORCED) {
    return new ConnectionError('RabbitMQ closed the connection (the broker is stopping or restarting, or an operator closed it)', opts);
  }
  if (/Heartbeat timeout/i.test(raw)) {
    return new ConnectionError(`${where} stopped answering (heartbeat timeout)`, opts);
  }
  if (reply === REPLY.NOT_FOUND) {
    const m = /no (exchange|queue) '([^']*)' in vhost '([^']*)'/.exec(raw);
    if (m) return new NotFoundError(`${m[1]} '${m[2]}' does not exist in vhost '${m[3]}'`, opts);
  }
  if (reply === REPLY.ACCESS_REFUSED && /amq\.rabbitmq\.trace/.test(raw)) {
    return new AuthenticationError(
      `user '${target.user}' may not read the firehose (exchange amq.rabbitmq.trace) in vhost '${target.vhost}': grant read permission on it, or record without the firehose`,
      opts,
    );
  }
  if (reply === REPLY.ACCESS_REFUSED) {
    const text = /ACCESS_REFUSED - ([^"]*)/.exec(raw)?.[1] ?? raw;
    return new AuthenticationError(`RabbitMQ refused ${what ?? 'an operation'} for user '${target.user}': ${text}`, opts);
  }
  if (code && /^ERR_TLS|CERT|SSL/.test(code)) {
    return new ConnectionError(`TLS to ${where} failed: ${raw}`, opts);
  }
  return new FlowscopeError(what ? `${what} failed: ${raw}` : raw, opts);
}
