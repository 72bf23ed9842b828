import { useState } from 'react';
import type { SessionInfo } from '../../../shared/views.ts';
import { Dialog, Field } from '../components/Dialog.tsx';
import { getClient } from '../api/client.ts';
import { toast, upsertSession, useApp } from '../state/app.ts';
import { useApi } from '../lib/use-api.ts';
import { basename, errorMessage, formatCount } from '../lib/format.ts';
import { desktopApi } from '../lib/desktop.ts';

type Mode = 'open' | 'save-as' | 'export';
type Format = 'session' | 'jsonl' | 'kcat' | 'har';
export type ExportFormat = 'jsonl' | 'har' | 'asyncapi';

/** What each export format writes, and the name its file gets beside the session. */
const EXPORTS: Record<ExportFormat, { label: string; suffix: string; title: string }> = {
  jsonl: { label: 'JSON Lines (one message per line)', suffix: '.jsonl', title: 'Export as JSON Lines' },
  har: { label: 'HAR (WebSocket connections, for Chrome DevTools)', suffix: '.har', title: 'Export as HAR' },
  asyncapi: { label: 'AsyncAPI 3.0 (what was observed; .json for JSON)', suffix: '.asyncapi.yaml', title: 'Export an AsyncAPI document' },
};

function sibling(path: string, suffix: string): string {
  return path.replace(/(\.flowscope)?$/, suffix);
}

/**
 * File paths typed by hand: the browser build has no native file dialogs. In the desktop
 * app Open… and Save As… use the system's dialogs (lib/desktop.ts); this one still serves
 * imports and exports there, with a Browse… button that opens the system's dialog.
 */
export function PathDialog({ mode, session, onClose, exportFormat: initialExport = 'jsonl' }: { mode: Mode; session: SessionInfo | null; onClose(): void; exportFormat?: ExportFormat }) {
  const filter = useApp((s) => s.filter);
  const given = useApp((s) => s.dialogPath);
  const desktop = desktopApi();
  const [exportFormat, setExportFormat] = useState<ExportFormat>(initialExport);
  const initial = given ?? (mode === 'save-as' && session ? sibling(session.path, '-copy.flowscope') : mode === 'export' && session ? sibling(session.path, EXPORTS[initialExport].suffix) : '');
  const [path, setPath] = useState(initial);
  // A file the system's dialog chose that is not a session is to be imported.
  const [format, setFormat] = useState<Format>(given && !given.toLowerCase().endsWith('.flowscope') ? (given.toLowerCase().endsWith('.har') ? 'har' : 'jsonl') : 'session');
  // Another export format renames the file the dialog proposed (not one the user typed).
  const chooseExport = (f: ExportFormat) => {
    if (session && path === sibling(session.path, EXPORTS[exportFormat].suffix)) setPath(sibling(session.path, EXPORTS[f].suffix));
    setExportFormat(f);
  };
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
          format: exportFormat,
          ...(onlyFiltered ? { filter } : {}),
          ...(withDecoded && exportFormat === 'jsonl' ? { decoded: true } : {}),
        });
        const what = exportFormat === 'asyncapi' ? `an AsyncAPI document (${formatCount(r.count)} channels)` : exportFormat === 'har' ? `${formatCount(r.count)} WebSocket frames` : `${formatCount(r.count)} messages`;
        toast(`Exported ${what} to ${r.path}`, 'info');
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

  const title = mode === 'open' ? 'Open a session' : mode === 'save-as' ? 'Save session as' : EXPORTS[exportFormat].title;
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
              <option value="har">HAR (Chrome DevTools, mitmproxy)</option>
            </select>
          </Field>
        )}
        {mode === 'export' && (
          <Field label="Format">
            <select value={exportFormat} onChange={(e) => chooseExport(e.target.value as ExportFormat)} aria-label="Export format">
              {(Object.keys(EXPORTS) as ExportFormat[]).map((f) => (
                <option key={f} value={f}>
                  {EXPORTS[f].label}
                </option>
              ))}
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
        {/* Only JSON Lines has a place for the decoded form beside the bytes. */}
        {mode === 'export' && exportFormat === 'jsonl' && (
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
