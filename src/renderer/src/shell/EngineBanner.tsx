import { useState } from 'react';
import { getClient } from '../api/client.ts';
import { app, dismissEngineCrash, toast, upsertSession, useApp } from '../state/app.ts';
import { errorMessage } from '../lib/format.ts';
import { CloseIcon } from '../components/icons.tsx';

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

/**
 * Shown when the engine process died: what happened, and the sessions it had open with a
 * button each to reopen them in the new engine (their files keep what was recorded).
 */
export function EngineBanner() {
  const crash = useApp((s) => s.engineCrash);
  const [busy, setBusy] = useState<string | null>(null);
  if (!crash) return null;

  const reopen = async (file: string) => {
    setBusy(file);
    try {
      const info = await getClient().call('renderer:session:open', { path: file });
      upsertSession(info, true);
      const left = (app.get().engineCrash?.files ?? []).filter((f) => f !== file);
      if (left.length === 0) dismissEngineCrash();
      else app.set((s) => ({ engineCrash: s.engineCrash && { ...s.engineCrash, files: left } }));
    } catch (err) {
      toast(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="engine-banner" role="alert" data-testid="engine-crash">
      <div className="engine-banner-text">
        {crash.message}
        {crash.files.length > 0 && crash.restarted && (
          <ul className="engine-banner-files">
            {crash.files.map((f) => (
              <li key={f}>
                <span className="mono" title={f}>
                  {baseName(f)}
                </span>
                <button type="button" className="btn" disabled={busy !== null} onClick={() => void reopen(f)}>
                  {busy === f ? 'Reopening…' : 'Reopen'}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <button type="button" className="icon-btn" aria-label="Dismiss" onClick={dismissEngineCrash}>
        <CloseIcon />
      </button>
    </div>
  );
}
