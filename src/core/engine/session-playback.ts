import type { StoredMessage } from '../../shared/model.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import type { PlaybackState } from '../../shared/views.ts';
import type { SessionStore } from '../store/session-store.ts';
import { Playback, type Speed } from './playback.ts';
import { AnalysisState, readAnalysis, type AnalysisConfigInput, type AnalysisReader } from './session-analysis.ts';
import type { BodyReader } from '../analysis/correlation.ts';

export type PlaybackAction = 'play' | 'pause' | 'seek' | 'speed' | 'stop';

/**
 * A saved session played back into the views: the playhead, and an analysis of what it
 * has passed, rebuilt from the start whenever it goes back.
 */
export class SessionPlayback {
  private playback: Playback | null = null;
  private analysis: AnalysisState | null = null;

  constructor(
    private readonly sessionId: string,
    private readonly store: SessionStore,
    private readonly config: AnalysisConfigInput,
    private readonly hooks: { onMessages: (msgs: StoredMessage[]) => void; onState: (s: PlaybackState) => void; body?: BodyReader },
  ) {}

  control(action: PlaybackAction, time?: number, speed?: Speed): PlaybackState {
    if (action === 'stop') {
      this.dispose();
      const s: PlaybackState = { sessionId: this.sessionId, playing: false, speed: 1, playhead: null, from: null, to: null };
      this.hooks.onState(s);
      return s;
    }
    if (!this.playback) {
      this.restartAnalysis();
      this.playback = new Playback(this.sessionId, this.store, {
        onReset: () => this.restartAnalysis(),
        onMessages: (msgs) => {
          this.analysis?.ingest(msgs);
          this.hooks.onMessages(msgs);
        },
        onState: this.hooks.onState,
      });
    }
    const p = this.playback;
    if (action === 'play') p.play();
    else if (action === 'pause') p.pause();
    else if (action === 'seek' && time !== undefined) p.seek(time);
    else if (action === 'speed' && speed !== undefined) p.setSpeed(speed);
    return p.state();
  }

  /** The filter every query gets during playback: nothing after the playhead. */
  scoped(filter: MessageFilter): MessageFilter {
    const head = this.playback?.state().playhead;
    if (head === undefined || head === null) return filter;
    // The playhead runs on capture time, the order the session is played back in.
    return { ...filter, untilCapture: Math.min(filter.untilCapture ?? Number.POSITIVE_INFINITY, head) };
  }

  /** The analysis at the playhead, or null when not playing back. */
  reader(): AnalysisReader | null {
    if (!this.playback || !this.analysis) return null;
    return readAnalysis(this.analysis, { state: 'ready' }, this.playback.state().playhead ?? 0);
  }

  dispose(): void {
    this.playback?.dispose();
    this.playback = null;
    this.analysis = null;
  }

  private restartAnalysis(): void {
    this.analysis = new AnalysisState(this.config).readBodiesWith(this.hooks.body);
    this.analysis.addOffsets(this.store.offsets());
  }
}
