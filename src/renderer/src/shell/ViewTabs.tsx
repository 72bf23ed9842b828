import { setView, useApp } from '../state/app.ts';
import { VIEWS, VIEW_LABELS } from '../state/view-state.ts';

/** Messages | Flow | Conversations | Undelivered | Timeline; ←/→ move between them. */
export function ViewTabs() {
  const view = useApp((s) => s.view);
  return (
    <div
      className="view-tabs"
      role="tablist"
      aria-label="Views"
      onKeyDown={(e) => {
        const i = VIEWS.indexOf(view);
        if (e.key === 'ArrowRight') setView(VIEWS[(i + 1) % VIEWS.length]!);
        else if (e.key === 'ArrowLeft') setView(VIEWS[(i + VIEWS.length - 1) % VIEWS.length]!);
        else return;
        e.preventDefault();
        requestAnimationFrame(() => (document.querySelector('.view-tabs [aria-selected="true"]') as HTMLElement | null)?.focus());
      }}
    >
      {VIEWS.map((v) => (
        <button
          key={v}
          type="button"
          role="tab"
          id={`tab-${v}`}
          aria-selected={v === view}
          aria-controls="view-panel"
          tabIndex={v === view ? 0 : -1}
          onClick={() => setView(v)}
        >
          {VIEW_LABELS[v]}
        </button>
      ))}
    </div>
  );
}
