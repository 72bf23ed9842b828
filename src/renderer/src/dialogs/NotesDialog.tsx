import { useState } from 'react';
import type { SessionInfo } from '../../../shared/views.ts';
import { Dialog } from '../components/Dialog.tsx';
import { getClient } from '../api/client.ts';
import { upsertSession } from '../state/app.ts';
import { errorMessage } from '../lib/format.ts';

/** Free-text notes kept inside the session file, for whoever opens it next. */
export function NotesDialog({ session, onClose }: { session: SessionInfo; onClose(): void }) {
  const [notes, setNotes] = useState(session.notes);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    try {
      upsertSession(await getClient().call('renderer:session:set-notes', { sessionId: session.id, notes }), false);
      onClose();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <Dialog
      title="Session notes"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn primary" onClick={() => void save()} disabled={session.readonly}>
            Save notes
          </button>
        </>
      }
    >
      <textarea
        className="notes"
        rows={10}
        value={notes}
        onChange={(e) => setNotes(e.target.value)}
        aria-label="Notes"
        placeholder="What was recorded, what to look at, the ticket it belongs to…"
        readOnly={session.readonly}
        autoFocus
      />
      {session.readonly && <p className="muted small">This file is read-only; Save As to keep notes.</p>}
      {error && <p className="inline-error">{error}</p>}
    </Dialog>
  );
}
