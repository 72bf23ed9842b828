import { BadInputError } from '../common/errors.ts';
import { hideUserinfo } from '../common/redact.ts';

/**
 * An endpoint's URL (a tap's broker, a proxy's target), parsed; one that is not a URL is
 * refused in words naming what it is for and what was expected, without its password.
 */
export function endpointUrl(value: string, what: string, expected: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new BadInputError(`${what} "${hideUserinfo(value)}" is not a URL; expected ${expected}`);
  }
}
