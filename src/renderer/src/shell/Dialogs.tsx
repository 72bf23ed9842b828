import { openDialog, selectActive, useApp } from '../state/app.ts';
import { ConnectDialog } from '../dialogs/ConnectDialog.tsx';
import { PathDialog } from '../dialogs/PathDialog.tsx';
import { NotesDialog } from '../dialogs/NotesDialog.tsx';
import { ReplayDialog } from '../dialogs/ReplayDialog.tsx';
import { DecodersDialog } from '../dialogs/DecodersDialog.tsx';

/** The one dialog open at a time. */
export function Dialogs() {
  const dialog = useApp((s) => s.dialog);
  const session = useApp(selectActive);
  const close = () => openDialog(null);
  switch (dialog) {
    case 'connect':
      return <ConnectDialog sessionId={session?.id ?? null} onClose={close} />;
    case 'connect-new':
      return <ConnectDialog sessionId={null} onClose={close} />;
    case 'open':
      return <PathDialog mode="open" session={session} onClose={close} />;
    case 'save-as':
    case 'export':
      return session ? <PathDialog mode={dialog} session={session} onClose={close} /> : null;
    case 'export-asyncapi':
      return session ? <PathDialog mode="export" exportFormat="asyncapi" session={session} onClose={close} /> : null;
    case 'notes':
      return session ? <NotesDialog session={session} onClose={close} /> : null;
    case 'decoders':
      return session ? <DecodersDialog session={session} onClose={close} /> : null;
    case 'replay':
      return session ? <ReplayDialog session={session} onClose={close} /> : null;
    default:
      return null;
  }
}
