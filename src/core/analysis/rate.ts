/**
 * Messages per second over the last `windowSec` seconds of message time, in fixed memory:
 * one counter per second, reused as time moves on.
 */
export class RateMeter {
  private readonly slots: Float64Array;
  private last = -Infinity;

  constructor(private readonly windowSec: number) {
    this.slots = new Float64Array(windowSec);
  }

  add(time: number, n = 1): void {
    const b = Math.floor(time / 1000);
    if (b > this.last) {
      const clear = this.last === -Infinity ? this.windowSec : Math.min(this.windowSec, b - this.last);
      for (let i = 1; i <= clear; i++) this.slots[mod(this.last === -Infinity ? b - i + 1 : this.last + i, this.windowSec)] = 0;
      this.last = b;
    } else if (b <= this.last - this.windowSec) {
      return;
    }
    this.slots[mod(b, this.windowSec)]! += n;
  }

  /** Average rate over the window ending at `now` (ms). */
  rate(now: number): number {
    const nb = Math.floor(now / 1000);
    let sum = 0;
    // Counted by slot, not by `b++`: past 2^53 s (a time of 1e300) b++ no longer moves b.
    for (let i = this.windowSec - 1; i >= 0; i--) {
      const b = nb - i;
      if (b > this.last || b <= this.last - this.windowSec) continue;
      sum += this.slots[mod(b, this.windowSec)]!;
    }
    return Math.round((sum / this.windowSec) * 1000) / 1000;
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
