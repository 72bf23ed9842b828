import type { Backoff } from '../common/backoff.ts';
import type { CaptureSink } from './types.ts';

/**
 * The reconnect loop of a subscriber-style tap (WebSocket tap, MQTT, NATS): the backoff
 * delay, the 'reconnecting' status that says it, and the gap the tap leaves. Such a tap is
 * one more subscriber, so nothing the source sent while it was away is replayed to it: the
 * time from a lost connection to the next subscription (or the stop) is recorded as a gap,
 * with a count nobody can know.
 */
export class TapReconnect {
  private timer: NodeJS.Timeout | null = null;
  private lostAt: { time: number; why: string } | null = null;

  constructor(
    private readonly backoff: Backoff,
    private readonly sink: CaptureSink,
    /** What the gap's detail says was not recorded, e.g. "frames the server sent". */
    private readonly missed: string,
  ) {}

  /** A connection that was recording is gone (not by the tap's own stop). */
  lost(why: string): void {
    this.lostAt ??= { time: Date.now(), why };
  }

  /** Recording again, or stopping while away: the gap since the loss, if any, is recorded. */
  recovered(): void {
    const lost = this.lostAt;
    this.lostAt = null;
    if (!lost) return;
    this.sink.gap?.({ start: lost.time, end: Date.now(), lost: null, reason: 'disconnected', detail: `${lost.why}; ${this.missed} until the tap was back were not recorded` });
  }

  schedule(why: string, connect: () => void): void {
    const delay = this.backoff.next();
    this.sink.status('reconnecting', `${why}; retrying in ${(delay / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => {
      this.timer = null;
      connect();
    }, delay);
  }

  /** Stops a scheduled retry; the tap is stopping. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
