import { useState } from 'react';
import type { SessionInfo } from '../../../shared/views.ts';
import { Dialog, Field } from '../components/Dialog.tsx';
import { getClient } from '../api/client.ts';
import { toast, upsertSession, useApp } from '../state/app.ts';
import { useApi } from '../lib/use-api.ts';
import { basename, errorMessage, formatCount } from '../lib/format.ts';
import { desktopApi } from '../lib/desktop.ts';

type Mode = 'open' | 'save-as' | 'export';
type Format = 'session' | 'jsonl' | 'kcat';

function sibling(path: string, suffix: string): string {
  return path.replace(/(\.flowscope)?$/, suffix);
}

/**
 * File paths typed by hand: the browser build has no native file dialogs. In the desktop
 * app Open… and Save As… use the system's dialogs (lib/desktop.ts); this one still serves
 * imports and exports there, with a Browse… button that opens the system's dialog.
 */
export function PathDialog({ mode, session, onClose }: { mode: Mode; session: SessionInfo | null; onClose(): void }) {
  const filter = useApp((s) => s.filter);
  const given = useApp((s) => s.dialogPath);
  const desktop = desktopApi();
  const initial = given ?? (mode === 'save-as' && session ? sibling(session.path, '-copy.flowscope') : mode === 'export' && session ? sibling(session.path, '.jsonl') : '');
  const [path, setPath] = useState(initial);
  // A file the system's dialog chose that is not a session is to be imported.
  const [format, setFormat] = useState<Format>(given && !given.toLowerCase().endsWith('.flowscope') ? 'jsonl' : 'session');
  const [onlyFiltered, setOnlyFiltered] = useState(false);
  const [withDecoded, setWithDecoded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const recent = useApi('renderer:session:recent', mode === 'open' ? {} : null);

  const run = async (p: string) => {
    if (!p.trim()) {
      setError('Type a file path.');
      return;
    }
    setBusy(true);
    setError(null);
    const client = getClient();
    try {
      if (mode === 'open') {
        const info =
          format === 'session'
            ? await client.call('renderer:session:open', { path: p.trim() })
            : await client.call('renderer:session:import', { path: p.trim(), format });
        upsertSession(info, true);
      } else if (mode === 'save-as' && session) {
        const info = await client.call('renderer:session:save-as', { sessionId: session.id, path: p.trim() });
        upsertSession(info, false);
        toast(`Saved as ${p.trim()}`, 'info');
      } else if (mode === 'export' && session) {
        const r = await client.call('renderer:session:export', {
          sessionId: session.id,
          path: p.trim(),
          format: 'jsonl',
          ...(onlyFiltered ? { filter } : {}),
          ...(withDecoded ? { decoded: true } : {}),
        });
        toast(`Exported ${formatCount(r.count)} messages to ${r.path}`, 'info');
      }
      onClose();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const browse = async () => {
    if (!desktop) return;
    try {
      const r =
        mode === 'open'
          ? await desktop.call('renderer:dialog:choose-file', { purpose: format === 'session' ? 'open' : 'import' })
          : await desktop.call('renderer:dialog:choose-target', { purpose: mode, ...(path.trim() ? { defaultPath: path.trim() } : {}) });
      if (r.path) setPath(r.path);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const title = mode === 'open' ? 'Open a session' : mode === 'save-as' ? 'Save session as' : 'Export as JSON Lines';
  const action = mode === 'open' ? (format === 'session' ? 'Open' : 'Import') : mode === 'save-as' ? 'Save' : 'Export';
  return (
    <Dialog
      title={title}
      onClose={onClose}
      testid="path-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="path-form" className="btn primary" disabled={busy}>
            {busy ? 'Working…' : action}
          </button>
        </>
      }
    >
      <form
        id="path-form"
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(path);
        }}
      >
        {mode === 'open' && (
          <Field label="Format">
            <select value={format} onChange={(e) => setFormat(e.target.value as Format)}>
              <option value="session">Flowscope session (.flowscope)</option>
              <option value="jsonl">JSON Lines (flowscope export)</option>
              <option value="kcat">kcat -J output</option>
            </select>
          </Field>
        )}
        <Field label="File path" error={error ?? undefined} hint="An absolute path on the machine running Flowscope">
          <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/recordings/incident.flowscope" autoFocus spellCheck={false} />
        </Field>
        {desktop && (
          <button type="button" className="btn" onClick={() => void browse()}>
            Browse…
          </button>
        )}
        {mode === 'export' && (
          <label className="check">
            <input type="checkbox" checked={onlyFiltered} onChange={(e) => setOnlyFiltered(e.target.checked)} />
            Only the messages that match the current filter
          </label>
        )}
        {mode === 'export' && (
          <label className="check">
            <input type="checkbox" checked={withDecoded} onChange={(e) => setWithDecoded(e.target.checked)} />
            With each payload decoded (Protobuf, Avro, MessagePack…) beside its bytes
          </label>
        )}
      </form>
      {mode === 'open' && recent.data && recent.data.length > 0 && (
        <section className="recent">
          <h3>Recent</h3>
          <ul>
            {recent.data.slice(0, 10).map((r) => (
              <li key={r.path}>
                <button type="button" className="link" title={r.path} onClick={() => void run(r.path)}>
                  {basename(r.path)}
                </button>{' '}
                <span className="muted small">{r.path}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </Dialog>
  );
}
