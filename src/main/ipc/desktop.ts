import fs from 'node:fs';
import path from 'node:path';
import { app, dialog, ipcMain, BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { ApiError, DESKTOP_CHANNELS, parseDesktopInput, type DesktopChannel, type DesktopParsed, type DesktopResults } from '../../shared/api.ts';
import { NO_ID, errorReply, okReply, type ReplyEnvelope } from '../../shared/envelope.ts';
import { SESSION_EXTENSION } from '../../core/store/schema.ts';
import type { EngineHost } from '../../core/host/parent.ts';

type Handlers = { [C in DesktopChannel]: (input: DesktopParsed<C>, win: BrowserWindow | null) => Promise<DesktopResults[C]> };

const SESSION_FILTER = { name: 'Flowscope session', extensions: [SESSION_EXTENSION.slice(1)] };

/**
 * A dropped file is checked here before the engine sees its path: a page could name any
 * path, so only an existing regular file with the session extension is passed on.
 */
export function checkDroppedSession(file: string): string {
  if (!path.isAbsolute(file)) throw new ApiError('bad-request', 'A dropped file needs an absolute path.');
  if (path.extname(file).toLowerCase() !== SESSION_EXTENSION) {
    throw new ApiError('bad-request', `${path.basename(file)} is not a Flowscope session (${SESSION_EXTENSION}); use Open… to import JSON Lines or kcat files.`);
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ApiError('not-found', `${file} does not exist.`);
  }
  if (!stat.isFile()) throw new ApiError('bad-request', `${file} is not a file.`);
  return file;
}

function handlers(engine: Pick<EngineHost, 'call'>): Handlers {
  return {
    'renderer:dialog:choose-file': async (input, win) => {
      const filters =
        input.purpose === 'open'
          ? [SESSION_FILTER, { name: 'All files', extensions: ['*'] }]
          : [{ name: 'JSON Lines (flowscope export, kcat -J)', extensions: ['jsonl', 'json', 'ndjson', 'txt'] }, { name: 'HAR (Chrome DevTools, mitmproxy)', extensions: ['har'] }, { name: 'All files', extensions: ['*'] }];
      const options = { title: input.purpose === 'open' ? 'Open session' : 'Import messages', properties: ['openFile' as const], filters };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return { path: r.canceled ? null : (r.filePaths[0] ?? null) };
    },
    'renderer:dialog:choose-target': async (input, win) => {
      const options = {
        title: input.purpose === 'save-as' ? 'Save session as' : 'Export as JSON Lines',
        ...(input.defaultPath ? { defaultPath: input.defaultPath } : {}),
        filters: input.purpose === 'save-as' ? [SESSION_FILTER] : [{ name: 'JSON Lines', extensions: ['jsonl'] }, { name: 'HAR', extensions: ['har'] }, { name: 'AsyncAPI', extensions: ['yaml', 'yml', 'json'] }, { name: 'All files', extensions: ['*'] }],
      };
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return { path: r.canceled || !r.filePath ? null : r.filePath };
    },
    'renderer:desktop:open-dropped': async (input) => {
      const info = await engine.call('renderer:session:open', { path: checkDroppedSession(input.path) });
      app.addRecentDocument(info.path);
      return info;
    },
  };
}

/**
 * Registers the shell's own channels with the same sender check as the contract's: only
 * our own top frame may ask for a dialog or hand over a dropped file.
 */
export function registerDesktopIpc(engine: Pick<EngineHost, 'call'>, validSender: (e: IpcMainInvokeEvent) => boolean): () => void {
  const run = handlers(engine);
  for (const channel of DESKTOP_CHANNELS) {
    ipcMain.handle(channel, async (e, raw: unknown): Promise<ReplyEnvelope> => {
      if (!validSender(e)) return errorReply(NO_ID, new ApiError('unauthorized', 'IPC from an untrusted frame'));
      const req = (typeof raw === 'object' && raw !== null ? raw : {}) as { id?: unknown; channel?: unknown; input?: unknown };
      const id = typeof req.id === 'number' && Number.isSafeInteger(req.id) ? req.id : NO_ID;
      try {
        if (req.channel !== channel) throw new ApiError('bad-request', `A request for ${String(req.channel).slice(0, 80)} arrived on ${channel}`);
        const input = parseDesktopInput(channel, req.input);
        const handler = run[channel] as (i: typeof input, w: BrowserWindow | null) => Promise<unknown>;
        return okReply(id, await handler(input, BrowserWindow.fromWebContents(e.sender)));
      } catch (err) {
        return errorReply(id, err);
      }
    });
  }
  return () => {
    for (const channel of DESKTOP_CHANNELS) ipcMain.removeHandler(channel);
  };
}
