import type { DesktopApi } from '../../../shared/api.ts';
import type { SessionInfo } from '../../../shared/views.ts';
import { getClient } from '../api/client.ts';
import { app, openDialog, toast, upsertSession } from '../state/app.ts';
import { errorMessage } from './format.ts';

/**
 * The desktop app's native file dialogs and dropped files, when the client has them (the
 * preload adds `desktop`); the browser build falls back to the typed-path dialog.
 */
export function desktopApi(): DesktopApi | undefined {
  try {
    return getClient().desktop;
  } catch {
    return undefined;
  }
}

const SESSION_EXT = '.flowscope';

async function openPath(file: string): Promise<void> {
  try {
    upsertSession(await getClient().call('renderer:session:open', { path: file }), true);
  } catch (err) {
    toast(errorMessage(err));
  }
}

/** Open…: the system's dialog in the app; a file that is not a session goes to the import dialog, prefilled. */
export async function chooseAndOpen(): Promise<void> {
  const desktop = desktopApi();
  if (!desktop) return openDialog('open');
  try {
    const { path } = await desktop.call('renderer:dialog:choose-file', { purpose: 'open' });
    if (!path) return;
    if (path.toLowerCase().endsWith(SESSION_EXT)) await openPath(path);
    else openDialog('open', path);
  } catch (err) {
    toast(errorMessage(err));
  }
}

/** Save As…: the system's save dialog in the app, which also asks before replacing a file. */
export async function chooseAndSaveAs(session: SessionInfo): Promise<void> {
  const desktop = desktopApi();
  if (!desktop) return openDialog('save-as');
  try {
    const defaultPath = session.path.replace(/(\.flowscope)?$/, '-copy.flowscope');
    const { path } = await desktop.call('renderer:dialog:choose-target', { purpose: 'save-as', defaultPath });
    if (!path) return;
    upsertSession(await getClient().call('renderer:session:save-as', { sessionId: session.id, path }), false);
    toast(`Saved as ${path}`, 'info');
  } catch (err) {
    toast(errorMessage(err));
  }
}

/** A session file dropped on the window: the shell checks it and the engine opens it. */
export async function openDropped(files: readonly File[]): Promise<void> {
  const desktop = desktopApi();
  if (!desktop) {
    toast('Dropping a file works in the desktop app; here, use Open… and type its path.');
    return;
  }
  for (const file of files) {
    const path = desktop.pathForFile(file);
    if (!path) {
      toast(`${file.name} has no path on this machine; save it first, then drop the saved file.`);
      continue;
    }
    try {
      upsertSession(await desktop.call('renderer:desktop:open-dropped', { path }), true);
    } catch (err) {
      toast(errorMessage(err));
    }
  }
  if (app.get().dialog === 'open') openDialog(null);
}
