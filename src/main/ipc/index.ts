import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { ApiError, EVENT_CHANNELS, REQUEST_CHANNELS } from '../../shared/api.ts';
import type { Engine } from '../../core/engine/engine.ts';

/**
 * Registers every contract channel through one wrapper: the sender frame must be one of
 * our windows' top frames loading our own page, and the engine validates the payload.
 * Nothing else in the app calls ipcMain.
 */
export function registerIpc(engine: Engine, isTrustedUrl: (url: string) => boolean): () => void {
  const validSender = (e: IpcMainInvokeEvent): boolean => {
    const frame = e.senderFrame;
    return !!frame && frame === e.sender.mainFrame && isTrustedUrl(frame.url);
  };
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, async (e, input: unknown) => {
      if (!validSender(e)) return { ok: false, error: { code: 'unauthorized', message: 'IPC from an untrusted frame' } };
      try {
        return { ok: true, result: (await engine.handle(channel, input)) ?? null };
      } catch (err) {
        const apiErr = err instanceof ApiError ? err : new ApiError('failed', (err as Error).message);
        return { ok: false, error: { code: apiErr.code, message: apiErr.message } };
      }
    });
  }
  return () => {
    for (const channel of REQUEST_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** Forwards engine events to a window, only on the contract's event channels. */
export function forwardEvents(engine: Engine, win: BrowserWindow): () => void {
  return engine.onEvent((event, payload) => {
    if (!EVENT_CHANNELS.includes(event) || win.isDestroyed()) return;
    win.webContents.send(event, payload);
  });
}
