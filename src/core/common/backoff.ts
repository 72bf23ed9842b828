/**
 * Reconnect backoff with jitter, the one place that knows it (the model is kafkajs's
 * src/retry/): the delay doubles per failed attempt from `initialMs` up to `maxMs`, and
 * each delay is spread by ±`jitter` so many taps do not hammer a recovering broker in
 * lockstep.
 */

import { RECONNECT_JITTER } from './constants.ts';

export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number;
  /** Largest delay before jitter. */
  maxMs: number;
  /** Relative spread of each delay, 0 to 1 (default RECONNECT_JITTER). */
  jitter?: number;
  /** A source of numbers in [0, 1); injected by tests. */
  random?: () => number;
}

/** The delay before retry number `attempt` (0 for the first retry), jitter included. */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const jitter = opts.jitter ?? RECONNECT_JITTER;
  const random = opts.random ?? Math.random;
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** attempt);
  return Math.round(base * (1 - jitter + random() * 2 * jitter));
}

/** Counts failed attempts and hands out the delay before each next one. */
export class Backoff {
  private failed = 0;

  constructor(private readonly opts: BackoffOptions) {}

  /** Failed attempts since the last success. */
  get attempts(): number {
    return this.failed;
  }

  /** Records a failed attempt and returns how long to wait before the next one. */
  next(): number {
    const delay = backoffDelay(this.failed, this.opts);
    this.failed += 1;
    return delay;
  }

  /** A success: the next failure starts again from `initialMs`. */
  reset(): void {
    this.failed = 0;
  }
}

