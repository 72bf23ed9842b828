import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { ApiError, isEventChannel, REQUEST_CHANNELS } from '../../shared/api.ts';
import { NO_ID, answer, errorReply } from '../../shared/envelope.ts';
import type { Engine } from '../../core/engine/engine.ts';

/**
 * Registers every contract channel through one wrapper: the sender frame must be one of
 * our windows' top frames loading our own page, the request envelope must name the channel
 * it came on, and the engine validates the payload. Nothing else in the app calls ipcMain.
 */
export function registerIpc(engine: Engine, isTrustedUrl: (url: string) => boolean): () => void {
  const validSender = (e: IpcMainInvokeEvent): boolean => {
    const frame = e.senderFrame;
    return !!frame && frame === e.sender.mainFrame && isTrustedUrl(frame.url);
  };
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, (e, raw: unknown) => {
      // An untrusted frame learns nothing, not even whether its request was well-formed.
      if (!validSender(e)) return errorReply(NO_ID, new ApiError('unauthorized', 'IPC from an untrusted frame'));
      return answer(raw, (requested, input) => {
        if (requested !== channel) throw new ApiError('bad-request', `A request for ${requested} arrived on ${channel}`);
        return engine.handle(requested, input);
      });
    });
  }
  return () => {
    for (const channel of REQUEST_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** Forwards engine events to a window, only on the contract's event channels. */
export function forwardEvents(engine: Engine, win: BrowserWindow): () => void {
  return engine.onEvent((msg) => {
    if (!isEventChannel(msg.event) || win.isDestroyed()) return;
    win.webContents.send(msg.event, msg);
  });
}
