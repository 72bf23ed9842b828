import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { ApiError, isEventChannel, REQUEST_CHANNELS, type EventChannel, type Events, type RequestChannel } from '../../shared/api.ts';
import { NO_ID, answer, encodeEvent, errorReply } from '../../shared/envelope.ts';
import type { EngineHost } from '../../core/host/parent.ts';

/** What the shell relays to: the engine host, whose engine runs in its own process. */
export type RelayEngine = Pick<EngineHost, 'handle' | 'onEvent'>;

/**
 * Registers every contract channel through one wrapper: the sender frame must be one of
 * our windows' top frames loading our own page, the request envelope must name the channel
 * it came on, and the engine process validates the payload against the contract's schema.
 * Nothing else in the app calls ipcMain but the shell's own channels (desktop.ts), behind
 * the same sender check.
 */
export function registerIpc(
  engine: RelayEngine,
  isTrustedUrl: (url: string) => boolean,
  /** Told of every request the engine answered (the shell adds opened files to the OS's recent list). */
  onAnswered: (channel: RequestChannel, input: unknown, result: unknown) => void = () => undefined,
): () => void {
  const validSender = trustedSender(isTrustedUrl);
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, (e, raw: unknown) => {
      // An untrusted frame learns nothing, not even whether its request was well-formed.
      if (!validSender(e)) return errorReply(NO_ID, new ApiError('unauthorized', 'IPC from an untrusted frame'));
      return answer(raw, async (requested, input) => {
        if (requested !== channel) throw new ApiError('bad-request', `A request for ${requested} arrived on ${channel}`);
        const result = await engine.handle(requested, input);
        try {
          onAnswered(requested, input, result);
        } catch {
          // The OS's recent list failing must not fail the request it followed.
        }
        return result;
      });
    });
  }
  return () => {
    for (const channel of REQUEST_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** The sender check of every channel: one of our windows' top frames, loading our own page. */
export function trustedSender(isTrustedUrl: (url: string) => boolean): (e: IpcMainInvokeEvent) => boolean {
  return (e) => {
    const frame = e.senderFrame;
    return !!frame && frame === e.sender.mainFrame && isTrustedUrl(frame.url);
  };
}

/** Forwards engine events to a window, only on the contract's event channels. */
export function forwardEvents(engine: RelayEngine, win: BrowserWindow): () => void {
  return engine.onEvent((msg) => {
    if (!isEventChannel(msg.event) || win.isDestroyed()) return;
    win.webContents.send(msg.event, msg);
  });
}

/** An event the shell itself raises (a session the File menu opened), sent to every window. */
export function broadcast<E extends EventChannel>(event: E, payload: Events[E]): void {
  const msg = encodeEvent(event, payload);
  for (const win of BrowserWindow.getAllWindows()) if (!win.isDestroyed()) win.webContents.send(event, msg);
}
