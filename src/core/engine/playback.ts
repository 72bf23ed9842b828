import type { PlaybackState } from '../../shared/views.ts';
import type { StoredMessage } from '../../shared/model.ts';
import type { SessionStore } from '../store/session-store.ts';
import { PLAYBACK_MAX_PER_TICK, PLAYBACK_PAGE, PLAYBACK_TICK_MS } from '../common/constants.ts';

export type Speed = PlaybackState['speed'];

/**
 * Plays a saved session back into the views: a playhead moves through the recorded time
 * and every message up to it is fed to `onMessages` in order, as if it were arriving live.
 */
export class Playback {
  private playing = false;
  private speed: Speed = 1;
  private playhead: number;
  private fedSeq = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastTick = 0;
  readonly from: number;
  readonly to: number;

  constructor(
    private readonly sessionId: string,
    private readonly store: SessionStore,
    private readonly hooks: {
      onReset: () => void;
      onMessages: (msgs: StoredMessage[]) => void;
      onState: (s: PlaybackState) => void;
    },
  ) {
    const range = store.timeRange();
    this.from = range.first ?? Date.now();
    this.to = range.last ?? this.from;
    this.playhead = this.from - 1;
  }

  state(): PlaybackState {
    return {
      sessionId: this.sessionId,
      playing: this.playing,
      speed: this.speed,
      playhead: this.playhead,
      from: this.from,
      to: this.to,
    };
  }

  play(): void {
    if (this.playhead >= this.to) this.seek(this.from - 1);
    this.playing = true;
    this.lastTick = Date.now();
    if (!this.timer) this.timer = setInterval(() => this.tick(), PLAYBACK_TICK_MS);
    this.hooks.onState(this.state());
  }

  pause(): void {
    this.playing = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.hooks.onState(this.state());
  }

  setSpeed(speed: Speed): void {
    this.speed = speed;
    this.hooks.onState(this.state());
  }

  /** Moves the playhead; going back replays from the start so every view is rebuilt exactly. */
  seek(time: number): void {
    const target = Math.max(this.from - 1, Math.min(time, this.to));
    if (target < this.playhead) {
      this.fedSeq = 0;
      this.hooks.onReset();
    }
    this.playhead = target;
    this.feedUntil(target, Number.POSITIVE_INFINITY);
    this.hooks.onState(this.state());
  }

  private tick(): void {
    if (!this.playing) return;
    const now = Date.now();
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    if (this.speed === 'max') {
      const fed = this.feedUntil(this.to, PLAYBACK_MAX_PER_TICK);
      this.playhead = fed.count < PLAYBACK_MAX_PER_TICK || fed.lastTime === null ? this.to : fed.lastTime;
    } else {
      this.playhead = Math.min(this.to, this.playhead + elapsed * this.speed);
      this.feedUntil(this.playhead, Number.POSITIVE_INFINITY);
    }
    if (this.playhead >= this.to) {
      this.playing = false;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
    }
    this.hooks.onState(this.state());
  }

  private feedUntil(time: number, max: number): { count: number; lastTime: number | null } {
    let count = 0;
    let lastTime: number | null = null;
    while (count < max) {
      const chunk = this.store.page(this.fedSeq, Math.min(PLAYBACK_PAGE, max - count), time);
      if (chunk.length === 0) break;
      const last = chunk[chunk.length - 1]!;
      this.fedSeq = last.seq;
      lastTime = last.time;
      count += chunk.length;
      this.hooks.onMessages(chunk);
      if (chunk.length < PLAYBACK_PAGE) break;
    }
    return { count, lastTime };
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
