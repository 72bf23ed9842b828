/**
 * Error classes for what the engine tells apart, so callers branch on a class and its
 * `retriable` flag, never on message text (the model is kafkajs's src/errors.js). The
 * message is always the sentence a user reads; connectors translate their client
 * library's errors into these (connectors/amqp/errors.ts, connectors/kafka/errors.ts).
 */

export interface FlowscopeErrorOptions {
  /** Whether trying again, unchanged, can succeed. */
  retriable?: boolean;
  cause?: unknown;
  /** A system error code behind it (ECONNREFUSED, ENOTFOUND, …), when there is one. */
  code?: string;
}

/** Base class: a failure with a readable message and whether retrying can help. */
export class FlowscopeError extends Error {
  readonly retriable: boolean;
  readonly code: string | undefined;

  constructor(message: string, { retriable = true, cause, code }: FlowscopeErrorOptions = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FlowscopeError';
    this.retriable = retriable;
    this.code = code;
  }
}

/** The peer is unreachable or the connection broke: refused, reset, timed out, unknown host. Retriable. */
export class ConnectionError extends FlowscopeError {
  constructor(message: string, options: Omit<FlowscopeErrorOptions, 'retriable'> = {}) {
    super(message, { ...options, retriable: true });
    this.name = 'ConnectionError';
  }
}

/** Credentials or permissions were refused. The user has to change the settings. */
export class AuthenticationError extends FlowscopeError {
  constructor(message: string, options: Omit<FlowscopeErrorOptions, 'retriable'> = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'AuthenticationError';
  }
}

/**
 * A named thing (vhost, exchange, queue, topic) does not exist. Not retriable by default;
 * a caller that knows the thing may come back (a broker restarting) passes `retriable`.
 */
export class NotFoundError extends FlowscopeError {
  constructor(message: string, options: FlowscopeErrorOptions = {}) {
    super(message, { retriable: false, ...options });
    this.name = 'NotFoundError';
  }
}

/** What the user typed cannot work: a malformed URL, an unknown scheme, a bad pattern. */
export class BadInputError extends FlowscopeError {
  constructor(message: string, options: Omit<FlowscopeErrorOptions, 'retriable'> = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'BadInputError';
  }
}

/** Node's system error codes that mean "cannot reach the peer, or lost it". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** Whether a system error code means the peer cannot be reached or the connection broke. */
export function isConnectionCode(code: unknown): boolean {
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/** The error and its `cause`s, outermost first (bounded, in case of a cycle). */
export function causeChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err; e !== null && e !== undefined && out.length < 8; e = (e as { cause?: unknown }).cause) {
    out.push(e);
  }
  return out;
}

/** The first string `code` (a system error code) along the cause chain. */
export function systemCode(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * An error's message for a user: its string code and its cause's message appended when
 * the message does not already say them ("read ECONNRESET", "… (ECONNREFUSED)").
 */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // Node reports a refused dual-stack connect (::1 and 127.0.0.1) as an AggregateError
  // with an empty message; its first error says what happened.
  const first = err instanceof AggregateError ? (err.errors[0] as Error | undefined) : undefined;
  let text = err.message || first?.message || err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && !text.includes(code)) text += ` (${code})`;
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message && !text.includes(cause.message)) text += ` (${cause.message})`;
  return text;
}
