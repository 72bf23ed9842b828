import type { Gap, GapReason } from './model.ts';

/** Gaps in words, the same in the CLI (`inspect`) and the UI (timeline, Messages banner). */
export const GAP_REASON_TEXT: Record<GapReason, string> = {
  'disk-full': 'disk full',
  'write-failed': 'writes failed',
  disconnected: 'disconnected',
};

/** How many messages a gap lost, in words. */
export function gapLostText(g: Pick<Gap, 'lost' | 'reason'>): string {
  if (g.lost === null) return g.reason === 'disconnected' ? 'messages published meanwhile not recorded (count unknown)' : 'count unknown';
  return g.lost === 0 ? 'no message lost' : `${g.lost.toLocaleString('en-US')} message${g.lost === 1 ? '' : 's'} not stored`;
}

/** Length of a gap in seconds, one decimal. */
export function gapSeconds(g: Pick<Gap, 'start' | 'end'>): string {
  return `${(Math.max(0, g.end - g.start) / 1000).toFixed(1)} s`;
}

/**
 * What a user can do about a recording whose writes paused, the same in the CLI and the UI:
 * a full disk needs space; any other write error (a read-only remount, an I/O error, a file
 * whose permissions changed) needs the file to be writable again, and freeing space would
 * not help.
 */
export function pauseAdvice(reason: GapReason | null, file: string): string {
  if (reason === 'disk-full') return `Free space on the disk holding ${file}: recording resumes by itself and the pause is recorded as a gap.`;
  return (
    `The write is retried every few seconds and recording resumes by itself once it succeeds: check that ${file} ` +
    'can still be written (its permissions, the disk it is on still mounted read-write). What was stored is kept, and the pause is recorded as a gap.'
  );
}
