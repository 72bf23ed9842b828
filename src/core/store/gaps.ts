import type { Database as Db } from 'better-sqlite3';
import { GAP_REASONS, type Gap, type GapReason } from '../../shared/model.ts';
import { GAPS_SQL } from './schema.ts';

interface GapRow {
  endpoint: string | null;
  start: number;
  end: number;
  lost: number | null;
  reason: string;
  detail: string | null;
}

/** Writes gaps in one transaction; the table is added first to a file written before it. */
export function addGaps(db: Db, gaps: readonly Gap[]): void {
  if (gaps.length === 0) return;
  db.transaction(() => {
    db.exec(GAPS_SQL);
    const stmt = db.prepare('INSERT INTO gaps (endpoint, start, end, lost, reason, detail) VALUES (?, ?, ?, ?, ?, ?)');
    for (const g of gaps) stmt.run(g.endpoint, g.start, g.end, g.lost, g.reason, g.detail);
  }).immediate(); // waits for the writer thread's lock instead of failing on a stale read
}

export function readGaps(db: Db): Gap[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'gaps'").get();
  if (!exists) return [];
  const rows = db.prepare('SELECT endpoint, start, end, lost, reason, detail FROM gaps ORDER BY start, rowid').all() as GapRow[];
  return rows.map((r) => ({
    endpoint: r.endpoint,
    start: r.start,
    end: r.end,
    lost: r.lost,
    // A reason a newer version wrote reads as the generic one.
    reason: (GAP_REASONS as readonly string[]).includes(r.reason) ? (r.reason as GapReason) : 'write-failed',
    detail: r.detail,
  }));
}
