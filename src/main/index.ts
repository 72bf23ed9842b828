// The Electron shell: windows, menu, dialogs and the IPC wiring. All logic lives in the
// engine (src/core/engine), which runs the same way under `flowscope serve` and in tests.
import path from 'node:path';
import fs from 'node:fs';
import { app, BrowserWindow, Menu, dialog, shell, session, type MenuItemConstructorOptions } from 'electron';
import { Engine } from '../core/engine/engine.ts';
import { configureLogging, fileSink, getLogger } from '../core/common/logger.ts';
import { forwardEvents, registerIpc } from './ipc/index.ts';
import { SESSION_EXTENSION } from '../core/store/schema.ts';

const RENDERER_DEV_URL = process.env.ELECTRON_RENDERER_URL;
const RENDERER_FILE = path.join(__dirname, '../renderer/index.html');
const EXTERNAL_ALLOWLIST = ['https://github.com/', 'https://kafka.apache.org/', 'https://www.rabbitmq.com/'];

function isTrustedUrl(url: string): boolean {
  if (RENDERER_DEV_URL && url.startsWith(RENDERER_DEV_URL)) return true;
  return url.startsWith('file://') && decodeURIComponent(new URL(url).pathname).endsWith('/renderer/index.html');
}

/** The Electron build of better-sqlite3, fetched by scripts/electron-native.mjs on first start. */
function nativeBinding(): string | undefined {
  const candidate = path.join(app.getAppPath(), '.cache', 'electron-native', 'better_sqlite3.node');
  return fs.existsSync(candidate) ? candidate : undefined;
}

// The engine logs to a file beside Electron's own logs (FLOWSCOPE_LOG_LEVEL=debug for more).
configureLogging({ sink: fileSink(path.join(app.getPath('logs'), 'engine.log')), level: 'info' });
getLogger('app').info(`Flowscope ${app.getVersion()} starting`);

const engine = new Engine({
  dataDir: path.join(app.getPath('userData'), 'sessions'),
  version: app.getVersion(),
  transport: 'ipc',
  ...(nativeBinding() ? { nativeBinding: nativeBinding()! } : {}),
  demo: process.argv.includes('--demo'),
});

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    show: false,
    title: 'Flowscope',
    webPreferences: {
      preload: path.join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (EXTERNAL_ALLOWLIST.some((p) => url.startsWith(p))) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e, url) => {
    if (!isTrustedUrl(url)) e.preventDefault();
  });
  const stop = forwardEvents(engine, win);
  win.on('closed', stop);
  if (RENDERER_DEV_URL) void win.loadURL(RENDERER_DEV_URL);
  else void win.loadFile(RENDERER_FILE);
  return win;
}

async function openWithDialog(): Promise<void> {
  const r = await dialog.showOpenDialog({
    title: 'Open session',
    properties: ['openFile'],
    filters: [{ name: 'Flowscope session', extensions: [SESSION_EXTENSION.slice(1)] }, { name: 'All files', extensions: ['*'] }],
  });
  const file = r.filePaths[0];
  if (r.canceled || !file) return;
  try {
    engine.emit('main:session:changed', engine.openSession(file).info());
  } catch (err) {
    dialog.showErrorBox('Cannot open session', (err as Error).message);
  }
}

async function saveAsWithDialog(win: BrowserWindow | null): Promise<void> {
  const sessionId = win ? await activeSessionId(win) : null;
  if (!sessionId) return;
  const r = await dialog.showSaveDialog({ title: 'Save session as', defaultPath: `session${SESSION_EXTENSION}` });
  if (r.canceled || !r.filePath) return;
  try {
    await engine.call('renderer:session:save-as', { sessionId, path: r.filePath });
  } catch (err) {
    dialog.showErrorBox('Cannot save session', (err as Error).message);
  }
}

/** The renderer keeps the active session id in the URL (?session=…): read it from there. */
async function activeSessionId(win: BrowserWindow): Promise<string | null> {
  const url = new URL(win.webContents.getURL());
  return url.searchParams.get('session') ?? (url.hash.match(/session=([\w-]+)/)?.[1] ?? null);
}

function buildMenu(): void {
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'New Window', accelerator: 'CmdOrCtrl+Shift+N', click: () => createWindow() },
        { label: 'Open Session…', accelerator: 'CmdOrCtrl+O', click: () => void openWithDialog() },
        { label: 'Save Session As…', accelerator: 'CmdOrCtrl+Shift+S', click: (_i, w) => void saveAsWithDialog((w as BrowserWindow) ?? null) },
        {
          label: 'Start Demo Traffic',
          click: () => void engine.startDemo().then((s) => engine.emit('main:session:changed', s.info())),
        },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'Flowscope on GitHub', click: () => void shell.openExternal('https://github.com/') }],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

app.whenReady().then(() => {
  // Belt and braces: the page's own meta CSP, plus the same policy as a response header.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [
          "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'",
        ],
      },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  registerIpc(engine, isTrustedUrl);
  buildMenu();
  const fileArg = process.argv.slice(1).find((a) => a.endsWith(SESSION_EXTENSION) && fs.existsSync(a));
  if (fileArg) engine.openSession(fileArg);
  else if (process.argv.includes('--demo')) {
    // The window may already be showing: tell it about the demo session when it exists.
    void engine.startDemo().then((s) => engine.emit('main:session:changed', s.info()));
  }
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let quitting = false;
app.on('before-quit', (e) => {
  if (quitting) return;
  quitting = true;
  e.preventDefault();
  // Flush and close every session before the process goes, so nothing recorded is lost.
  void engine.shutdown().finally(() => app.quit());
});
