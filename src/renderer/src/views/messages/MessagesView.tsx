import { useEffect, useRef } from 'react';
import type { SessionInfo } from '../../../../shared/views.ts';
import { replaceFilter, selectMessage, useApp } from '../../state/app.ts';
import { isEmptyFilter } from '../../state/view-state.ts';
import { formatCount } from '../../lib/format.ts';
import { FilterBar } from './FilterBar.tsx';
import { ColumnPicker } from './ColumnPicker.tsx';
import { MessageTable } from './MessageTable.tsx';
import { useMessageList } from './use-message-list.ts';
import { GapsBanner } from './GapsBanner.tsx';

/** The message list with its filters; the detail pane is the shell's (it serves every view). */
export function MessagesView({ session }: { session: SessionInfo }) {
  const filter = useApp((s) => s.filter);
  const columns = useApp((s) => s.columns);
  const selectedSeq = useApp((s) => s.selectedSeq);
  const sessionTotal = useApp((s) => s.counts[session.id] ?? session.messageCount);
  const list = useMessageList(session.id, filter, sessionTotal);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && !t.isContentEditable && !document.querySelector('dialog[open]')) {
        e.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const filtered = !isEmptyFilter(filter);
  return (
    <section className="view messages-view" aria-label="Messages">
      <div className="toolbar">
        <FilterBar
          filter={filter}
          sessionId={session.id}
          searchRef={searchRef}
          end={
            <>
              <span className="count" data-testid="message-count" data-total={list.total} aria-live="polite">
                {filtered ? `${formatCount(list.total)} of ${formatCount(sessionTotal)} messages` : `${formatCount(list.total)} messages`}
              </span>
              <ColumnPicker columns={columns} />
            </>
          }
        />
      </div>
      <GapsBanner session={session} />
      {list.error && (
        <div className="inline-error" role="alert">
          {list.error}
        </div>
      )}
      {list.loaded && list.total === 0 ? (
        <div className="empty">
          {filtered ? (
            <>
              <p>No messages match this filter.</p>
              <button type="button" className="btn" onClick={() => replaceFilter({})}>
                Clear filter
              </button>
            </>
          ) : session.live ? (
            <p>Waiting for traffic… messages appear here as the endpoints record them.</p>
          ) : (
            <p>This session holds no messages. Connect an endpoint to record some.</p>
          )}
        </div>
      ) : (
        <MessageTable list={list} columns={columns} selectedSeq={selectedSeq} live={session.live} onSelect={selectMessage} />
      )}
    </section>
  );
}
