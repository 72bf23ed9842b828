import { lazy, Suspense, useEffect, useState } from 'react';
import type { SessionInfo } from '../../shared/views.ts';
import { getClient } from './api/client.ts';
import { app, closeDetail, selectActive, useApp, upsertSession } from './state/app.ts';
import { connectLive } from './state/live.ts';
import { errorMessage } from './lib/format.ts';
import { openDropped } from './lib/desktop.ts';
import { SessionTabs } from './shell/SessionTabs.tsx';
import { SessionHeader } from './shell/SessionHeader.tsx';
import { StorageBanner } from './shell/StorageBanner.tsx';
import { ViewTabs } from './shell/ViewTabs.tsx';
import { FilterChips } from './shell/FilterChips.tsx';
import { EmptyState } from './shell/EmptyState.tsx';
import { Toasts } from './shell/Toasts.tsx';
import { EngineBanner } from './shell/EngineBanner.tsx';
import { Dialogs } from './shell/Dialogs.tsx';
import { DetailPane } from './detail/DetailPane.tsx';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { VIEW_LABELS } from './state/view-state.ts';
import { MessagesView } from './views/messages/MessagesView.tsx';
import { ConversationsView } from './views/conversations/ConversationsView.tsx';
import { UndeliveredView } from './views/undelivered/UndeliveredView.tsx';
import { TimelineView } from './views/timeline/TimelineView.tsx';

// React Flow and dagre are the bulk of the bundle: loaded when the Flow view is first opened.
const FlowView = lazy(() => import('./views/flow/FlowView.tsx').then((m) => ({ default: m.FlowView })));

export function App() {
  const [fatal, setFatal] = useState<string | null>(null);
  const loaded = useApp((s) => s.loaded);
  const session = useApp(selectActive);

  useEffect(() => {
    let client;
    try {
      client = getClient();
    } catch (err) {
      setFatal(errorMessage(err));
      return;
    }
    const off = connectLive(client);
    client.call('renderer:session:list', {}).then(
      (list) => {
        for (const s of list) upsertSession(s, false);
        // Restore the session from the URL if it is still open, else show the newest one.
        const wanted = app.get().sessionId;
        if (!list.some((s) => s.id === wanted)) app.set({ sessionId: list[list.length - 1]?.id ?? null, selectedSeq: null, detailOpen: false });
        app.set({ loaded: true });
      },
      (err: unknown) => setFatal(errorMessage(err)),
    );
    return off;
  }, []);

  useEffect(() => {
    // A session file dropped anywhere on the window opens (the desktop app checks and opens it).
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
    const onOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const onDrop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      void openDropped([...(e.dataTransfer?.files ?? [])]);
    };
    window.addEventListener('dragover', onOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('drop', onDrop);
    };
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || document.querySelector('dialog[open]')) return;
      const t = e.target as HTMLElement;
      if (/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
      closeDetail();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (fatal) {
    return (
      <main className="welcome">
        <div className="welcome-card">
          <h1>Cannot reach the Flowscope engine</h1>
          <p className="inline-error" role="alert">
            {fatal}
          </p>
        </div>
      </main>
    );
  }
  return (
    <div className="app">
      <SessionTabs />
      <EngineBanner />
      {!loaded ? <div className="loading-screen">Connecting…</div> : session ? <SessionScreen session={session} /> : <EmptyState />}
      <Dialogs />
      <Toasts />
    </div>
  );
}

function SessionScreen({ session }: { session: SessionInfo }) {
  const view = useApp((s) => s.view);
  const seq = useApp((s) => s.selectedSeq);
  const detailOpen = useApp((s) => s.detailOpen);
  return (
    <>
      <SessionHeader session={session} />
      <StorageBanner session={session} />
      <div className="view-bar">
        <ViewTabs />
        <FilterChips />
      </div>
      <div className={`workspace${detailOpen && seq !== null ? ' with-detail' : ''}`}>
        <div id="view-panel" role="tabpanel" aria-labelledby={`tab-${view}`} className="view-panel">
          <ErrorBoundary key={`${session.id}:${view}`} label={VIEW_LABELS[view]}>
            {view === 'messages' && <MessagesView session={session} />}
            {view === 'flow' && (
              <Suspense fallback={<div className="loading-screen">Loading the flow view…</div>}>
                <FlowView session={session} />
              </Suspense>
            )}
            {view === 'conversations' && <ConversationsView session={session} />}
            {view === 'undelivered' && <UndeliveredView session={session} />}
            {view === 'timeline' && <TimelineView session={session} />}
          </ErrorBoundary>
        </div>
        {detailOpen && seq !== null && (
          <ErrorBoundary key={`detail:${session.id}`} label="detail">
            <DetailPane sessionId={session.id} seq={seq} />
          </ErrorBoundary>
        )}
      </div>
    </>
  );
}
