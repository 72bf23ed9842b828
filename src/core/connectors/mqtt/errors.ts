import { AuthenticationError, BadInputError, ConnectionError, type FlowscopeError, NotFoundError, systemCode } from '../../common/errors.ts';
import { redactText } from '../../common/redact.ts';

/**
 * CONNACK return codes of MQTT 3.1.1 (§3.2.2.3) and reason codes of MQTT 5 (§2.4) that mean
 * the settings must change; mqtt.js puts them in `code` of the connect error.
 */
const AUTH_CODES = new Set([4, 5, 0x86, 0x87, 0x8c]);
const REFUSED_CODES = new Set([1, 2, 0x84, 0x85, 0x8a, 0x95, 0x9a]);

/**
 * Turns an mqtt.js or socket error into a FlowscopeError a user can act on, decided by the
 * numeric reason code or the system error code, never by message text.
 */
export function mqttError(err: unknown, where: string, password: string | null): FlowscopeError {
  const e = (err ?? {}) as { message?: string; code?: string | number };
  const raw = redactText(String(e.message ?? err), [password]);
  const reason = typeof e.code === 'number' ? e.code : undefined;
  const code = systemCode(err);
  const opts = { cause: err, ...(code ? { code } : {}) };
  if (reason !== undefined && AUTH_CODES.has(reason)) {
    return new AuthenticationError(`the MQTT broker at ${where} refused the login (reason ${reason}: ${raw})`, opts);
  }
  if (reason !== undefined && REFUSED_CODES.has(reason)) {
    return new BadInputError(`the MQTT broker at ${where} refused the connection (reason ${reason}: ${raw})`, opts);
  }
  if (code === 'ECONNREFUSED') return new ConnectionError(`cannot connect to ${where}: connection refused (is the MQTT broker running on this port?)`, opts);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ConnectionError(`cannot resolve the host of ${where} (check the URL or your DNS)`, opts);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ConnectionError(`the connection to ${where} was reset`, opts);
  if (code === 'ETIMEDOUT') return new ConnectionError(`no answer from ${where} (timed out)`, opts);
  return new ConnectionError(`MQTT connection to ${where} failed: ${raw}`, opts);
}

/** A SUBACK refusal (reason ≥ 0x80) for one filter. */
export function subscribeRefused(filter: string, reason: number): FlowscopeError {
  const why = reason === 0x87 ? 'not authorized' : reason === 0x8f ? 'topic filter invalid' : reason === 0xa1 ? 'subscription identifiers not supported' : reason === 0xa2 ? 'wildcards not supported' : `reason ${reason}`;
  return new NotFoundError(`the MQTT broker refused the subscription to '${filter}' (${why})`);
}
