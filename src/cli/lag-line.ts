import type { EndpointView } from '../shared/views.ts';

/**
 * Each endpoint's consumer lag as `flowscope record`'s live line shows it:
 * `kafka-1: lag 12,345 records` while catching up, `kafka-1: lag 0` once caught up. Endpoints
 * that report no lag (everything but Kafka) are left out.
 */
export class LagLine {
  private readonly lags = new Map<string, number>();

  /** Takes an endpoint's latest view; true when its lag has just reached 0 (caught up). */
  update(e: EndpointView): boolean {
    if (e.lag === undefined) return false;
    const before = this.lags.get(e.id);
    this.lags.set(e.id, e.lag);
    return e.lag === 0 && before !== undefined && before > 0;
  }

  /** `` when no endpoint reports a lag. */
  get text(): string {
    return [...this.lags].map(([id, lag]) => `${id}: ${lagText(lag)}`).join(', ');
  }
}

export function lagText(lag: number): string {
  return lag === 0 ? 'lag 0' : `lag ${lag.toLocaleString('en-US')} record${lag === 1 ? '' : 's'}`;
}
