import type { InspectorClient } from '../../../shared/api.ts';
import type { PlaybackState, TrafficBatch } from '../../../shared/views.ts';
import { createStore, useStore } from '../lib/store.ts';
import { onConnection } from '../api/client.ts';
import { app, engineCrashed, removeSession, setGapCount, setStorage, toast, updateEndpoint, upsertSession } from './app.ts';
import { setAnalysis } from './analysis.ts';

/**
 * Live updates, coalesced: however often the engine pushes (≤ 10 batches a second per
 * session, playback ticks), views hear about it at most four times a second.
 */
const FLUSH_MS = 250;
const NEWEST = 200;

type BatchListener = (b: TrafficBatch) => void;
type ResetListener = () => void;

const pendingBatch = new Map<string, TrafficBatch>();
const pendingPlayback = new Map<string, PlaybackState>();
const batchListeners = new Map<string, Set<BatchListener>>();
const resetListeners = new Map<string, Set<ResetListener>>();
let timer: ReturnType<typeof setTimeout> | null = null;

/** A counter per session that changes (throttled) whenever its data changes. */
const ticks = createStore<{ bySession: Record<string, number> }>({ bySession: {} });

export function useTick(sessionId: string | null): number {
  return useStore(ticks, (s) => (sessionId ? (s.bySession[sessionId] ?? 0) : 0));
}

export function onBatch(sessionId: string, fn: BatchListener): () => void {
  return addTo(batchListeners, sessionId, fn);
}

/** Called when what a session shows starts over (playback seeks back or stops). */
export function onReset(sessionId: string, fn: ResetListener): () => void {
  return addTo(resetListeners, sessionId, fn);
}

function addTo<F>(map: Map<string, Set<F>>, key: string, fn: F): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

function schedule(): void {
  timer ??= setTimeout(flush, FLUSH_MS);
}

function flush(): void {
  timer = null;
  const bumped = new Set<string>();
  if (pendingPlayback.size) {
    const prev = app.get().playback;
    const next = { ...prev };
    for (const [id, st] of pendingPlayback) {
      const old = prev[id];
      // Going back in time (or leaving playback) rebuilds every view from scratch.
      const restarted = old !== undefined && (st.playhead === null || (old.playhead !== null && st.playhead < old.playhead));
      if (restarted) for (const fn of resetListeners.get(id) ?? []) fn();
      next[id] = st;
      bumped.add(id);
    }
    pendingPlayback.clear();
    app.set({ playback: next });
  }
  if (pendingBatch.size) {
    const counts = { ...app.get().counts };
    for (const [id, b] of pendingBatch) {
      counts[id] = b.total;
      for (const fn of batchListeners.get(id) ?? []) fn(b);
      bumped.add(id);
    }
    pendingBatch.clear();
    app.set({ counts });
  }
  if (bumped.size) {
    ticks.set((s) => {
      const bySession = { ...s.bySession };
      for (const id of bumped) bySession[id] = (bySession[id] ?? 0) + 1;
      return { bySession };
    });
  }
}

function mergeBatch(a: TrafficBatch | undefined, b: TrafficBatch): TrafficBatch {
  if (!a) return b;
  const newest = a.newest.concat(b.newest);
  return {
    sessionId: b.sessionId,
    total: b.total,
    lastSeq: b.lastSeq,
    added: a.added + b.added,
    newest: newest.length > NEWEST ? newest.slice(-NEWEST) : newest,
  };
}

/**
 * While a session records, some of what the views show changes with time alone (a request
 * becomes unanswered when its timeout passes, a message undelivered when its window does),
 * so live sessions refresh at least every HEARTBEAT_MS even when no traffic arrives.
 */
const HEARTBEAT_MS = 1000;

/** Wires the engine's events into the app state. Returns an unsubscribe. */
export function connectLive(client: InspectorClient): () => void {
  const heartbeat = setInterval(() => {
    const live = app.get().sessions.filter((s) => s.live && !pendingBatch.has(s.id));
    if (live.length === 0) return;
    ticks.set((t) => {
      const bySession = { ...t.bySession };
      for (const s of live) bySession[s.id] = (bySession[s.id] ?? 0) + 1;
      return { bySession };
    });
  }, HEARTBEAT_MS);
  const offs = [
    () => clearInterval(heartbeat),
    client.on('main:traffic:batch', (b) => {
      pendingBatch.set(b.sessionId, mergeBatch(pendingBatch.get(b.sessionId), b));
      schedule();
    }),
    client.on('main:playback:state', (s) => {
      pendingPlayback.set(s.sessionId, s);
      schedule();
    }),
    client.on('main:session:changed', (info) => upsertSession(info, true)),
    client.on('main:session:closed', ({ sessionId }) => removeSession(sessionId)),
    client.on('main:endpoint:status', ({ sessionId, endpoint }) => updateEndpoint(sessionId, endpoint)),
    client.on('main:analysis:progress', ({ sessionId, analysis }) => {
      setAnalysis(sessionId, analysis);
      // The views hold what they read while it ran: read the finished analysis.
      if (analysis.state !== 'running') bump(sessionId);
    }),
    client.on('main:session:storage', ({ sessionId, storage }) => setStorage(sessionId, storage)),
    client.on('main:session:gaps', ({ sessionId, gapCount }) => setGapCount(sessionId, gapCount)),
    client.on('main:app:error', ({ message }) => toast(message)),
    client.on('main:engine:crashed', (crash) => {
      pendingBatch.clear();
      pendingPlayback.clear();
      engineCrashed(crash);
    }),
    onConnection((up, why) => app.set({ connection: { up, why: why ?? null } })),
  ];
  return () => offs.forEach((off) => off());
}

/** Rebuilds every view of a session from scratch (its decoders changed: list cells read otherwise). */
export function resetViews(sessionId: string): void {
  for (const fn of resetListeners.get(sessionId) ?? []) fn();
  bump(sessionId);
}

/** Forces a refresh of every view of a session (after a request that changed it). */
export function bump(sessionId: string): void {
  ticks.set((s) => ({ bySession: { ...s.bySession, [sessionId]: (s.bySession[sessionId] ?? 0) + 1 } }));
}
