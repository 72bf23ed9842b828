import type { StorageStatus } from '../shared/views.ts';
import { GAP_REASON_TEXT, pauseAdvice } from '../shared/gaps.ts';

const n = (v: number): string => v.toLocaleString('en-US');

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The live line while writes are paused: what was captured, stored, held and dropped. */
export function pausedLine(label: string, s: StorageStatus): string {
  const why = s.reason === 'disk-full' ? 'DISK FULL' : 'WRITE FAILED';
  return (
    `${label} PAUSED (${why}): ${n(s.captured)} captured, ${n(s.stored)} stored, ` +
    `${n(s.held)} held in memory (${mib(s.heldBytes)} of ${mib(s.budgetBytes)}), ${n(s.dropped)} dropped; retrying`
  );
}

/** The line that stays when writes pause or resume (printed once per change); `file` is the session's. */
export function storageNote(prev: StorageStatus | null, next: StorageStatus, file: string): string | null {
  if (next.state === 'paused' && prev?.state !== 'paused') {
    return `flowscope: ${next.message ?? 'writing paused'} ${pauseAdvice(next.reason, file)}`;
  }
  if (next.state === 'ok' && prev?.state === 'paused') {
    const secs = prev.since !== null ? ((Date.now() - prev.since) / 1000).toFixed(1) : '?';
    const lost = next.dropped - (prev.dropped ?? 0);
    return (
      `flowscope: writing resumed after ${secs} s; the gap is recorded in the session ` +
      `(${lost > 0 ? `${n(next.dropped)} message(s) lost in all` : 'no message lost'}, the held ones stored).`
    );
  }
  return null;
}

/**
 * The closing line of `record` and `demo`, and their exit status: non-zero when captured
 * messages did not reach the file, with the exact counts.
 */
export function closingLine(head: string, file: string, stored: number, s: StorageStatus | null): { line: string; code: number } {
  if (!s || (s.dropped === 0 && s.state === 'ok' && s.resumed === 0)) return { line: `${head}: ${n(stored)} messages in ${file}`, code: 0 };
  if (s.dropped === 0 && s.state === 'ok') {
    return {
      line: `${head}: ${n(stored)} messages in ${file}; writing paused ${s.resumed} time(s)${s.resumedReason ? ` (${GAP_REASON_TEXT[s.resumedReason]})` : ''}, no message lost, the gap(s) are recorded`,
      code: 0,
    };
  }
  const lost = s.captured - stored;
  const still =
    s.state !== 'paused'
      ? '; the gap is recorded in the session'
      : s.reason === 'disk-full'
        ? '; the disk is still full, so the gap could not be written into the file'
        : '; the file still cannot be written, so the gap could not be written into it';
  return {
    line: `${head}: captured ${n(s.captured)} messages, stored ${n(stored)} in ${file}: ${n(lost)} NOT STORED (${s.reason === 'write-failed' ? 'writes failed' : 'the disk was full'})${still}`,
    code: 1,
  };
}
