import { AuthenticationError, BadInputError, ConnectionError, type FlowscopeError, NotFoundError } from '../../common/errors.ts';
import { redactText } from '../../common/redact.ts';

/**
 * Turns a nats.js or socket error into a FlowscopeError a user can act on. nats.js gives
 * its errors a string `code` (ErrorCode in nats-base-client/core.d.ts), and that decides.
 */
export function natsError(err: unknown, where: string, secrets: readonly (string | null)[]): FlowscopeError {
  const e = (err ?? {}) as { message?: string; code?: unknown };
  const raw = redactText(String(e.message ?? err), secrets);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const opts = { cause: err, ...(code ? { code } : {}) };
  switch (code) {
    case 'AUTHORIZATION_VIOLATION':
    case 'AUTHENTICATION_EXPIRED':
    case 'AUTHENTICATION_TIMEOUT':
    case 'BAD_AUTHENTICATION':
    case 'BAD_CREDS':
    case 'ACCOUNT_EXPIRED':
      return new AuthenticationError(`the NATS server at ${where} refused the login (${raw})`, opts);
    case 'PERMISSIONS_VIOLATION':
      return new NotFoundError(`the NATS server at ${where} does not allow subscribing to these subjects (${raw})`, opts);
    case 'BAD_SUBJECT':
    case 'INVALID_OPTION':
      return new BadInputError(`NATS refused the settings: ${raw}`, opts);
    case 'CONNECTION_REFUSED':
    case 'ECONNREFUSED':
      return new ConnectionError(`cannot connect to ${where}: connection refused (is nats-server running on this port?)`, opts);
    case 'CONNECTION_TIMEOUT':
    case 'TIMEOUT':
      return new ConnectionError(`no answer from ${where} (timed out)`, opts);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError(`cannot resolve the host of ${where} (check the URL or your DNS)`, opts);
    default:
      return new ConnectionError(`NATS connection to ${where} failed: ${raw}`, opts);
  }
}
