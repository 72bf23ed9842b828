import type { MessageFilter } from '../../../shared/filter.ts';
import type { AnalysisStatus, EndpointView, PlaybackState, SessionInfo, StorageStatus } from '../../../shared/views.ts';
import { createStore, useStore } from '../lib/store.ts';
import { cleanFilter, parseViewState, serializeViewState, type ColumnId, type ViewId, type ViewState } from './view-state.ts';

export type DialogKind = 'connect' | 'connect-new' | 'open' | 'save-as' | 'export' | 'export-asyncapi' | 'notes' | 'replay' | 'decoders';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export interface AppState extends ViewState {
  sessions: SessionInfo[];
  /** Live message counts per session, updated from traffic batches (throttled). */
  counts: Record<string, number>;
  playback: Record<string, PlaybackState>;
  /** How far each session's analysis has got, from its info and the progress events. */
  analysis: Record<string, AnalysisStatus>;
  /** Whether each recording's captures reach its file (a full disk pauses them). */
  storage: Record<string, StorageStatus | null>;
  dialog: DialogKind | null;
  /** A path the dialog starts with (a file the system's open dialog chose, to import). */
  dialogPath: string | null;
  connection: { up: boolean; why: string | null };
  toasts: Toast[];
  loaded: boolean;
  /** The engine process died (main:engine:crashed): shown as a banner until dismissed. */
  engineCrash: EngineCrash | null;
}

export interface EngineCrash {
  message: string;
  /** Session files the engine had open, to reopen; removed from here once reopened. */
  files: string[];
  restarted: boolean;
}

const initialView = parseViewState(window.location.search);

export const app = createStore<AppState>({
  ...initialView,
  sessions: [],
  counts: {},
  playback: {},
  analysis: {},
  storage: {},
  dialog: null,
  dialogPath: null,
  connection: { up: true, why: null },
  toasts: [],
  loaded: false,
  engineCrash: null,
});

export function useApp<S>(select: (s: AppState) => S): S {
  return useStore(app, select);
}

export const selectActive = (s: AppState): SessionInfo | null => s.sessions.find((x) => x.id === s.sessionId) ?? null;

// ---- actions -------------------------------------------------------------------------

export function setView(view: ViewId): void {
  app.set({ view });
}

export function setFilter(patch: Partial<MessageFilter>): void {
  app.set((s) => ({ filter: cleanFilter({ ...s.filter, ...patch }) }));
}

export function replaceFilter(filter: MessageFilter): void {
  app.set({ filter: cleanFilter(filter) });
}

export function selectMessage(seq: number | null, open?: boolean): void {
  app.set((s) => ({ selectedSeq: seq, detailOpen: seq === null ? false : (open ?? s.detailOpen) }));
}

export function closeDetail(): void {
  app.set({ detailOpen: false });
}

export function setColumns(columns: ColumnId[]): void {
  app.set({ columns });
}

export function openDialog(dialog: DialogKind | null, path: string | null = null): void {
  app.set({ dialog, dialogPath: path });
}

export function activateSession(id: string | null): void {
  app.set((s) => (s.sessionId === id ? {} : { sessionId: id, filter: {}, selectedSeq: null, detailOpen: false }));
}

export function upsertSession(info: SessionInfo, activate: boolean): void {
  app.set((s) => {
    const i = s.sessions.findIndex((x) => x.id === info.id);
    const sessions = i < 0 ? [...s.sessions, info] : s.sessions.map((x) => (x.id === info.id ? info : x));
    const counts = { ...s.counts, [info.id]: Math.max(info.messageCount, i < 0 ? 0 : (s.counts[info.id] ?? 0)) };
    const switching = activate && s.sessionId !== info.id;
    return {
      sessions,
      counts,
      analysis: { ...s.analysis, [info.id]: info.analysis },
      storage: { ...s.storage, [info.id]: info.storage },
      ...(activate ? { sessionId: info.id } : {}),
      ...(switching ? { filter: {}, selectedSeq: null, detailOpen: false } : {}),
    };
  });
}

export function removeSession(id: string): void {
  app.set((s) => {
    const sessions = s.sessions.filter((x) => x.id !== id);
    if (s.sessionId !== id) return { sessions };
    const next = sessions[sessions.length - 1]?.id ?? null;
    return { sessions, sessionId: next, filter: {}, selectedSeq: null, detailOpen: false };
  });
}

export function updateEndpoint(sessionId: string, endpoint: EndpointView): void {
  app.set((s) => ({
    sessions: s.sessions.map((x) => {
      if (x.id !== sessionId) return x;
      const has = x.endpoints.some((e) => e.id === endpoint.id);
      const endpoints = has ? x.endpoints.map((e) => (e.id === endpoint.id ? endpoint : e)) : [...x.endpoints, endpoint];
      return { ...x, endpoints, live: x.live || endpoint.status === 'recording' || endpoint.status === 'connecting' };
    }),
  }));
}

export function setStorage(sessionId: string, storage: StorageStatus): void {
  app.set((s) => ({ storage: { ...s.storage, [sessionId]: storage } }));
}

/** A gap was recorded: the session's count changes, and the views that draw gaps read them again. */
export function setGapCount(sessionId: string, gapCount: number): void {
  app.set((s) => ({ sessions: s.sessions.map((x) => (x.id === sessionId ? { ...x, gapCount } : x)) }));
}

/** The engine process is gone and every session id with it: the window starts over, and says why. */
export function engineCrashed(crash: EngineCrash): void {
  app.set({ sessions: [], sessionId: null, counts: {}, playback: {}, analysis: {}, storage: {}, dialog: null, filter: {}, selectedSeq: null, detailOpen: false, engineCrash: crash });
}

export function dismissEngineCrash(): void {
  app.set({ engineCrash: null });
}

let toastId = 1;
export function toast(text: string, kind: Toast['kind'] = 'error'): void {
  const t = { id: toastId++, kind, text };
  app.set((s) => ({ toasts: [...s.toasts.slice(-3), t] }));
  if (kind === 'info') setTimeout(() => dismissToast(t.id), 4000);
}

export function dismissToast(id: number): void {
  app.set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
}

// ---- the URL mirrors the view state ------------------------------------------------------

let lastSearch = window.location.search;
app.subscribe(() => {
  const s = app.get();
  const search = serializeViewState(s);
  if (search === lastSearch) return;
  lastSearch = search;
  const url = `${window.location.pathname}${search}${window.location.hash}`;
  try {
    window.history.replaceState(window.history.state, '', url);
  } catch {
    // Some file:// origins refuse URL changes; the view still works, it just won't survive a reload.
  }
});
