import { AuthenticationError, causeChain, ConnectionError, errorText, FlowscopeError, isConnectionCode, systemCode } from '../../common/errors.ts';

/**
 * Kafka protocol error types (kafkajs `KafkaJSProtocolError.type`) that mean the
 * credentials or the permissions are wrong: retrying cannot fix them.
 */
const AUTH_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
]);

/** kafkajs classes (by `.name`) raised when a broker cannot be reached or the connection dropped. */
const CONNECTION_NAMES = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError']);

interface KafkaJsLike {
  name?: unknown;
  type?: unknown;
  code?: unknown;
}

/**
 * A kafkajs error as a FlowscopeError, decided by the kafkajs class name, protocol error
 * type and system error code along its cause chain (kafkajs wraps the failure that ended
 * its retries in KafkaJSNumberOfRetriesExceeded). The message is kafkajs's own, with its
 * cause when that says more. Anything not recognised stays retriable, as the tap rebuilds
 * itself after any other failure.
 */
export function kafkaError(err: unknown): FlowscopeError {
  if (err instanceof FlowscopeError) return err;
  const message = errorText(err);
  const code = systemCode(err);
  const opts = { cause: err, ...(code ? { code } : {}) };
  for (const e of causeChain(err) as KafkaJsLike[]) {
    if (e.name === 'KafkaJSSASLAuthenticationError' || AUTH_TYPES.has(String(e.type))) return new AuthenticationError(message, opts);
  }
  for (const e of causeChain(err) as KafkaJsLike[]) {
    if (CONNECTION_NAMES.has(String(e.name)) || isConnectionCode(e.code)) return new ConnectionError(message, opts);
  }
  return new FlowscopeError(message, opts);
}
