import { dismissToast, useApp } from '../state/app.ts';
import { CloseIcon } from '../components/icons.tsx';

/** Errors the engine reports, and short confirmations; errors stay until dismissed. */
export function Toasts() {
  const toasts = useApp((s) => s.toasts);
  const conn = useApp((s) => s.connection);
  return (
    <div className="toasts" aria-live="assertive">
      {!conn.up && conn.why && (
        <div className="toast error" role="alert">
          {conn.why}
        </div>
      )}
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} data-testid="toast">
          <span>{t.text}</span>
          <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            <CloseIcon />
          </button>
        </div>
      ))}
    </div>
  );
}
