/**
 * Range and shape limits for imported values, so a hostile or broken file is refused with
 * its line number instead of poisoning the session: a nesting too deep to serialise, an
 * int64 that is not one, a time no calendar can show.
 */

import { MAX_JSON_DEPTH } from '../common/constants.ts';

export { MAX_JSON_DEPTH } from '../common/constants.ts';

/** The last millisecond of year 9999: every time up to it has a four-digit ISO 8601 form. */
export const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT32_MAX = 2 ** 31 - 1;

/** True when `v` nests arrays or objects deeper than `max` levels. Iterative, so any depth is safe to ask about. */
export function nestedDeeperThan(v: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length > 0) {
    const [cur, depth] = stack.pop()!;
    if (cur === null || typeof cur !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(cur) ? cur : Object.values(cur)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Why `ms` cannot be a message time (epoch milliseconds), or null when it can. */
export function timeProblem(ms: number): string | null {
  if (!Number.isFinite(ms)) return 'is not a finite number';
  if (ms < 0) return 'is before 1970-01-01';
  if (ms > MAX_TIME_MS) return 'is after 9999-12-31';
  return null;
}

/** Why `text` (a decimal integer) cannot be a Kafka offset (int64), or null when it can. */
export function int64Problem(text: string): string | null {
  if (!/^-?\d+$/.test(text)) return 'must be an integer (a decimal string or a number)';
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? 'is outside the 64-bit range of Kafka offsets' : null;
}

/**
 * Why a JSON number cannot stand for an integer exactly, or null when it can. JSON.parse
 * has already rounded anything past 2^53, so such a number no longer says which integer
 * the file meant; a decimal string keeps every digit.
 */
export function exactIntegerProblem(n: number): string | null {
  if (!Number.isInteger(n)) return 'must be an integer';
  return Number.isSafeInteger(n) ? null : 'is too large to be exact as a JSON number (write it as a decimal string)';
}

/** Why `n` cannot be a Kafka partition (a non-negative int32), or null when it can. */
export function partitionProblem(n: unknown): string | null {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= INT32_MAX ? null : 'must be an integer from 0 to 2147483647';
}
