import type { StoredMessage } from '../../shared/model.ts';
import type { DestinationStats } from '../../shared/views.ts';

/** Distinct destinations counted at most; past this the tally gives up and the store is asked. */
const MAX_DESTINATIONS = 20_000;

/**
 * Messages and bytes per destination, as the store's `destinations()` counts them, kept by
 * the analysis so a reopened session lists its destinations without a scan of every row
 * (issue 12: what a reopen costs follows what is shown, not the session's size).
 */
export class DestinationTally {
  /** destination → its rows (one per transport and kind: usually one). */
  private readonly rows = new Map<string, DestinationStats[]>();
  private size = 0;
  private overflow = false;
  /** The row the last message counted in (absent from snapshots of an older build: read as none). */
  private last: DestinationStats | null = null;

  add(m: StoredMessage): void {
    if (this.overflow) return;
    // Runs of one destination are the common case: its row without a lookup.
    const last = this.last;
    if (last != null && last.destination === m.destination && last.transport === m.transport && last.destKind === m.destKind) {
      count(last, m);
      return;
    }
    let list = this.rows.get(m.destination);
    if (!list) this.rows.set(m.destination, (list = []));
    let row: DestinationStats | undefined;
    for (const r of list) if (r.transport === m.transport && r.destKind === m.destKind) row = r;
    if (!row) {
      if (this.size >= MAX_DESTINATIONS) {
        this.overflow = true;
        this.rows.clear();
        this.last = null;
        return;
      }
      this.size += 1;
      row = { transport: m.transport, destKind: m.destKind, destination: m.destination, count: 0, bytes: 0, firstTime: m.time, lastTime: m.time };
      list.push(row);
    }
    this.last = row;
    count(row, m);
  }

  /** Every destination, busiest first; null once there were too many to count. */
  list(): DestinationStats[] | null {
    if (this.overflow) return null;
    const out: DestinationStats[] = [];
    for (const list of this.rows.values()) for (const r of list) out.push({ ...r });
    return out.sort(
      (a, b) =>
        b.count - a.count ||
        a.transport.localeCompare(b.transport) ||
        a.destKind.localeCompare(b.destKind) ||
        a.destination.localeCompare(b.destination),
    );
  }
}

function count(row: DestinationStats, m: StoredMessage): void {
  row.count += 1;
  row.bytes += m.size ?? m.payload.byteLength;
  if (m.time < row.firstTime) row.firstTime = m.time;
  if (m.time > row.lastTime) row.lastTime = m.time;
}
