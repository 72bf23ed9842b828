/**
 * Whether the firehose works. Tracing is switched per vhost on the broker
 * (`rabbitmqctl trace_on -p <vhost>`) and a client cannot ask whether it is on, so the
 * connector finds out: right after connecting it publishes a probe that only the
 * firehose can echo, and while recording, tap copies that no firehose event claims while
 * the firehose is silent mean tracing went off. Any trace event means it is on again.
 */
export class TraceHealth {
  private lastEventAt = 0;
  private lastProbeAt = 0;
  /** True while tracing looks off. */
  off = false;

  constructor(
    /** Called when `off` flips, to refresh the status message. */
    private readonly onChange: () => void,
    private readonly probeWaitMs = 3000,
    private readonly reprobeEveryMs = 10_000,
  ) {}

  /** A trace event arrived. */
  event(now: number): void {
    this.lastEventAt = now;
    if (this.off) this.set(false);
  }

  /**
   * Sends a probe via `send` (at most every reprobeEveryMs unless `initial`) and marks
   * tracing off when no trace event at all arrives within probeWaitMs. `current` says
   * whether the session that sent it is still the live one.
   */
  probe(send: () => void, current: () => boolean, initial: boolean): void {
    const now = Date.now();
    if (!initial && now - this.lastProbeAt < this.reprobeEveryMs) return;
    this.lastProbeAt = now;
    send();
    const t = setTimeout(() => {
      if (current() && this.lastEventAt < now && !this.off) this.set(true);
    }, this.probeWaitMs);
    t.unref();
  }

  /** Tap copies went unclaimed: if the firehose has been silent for `graceMs`, tracing is off. */
  unclaimed(now: number, graceMs: number, send: () => void, current: () => boolean): void {
    if (now - this.lastEventAt <= graceMs) return;
    if (!this.off) this.set(true);
    this.probe(send, current, false);
  }

  private set(off: boolean): void {
    this.off = off;
    this.onChange();
  }
}
