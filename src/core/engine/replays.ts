import { randomUUID } from 'node:crypto';
import { ApiError } from '../../shared/api.ts';
import type { ReplayRequest } from '../../shared/specs.ts';
import type { ReplayPlan, ReplayPlanItem, ReplayProgress } from '../../shared/views.ts';
import type { SessionHandle } from './session-handle.ts';
import { Replayer } from '../replay/replayer.ts';
import { parseTarget, targetLabel, ReplayTargetError, scrubCredentials } from '../replay/target.ts';
import { selectForReplay, NothingToReplayError } from '../replay/select.ts';
import { checkReplayLoop, type RecordingEndpoint } from '../replay/loop-guard.ts';

/** Messages a plan lists; the total stays exact. */
const PLAN_ITEMS = 200;

interface Running {
  sessionId: string;
  replayer: Replayer;
}

/**
 * The replays the UI started. Each runs in the background and reports through
 * `main:replay:progress` (≤ 10 per second, then one final event with the summary); a
 * failure is a final 'failed' event with the reason, never a thrown error. Target URLs
 * appear without their password everywhere.
 */
export class ReplayRegistry {
  private readonly runs = new Map<string, Running>();

  constructor(private readonly onProgress: (p: ReplayProgress) => void) {}

  /**
   * Starts a replay of the session's messages up to now. Refuses at once (ApiError) a bad
   * target, an empty selection, or a replay that would loop into the session's own live
   * recording (see loop-guard.ts).
   */
  start(session: SessionHandle, req: ReplayRequest): string {
    const label = targetLabel(req.to);
    const target = parseOrRefuse(req.to);
    // Everything stored so far is in the snapshot (the engine settles the recorder first); what the replay causes is not.
    const upToSeq = session.store.lastSeq;
    const map = req.map ?? {};
    // Sending dead letters back to origin is a targeted redrive of copies the user picked
    // from the snapshot: recording them again is the point (to see them delivered this
    // time), and the snapshot keeps the replay from reading its own sends.
    if (session.live && !req.deadLettersToOrigin) {
      let destinations;
      try {
        destinations = selectForReplay(session.store, target.transport, req.filter ?? {}, upToSeq, map).destinations;
      } catch (err) {
        if (err instanceof NothingToReplayError) throw new ApiError('bad-request', err.message);
        throw err;
      }
      const refusal = checkReplayLoop(target, label, recordingEndpoints(session), destinations, bindingsOf(session));
      if (refusal) throw new ApiError('failed', refusal);
    }

    const replayId = randomUUID().slice(0, 8);
    const emit = (p: Omit<ReplayProgress, 'replayId' | 'sessionId' | 'target'>): void =>
      this.onProgress({ replayId, sessionId: session.id, target: label, ...p, message: p.message && scrubCredentials(p.message, req.to) });
    const replayer = new Replayer(session.store, {
      to: req.to,
      speed: req.speed,
      map,
      ...(req.filter ? { filter: req.filter } : {}),
      ...(req.dryRun ? { dryRun: true } : {}),
      ...(req.deadLettersToOrigin ? { deadLettersToOrigin: req.deadLettersToOrigin } : {}),
      upToSeq,
      targetLabel: label,
      onProgress: emit,
    });
    this.runs.set(replayId, { sessionId: session.id, replayer });
    emit({ sent: 0, total: 0, failed: 0, etaMs: null, state: 'running', message: `Starting replay to ${label}…` });
    void replayer
      .run()
      .catch((err: Error) => {
        // run() reports its own failures; this is a bug's last resort, still shown to the user.
        emit({ sent: 0, total: 0, failed: 0, etaMs: null, state: 'failed', message: `Replay failed: ${err.message}` });
      })
      .finally(() => this.runs.delete(replayId));
    return replayId;
  }

  /** What `start` would send, from a dry run: the first PLAN_ITEMS messages and the report's notes. */
  async plan(session: SessionHandle, req: ReplayRequest): Promise<ReplayPlan> {
    parseOrRefuse(req.to);
    const items: ReplayPlanItem[] = [];
    const replayer = new Replayer(session.store, {
      to: req.to,
      speed: req.speed,
      map: req.map ?? {},
      ...(req.filter ? { filter: req.filter } : {}),
      ...(req.deadLettersToOrigin ? { deadLettersToOrigin: req.deadLettersToOrigin } : {}),
      dryRun: true,
      upToSeq: session.store.lastSeq,
      onPlan: (p) => {
        if (p.action === 'send' && items.length < PLAN_ITEMS) items.push({ seq: p.seq, atMs: p.atMs, from: p.from, to: p.to, detail: p.detail, size: p.size });
      },
    });
    const r = await replayer.run();
    return { total: r.total, items, truncated: r.planned > items.length, notes: r.notes, error: r.error && scrubCredentials(r.error, req.to) };
  }

  cancel(replayId: string): boolean {
    const r = this.runs.get(replayId);
    if (!r) return false;
    r.replayer.cancel();
    return true;
  }

  /** Stops the session's replays before its store closes: they read nothing more after this. */
  cancelFor(sessionId: string): void {
    for (const r of this.runs.values()) if (r.sessionId === sessionId) r.replayer.cancel();
  }

  cancelAll(): void {
    for (const r of this.runs.values()) r.replayer.cancel();
  }

  /** Replays still running (for tests and shutdown). */
  get active(): number {
    return this.runs.size;
  }
}

function recordingEndpoints(session: SessionHandle): RecordingEndpoint[] {
  // A failed endpoint's connector keeps retrying, so only a stopped one is out of the picture.
  const live = new Set(session.endpoints().filter((e) => e.status !== 'stopped').map((e) => e.id));
  return session.store
    .endpoints()
    .filter((e) => live.has(e.id))
    .map((e) => ({ id: e.id, label: e.label, config: e.config }));
}

function bindingsOf(session: SessionHandle) {
  return session.store.latestDiscovery().flatMap((d) => d.bindings ?? []);
}

function parseOrRefuse(to: string) {
  try {
    return parseTarget(to);
  } catch (err) {
    if (err instanceof ReplayTargetError) throw new ApiError('bad-request', err.message);
    throw err;
  }
}
