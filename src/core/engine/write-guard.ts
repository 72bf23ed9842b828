import type { CapturedMessage, Gap, GapReason } from '../../shared/model.ts';
import type { StorageStatus } from '../../shared/views.ts';
import { Backoff, type BackoffOptions } from '../common/backoff.ts';
import { HELD_BYTES_BUDGET, HELD_MESSAGE_OVERHEAD, STORAGE_RETRY, STORAGE_STATUS_INTERVAL_MS } from '../common/constants.ts';
import { getLogger } from '../common/logger.ts';

const log = getLogger('write-guard');

/** A source of traffic that can stop reading while the broker keeps the data (Kafka). */
export interface PausableSource {
  readonly id: string;
  pause?(): void;
  resume?(): void;
}

export interface WriteGuardOptions {
  /** The session file, named in the status message. */
  file: string;
  /** Stores one batch and announces it; throws when the write fails. */
  write: (batch: CapturedMessage[]) => void;
  /**
   * Gives back space the file holds, before each retry: a WAL checkpoint, so that once
   * space returns the WAL starts over instead of growing into it again. May throw.
   */
  reclaim?: () => void;
  /** Stores gaps; throws when the write fails. */
  writeGaps: (gaps: Gap[]) => void;
  /** Messages the recorder has captured so far (stored, held, dropped or waiting). */
  captured: () => number;
  /** The recorder's sources now: Kafka's consumers pause while writes are paused. */
  sources: () => PausableSource[];
  onStatus: (status: StorageStatus) => void;
  /** Most bytes held in memory while writes fail; past it new captures are dropped and counted. */
  budgetBytes?: number;
  retry?: BackoffOptions;
  now?: () => number;
}

interface Seen {
  held: number;
  /** Dropped past the memory budget while paused. */
  dropped: number;
  firstDrop: number | null;
  /** Still held when the recording stopped with the file not writable. */
  lostAtStop: number;
}

interface Pause {
  reason: GapReason;
  message: string;
  since: number;
  /** Per endpoint: captured while paused, and how many of those were dropped. */
  seen: Map<string, Seen>;
  sourcesPaused: PausableSource[];
}

/**
 * What a recording does when its file cannot be written (issue 14: a full disk). The
 * Recorder hands every batch to `submit`; the first failed write (SQLITE_FULL, ENOSPC, in
 * the main file or the WAL) pauses writing at once and says so (`onStatus`: the session's
 * storage status, the CLI's live line, the UI's banner). While paused:
 *  - captured batches are held in memory, in order, up to `budgetBytes`; past it they are
 *    dropped and counted per endpoint, so memory stays bounded however long the disk is full;
 *  - sources that can wait without loss (a Kafka consumer, whose broker keeps the records)
 *    are paused and resume from their offset;
 *  - the held batches are retried with backoff; when one goes through, the rest follow in
 *    order, the pause is written as one gap per endpoint (span, messages lost, why) and
 *    recording carries on by itself.
 * Writing in order matters: a batch captured later is never stored before a held one.
 */
export class WriteGuard {
  private held: CapturedMessage[][] = [];
  private heldBytes = 0;
  private heldCount = 0;
  private stored = 0;
  private dropped = 0;
  private resumed = 0;
  /** Why the last pause that ended had paused, for a closing line said after it resumed. */
  private resumedReason: GapReason | null = null;
  private pause: Pause | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastStatus = 0;
  private statusTimer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private readonly budget: number;
  private readonly now: () => number;

  constructor(private readonly opts: WriteGuardOptions) {
    this.backoff = new Backoff(opts.retry ?? STORAGE_RETRY);
    this.budget = opts.budgetBytes ?? HELD_BYTES_BUDGET;
    this.now = opts.now ?? Date.now;
  }

  get paused(): boolean {
    return this.pause !== null;
  }

  /** Writes a batch, or holds (or drops) it while writing is paused. */
  submit(batch: CapturedMessage[]): void {
    if (this.pause) {
      this.hold(batch);
      this.announceSoon();
      return;
    }
    try {
      this.opts.write(batch);
      this.stored += batch.length;
    } catch (err) {
      this.begin(err as Error);
      this.hold(batch);
      this.announce();
      this.schedule();
    }
  }

  /**
   * Batches written asynchronously (the store's writer thread) came back refused. They were
   * counted as stored when sent; they go back in front of whatever is held, in order (they
   * were captured first), and writing pauses as after a failed write here. They are held
   * whatever the budget: they are already in memory, bounded by the writer's backlog.
   */
  refused(batches: CapturedMessage[][], err: Error): void {
    if (batches.length === 0) return;
    const count = batches.reduce((n, b) => n + b.length, 0);
    this.stored -= count;
    if (!this.pause) this.begin(err);
    const p = this.pause!;
    this.held.unshift(...batches);
    this.heldCount += count;
    for (const b of batches) {
      this.heldBytes += b.reduce((n, m) => n + approxBytes(m), 0);
      for (const m of b) entry(p, m.endpoint).held += 1;
    }
    this.announce();
    this.schedule();
  }

  status(): StorageStatus {
    const p = this.pause;
    return {
      state: p ? 'paused' : 'ok',
      reason: p?.reason ?? null,
      message: p?.message ?? null,
      since: p?.since ?? null,
      captured: this.opts.captured(),
      stored: this.stored,
      held: this.heldCount,
      heldBytes: this.heldBytes,
      budgetBytes: this.budget,
      dropped: this.dropped,
      resumed: this.resumed,
      resumedReason: this.resumedReason,
    };
  }

  /**
   * The recording stops: one last attempt to write what is held. If the disk is still full,
   * what is held is lost and counted as dropped (the gap cannot be written either; the
   * status, and the CLI's exit line, say so).
   */
  close(): StorageStatus {
    this.clearTimers();
    if (this.pause) {
      this.retry(false);
      const p = this.pause;
      if (p) {
        for (const batch of this.held) {
          this.dropped += batch.length;
          for (const m of batch) {
            const e = entry(p, m.endpoint);
            e.held -= 1;
            e.lostAtStop += 1;
          }
        }
        this.held = [];
        this.heldBytes = 0;
        this.heldCount = 0;
        try {
          this.opts.writeGaps(this.gapsOf(p, this.now()));
          // The file now says what is missing: the status no longer needs to.
          this.pause = null;
        } catch {
          // Still full: the status (and the CLI's closing line) carries the counts instead.
        }
      }
    }
    const status = this.status();
    this.opts.onStatus(status);
    return status;
  }

  private begin(err: Error): void {
    const reason: GapReason = isDiskFull(err) ? 'disk-full' : 'write-failed';
    const message =
      reason === 'disk-full'
        ? `The disk holding ${this.opts.file} is full (${err.message}): recording is paused.`
        : `Writing to ${this.opts.file} failed (${err.message}): recording is paused.`;
    // What happens next and what to do is the status's advice (shared/gaps.ts pauseAdvice), shown beside it.
    log.info(message);
    const sourcesPaused: PausableSource[] = [];
    for (const s of this.opts.sources()) {
      if (!s.pause) continue;
      try {
        s.pause();
        sourcesPaused.push(s);
      } catch (e) {
        log.warn(`could not pause ${s.id}`, e);
      }
    }
    this.pause = { reason, message, since: this.now(), seen: new Map(), sourcesPaused };
  }

  private hold(batch: CapturedMessage[]): void {
    const p = this.pause!;
    const bytes = batch.reduce((n, m) => n + approxBytes(m), 0);
    if (this.heldBytes + bytes > this.budget) {
      this.countDrop(batch, p);
      return;
    }
    this.held.push(batch);
    this.heldBytes += bytes;
    this.heldCount += batch.length;
    for (const m of batch) entry(p, m.endpoint).held += 1;
  }

  private countDrop(batch: readonly CapturedMessage[], p: Pause): void {
    this.dropped += batch.length;
    for (const m of batch) {
      const e = entry(p, m.endpoint);
      e.dropped += 1;
      e.firstDrop ??= m.time;
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.retry(true);
    }, this.backoff.next());
    this.timer.unref?.();
  }

  /** Writes the held batches in order; resumes when all of them, and the gaps, are stored. */
  private retry(reschedule: boolean): void {
    const p = this.pause;
    if (!p) return;
    try {
      this.opts.reclaim?.();
    } catch {
      // Still no space to checkpoint into; the writes below say whether there is any now.
    }
    try {
      while (this.held.length > 0) {
        const batch = this.held[0]!;
        this.opts.write(batch);
        this.held.shift();
        this.stored += batch.length;
        this.heldCount -= batch.length;
        this.heldBytes -= batch.reduce((n, m) => n + approxBytes(m), 0);
      }
      // A gap write that fails keeps the pause: the next attempt writes it with a later end.
      this.opts.writeGaps(this.gapsOf(p, this.now()));
    } catch {
      this.announce();
      if (reschedule) this.schedule();
      return;
    }
    this.heldBytes = 0;
    this.pause = null;
    this.resumed += 1;
    this.resumedReason = p.reason;
    this.backoff.reset();
    log.info(`writing to ${this.opts.file} resumed`);
    for (const s of p.sourcesPaused) {
      try {
        s.resume?.();
      } catch (e) {
        log.warn(`could not resume ${s.id}`, e);
      }
    }
    this.announce();
  }

  /** One gap per endpoint that was attached or captured while writing was paused. */
  private gapsOf(p: Pause, end: number): Gap[] {
    const ids = new Set<string>([...this.opts.sources().map((s) => s.id), ...p.seen.keys()]);
    const paused = new Set(p.sourcesPaused.map((s) => s.id));
    const why = p.reason === 'disk-full' ? 'disk full' : `write failed (${p.message})`;
    return [...ids].map((id) => {
      const e = p.seen.get(id) ?? newSeen();
      const parts = [why];
      if (paused.has(id)) parts.push('reading paused; the broker kept the rest');
      parts.push(`${e.held} held in memory and stored after`);
      if (e.dropped > 0) parts.push(`${e.dropped} dropped from ${new Date(e.firstDrop ?? p.since).toISOString()} (memory budget ${mib(this.budget)} full)`);
      if (e.lostAtStop > 0) parts.push(`${e.lostAtStop} still held when the recording stopped, not stored`);
      return { endpoint: id, start: p.since, end, lost: e.dropped + e.lostAtStop, reason: p.reason, detail: parts.join('; ') };
    });
  }

  private announce(): void {
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = null;
    this.lastStatus = this.now();
    this.opts.onStatus(this.status());
  }

  /** Counts change with every batch while paused: announced at most a few times a second. */
  private announceSoon(): void {
    if (this.statusTimer) return;
    const wait = Math.max(0, STORAGE_STATUS_INTERVAL_MS - (this.now() - this.lastStatus));
    this.statusTimer = setTimeout(() => this.announce(), wait);
    this.statusTimer.unref?.();
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.timer = null;
    this.statusTimer = null;
  }
}

/** SQLite's SQLITE_FULL (main file or WAL) and the file system's own codes for no space. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}

function newSeen(): Seen {
  return { held: 0, dropped: 0, firstDrop: null, lostAtStop: 0 };
}

function entry(p: Pause, endpoint: string): Seen {
  let e = p.seen.get(endpoint);
  if (!e) p.seen.set(endpoint, (e = newSeen()));
  return e;
}

/** What a held message costs in memory: its bytes plus the object around them. */
function approxBytes(m: CapturedMessage): number {
  return m.payload.byteLength + (m.key?.byteLength ?? 0) + HELD_MESSAGE_OVERHEAD;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;
}
