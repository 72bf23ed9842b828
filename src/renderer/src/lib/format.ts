/** Display formatting shared by every view. Times are shown in the user's local zone. */

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 14:03:07.123 */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** 2024-05-01 14:03:07.123 */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(ms)}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A count in five characters at most, for an axis label or a narrow column: 9,999, then
 * 10k … 999k, 1M, 2.5M … 999M, 1G … (a chart's "490,000" was cut to "0,000" at its edge).
 * Where it stands for an exact figure, show formatCount in a title beside it.
 */
export function formatCountShort(n: number): string {
  if (!Number.isFinite(n) || Math.abs(n) < 10_000) return formatCount(n);
  const units = ['k', 'M', 'G', 'T'];
  // Rounded as shown: 999,999 is 1M, not 1000k.
  const shown = (v: number): number => (v < 9.95 ? Math.round(v * 10) / 10 : Math.round(v));
  let v = Math.abs(n) / 1000;
  let unit = 0;
  while (shown(v) >= 1000 && unit < units.length - 1) {
    v /= 1000;
    unit++;
  }
  return `${n < 0 ? '-' : ''}${shown(v)}${units[unit]}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** A latency or a duration: 0.42 ms, 12.3 ms, 1.20 s, 3 m 12 s. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m} m ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} m`;
}

/** A latency in a narrow table cell: 0.42ms, 29.6ms, 1.16s. */
export function formatMsShort(ms: number | null | undefined): string {
  return formatMs(ms).replace(' ms', 'ms').replace(' s', 's');
}

export function formatRate(perSec: number): string {
  if (perSec === 0) return '0/s';
  if (perSec < 0.1) return `${(perSec * 60).toFixed(1)}/min`;
  if (perSec < 10) return `${perSec.toFixed(1)}/s`;
  return `${formatCount(Math.round(perSec))}/s`;
}

export function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

/** Parses what a user types in a time field: a datetime-local value. Returns epoch ms or undefined. */
export function parseLocalDateTime(v: string): number | undefined {
  if (!v.trim()) return undefined;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? t : undefined;
}

/** Epoch ms → the value of an <input type="datetime-local" step="0.001">. */
export function toLocalDateTimeInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${formatClock(ms)}`;
}


export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
