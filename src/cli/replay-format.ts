import type { ReplayReport, ReplaySpeed, ReplayStatus, PlannedSend } from '../core/replay/types.ts';
import { summarizeReport } from '../core/replay/tally.ts';

/** `--speed 1|2.5|max` → a speed; throws with a message for the user. */
export function parseSpeed(text: string | undefined): ReplaySpeed {
  if (text === undefined) return 1;
  if (text.toLowerCase() === 'max') return 'max';
  const n = Number(text.replace(/x$/i, ''));
  if (!Number.isFinite(n) || n <= 0 || n > 10_000) throw new Error(`--speed must be a positive number up to 10000 or "max", not "${text}".`);
  return n;
}

/** `--map FROM=TO` (repeatable) → a mapping; the first `=` splits, so TO may contain `=`. */
export function parseMapArgs(values: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new Error(`--map takes FROM=TO (e.g. --map orders=orders-replay), not "${v}".`);
    const from = v.slice(0, i);
    if (map[from] !== undefined) throw new Error(`--map ${from}=… is given twice.`);
    map[from] = v.slice(i + 1);
  }
  return map;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** One line of progress: counts, percentage and ETA. */
export function progressText(target: string, p: ReplayStatus): string {
  const pct = p.total ? Math.floor(((p.sent + p.failed) / p.total) * 100) : 100;
  const eta = p.etaMs === null ? 'ETA …' : `ETA ${formatDuration(p.etaMs)}`;
  return `replay → ${target}: ${p.sent}/${p.total} sent (${pct}%)${p.failed ? `, ${p.failed} failed` : ''}, ${eta}`;
}

/**
 * Prints progress for the CLI. On a terminal it rewrites one line (at most as often as the
 * replayer reports, ≤ 10/s); elsewhere (a log file, CI) it prints a line every 5 s.
 */
export function createProgressPrinter(target: string, stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let last = 0;
  let drawn = false;
  return {
    update(p: ReplayStatus): void {
      if (p.state !== 'running') return;
      const line = progressText(target, p);
      if (tty) {
        stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, (stream.columns ?? 100) - 1))}`);
        drawn = true;
      } else if (Date.now() - last >= 5000) {
        last = Date.now();
        stream.write(`${line}\n`);
      }
    },
    /** Clears the progress line before the final report is printed. */
    end(): void {
      if (tty && drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

/** A dry run's line for one message. */
export function formatPlan(p: PlannedSend): string {
  const at = `+${(p.atMs / 1000).toFixed(3)}s`;
  const what = p.action === 'send' ? `${p.size} B` : p.action;
  const route = p.from === p.to ? p.to : `${p.from} → ${p.to}`;
  return `${at.padStart(10)}  #${p.seq}  ${p.transport} ${route}  ${p.detail}  ${what}`;
}

/** The final report as the CLI prints it; the summary line defaults to what the report says. */
export function formatReport(r: ReplayReport, summary?: string): string {
  const lines = [summary || summarizeReport(r)];
  const dests = Object.entries(r.byDestination).sort((a, b) => b[1].sent - a[1].sent);
  for (const [name, c] of dests) {
    lines.push(`  ${name}: ${c.sent} ${r.dryRun ? 'to send' : 'sent'}${c.failed ? `, ${c.failed} failed` : ''}`);
  }
  if (r.state === 'cancelled' && r.lastSeq) lines.push(`  every message up to #${r.lastSeq} was sent.`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}
