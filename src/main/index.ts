// The Electron shell: windows, menu, dialogs, and the relay between the windows' IPC and the
// engine, which runs in its own process (an Electron utilityProcess, src/core/host). This
// process never opens SQLite nor decodes traffic, so windows and menus stay responsive
// whatever is being recorded.
import path from 'node:path';
import fs from 'node:fs';
import { app, BrowserWindow, Menu, dialog, shell, session, type MenuItemConstructorOptions } from 'electron';
import { EngineHost } from '../core/host/parent.ts';
import { configureLogging, fileSink, getLogger } from '../core/common/logger.ts';
import { broadcast, forwardEvents, registerIpc, trustedSender } from './ipc/index.ts';
import { registerDesktopIpc } from './ipc/desktop.ts';
import { forkUtilityEngine } from './ipc/engine-process.ts';
import { SESSION_EXTENSION } from '../core/store/schema.ts';

const RENDERER_DEV_URL = process.env.ELECTRON_RENDERER_URL;
const RENDERER_FILE = path.join(__dirname, '../renderer/index.html');
const ENGINE_FILE = path.join(__dirname, 'engine.js');
const EXTERNAL_ALLOWLIST = ['https://github.com/', 'https://kafka.apache.org/', 'https://www.rabbitmq.com/'];

const log = getLogger('app');

function isTrustedUrl(url: string): boolean {
  if (RENDERER_DEV_URL && url.startsWith(RENDERER_DEV_URL)) return true;
  return url.startsWith('file://') && decodeURIComponent(new URL(url).pathname).endsWith('/renderer/index.html');
}

/**
 * The Electron build of better-sqlite3 when running from a checkout: node_modules holds the
 * Node build (for the CLI and the tests), and scripts/electron-native.mjs fetched Electron's
 * into .cache/ on `npm start`. A packaged app has only Electron's build, rebuilt by
 * electron-builder and unpacked from the asar, where better-sqlite3 finds it by itself.
 */
function nativeBinding(): string | undefined {
  if (app.isPackaged) return undefined;
  const candidate = path.join(app.getAppPath(), '.cache', 'electron-native', 'better_sqlite3.node');
  return fs.existsSync(candidate) ? candidate : undefined;
}

/** A session file named on a command line (a double-click on Linux and Windows, a second start). */
function sessionFileIn(argv: readonly string[]): string | undefined {
  return argv.slice(1).find((a) => a.endsWith(SESSION_EXTENSION) && fs.existsSync(a));
}

// A second start (a double-clicked file while Flowscope runs) hands its file to this one.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  start();
}

function start(): void {
  // Both processes log to files beside Electron's own logs (FLOWSCOPE_LOG_LEVEL=debug for more).
  const logs = app.getPath('logs');
  configureLogging({ sink: fileSink(path.join(logs, 'main.log')), level: 'info' });
  log.info(`Flowscope ${app.getVersion()} starting`);

  let engine: EngineHost | null = null;
  /** Files asked for before the engine could open them (macOS sends open-file before ready). */
  const pendingFiles: string[] = [];
  const demo = process.argv.includes('--demo');
  const firstFile = sessionFileIn(process.argv);
  if (firstFile) pendingFiles.push(firstFile);

  /** Opens a session in the engine, shows it in every window and lists it in the OS's recent documents. */
  async function openSessionFile(file: string): Promise<void> {
    if (!engine) {
      pendingFiles.push(file);
      return;
    }
    try {
      const info = await engine.call('renderer:session:open', { path: path.resolve(file) });
      broadcast('main:session:changed', info);
      app.addRecentDocument(info.path);
    } catch (err) {
      dialog.showErrorBox('Cannot open session', (err as Error).message);
    }
  }

  function focusWindow(): void {
    const win = BrowserWindow.getAllWindows()[0] ?? createWindow();
    if (win.isMinimized()) win.restore();
    win.focus();
  }

  app.on('second-instance', (_e, argv) => {
    const file = sessionFileIn(argv);
    if (file) void openSessionFile(file);
    focusWindow();
  });
  app.on('open-file', (e, file) => {
    e.preventDefault();
    void openSessionFile(file);
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
    if (engine) {
      const stop = forwardEvents(engine, win);
      win.on('closed', stop);
    }
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
    if (!r.canceled && file) await openSessionFile(file);
  }

  async function saveAsWithDialog(win: BrowserWindow | null): Promise<void> {
    const sessionId = win ? activeSessionId(win) : null;
    if (!sessionId || !engine) return;
    const r = await dialog.showSaveDialog({ title: 'Save session as', defaultPath: `session${SESSION_EXTENSION}` });
    if (r.canceled || !r.filePath) return;
    try {
      await engine.call('renderer:session:save-as', { sessionId, path: r.filePath });
      app.addRecentDocument(r.filePath);
    } catch (err) {
      dialog.showErrorBox('Cannot save session', (err as Error).message);
    }
  }

  /** The renderer keeps the active session id in the URL (?session=…): read it from there. */
  function activeSessionId(win: BrowserWindow): string | null {
    const url = new URL(win.webContents.getURL());
    return url.searchParams.get('session') ?? (url.hash.match(/session=([\w-]+)/)?.[1] ?? null);
  }

  async function startDemo(): Promise<void> {
    if (!engine) return;
    try {
      broadcast('main:session:changed', await engine.call('renderer:demo:start', {}));
    } catch (err) {
      log.error('demo', err);
      broadcast('main:app:error', { message: (err as Error).message });
    }
  }

  function buildMenu(): void {
    const template: MenuItemConstructorOptions[] = [
      {
        label: 'File',
        submenu: [
          { label: 'New Window', accelerator: 'CmdOrCtrl+Shift+N', click: () => createWindow() },
          { label: 'Open Session…', accelerator: 'CmdOrCtrl+O', click: () => void openWithDialog() },
          { label: 'Save Session As…', accelerator: 'CmdOrCtrl+Shift+S', click: (_i, w) => void saveAsWithDialog((w as BrowserWindow) ?? null) },
          { label: 'Start Demo Traffic', click: () => void startDemo() },
          { type: 'separator' },
          { label: 'Show Log Files', click: () => void shell.openPath(logs) },
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

  void app.whenReady().then(() => {
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

    // A utility process can only be started once the app is ready. Requests that arrive
    // while it starts wait for it.
    const nb = nativeBinding();
    engine = EngineHost.launch({
      spawn: () => forkUtilityEngine(ENGINE_FILE),
      engine: {
        dataDir: path.join(app.getPath('userData'), 'sessions'),
        version: app.getVersion(),
        transport: 'ipc',
        demo,
        ...(nb ? { nativeBinding: nb } : {}),
      },
      logFile: path.join(logs, 'engine.log'),
    });
    engine.whenReady().then(
      () => log.info(`engine process ${engine?.pid ?? '?'} ready`),
      (err: unknown) => {
        log.error('the engine process did not start', err);
        dialog.showErrorBox('Flowscope cannot start its engine', `${(err as Error).message}\n\nThe log files are in ${logs}.`);
      },
    );
    registerIpc(engine, isTrustedUrl, (channel, input, result) => {
      // Sessions opened or saved from the window join the OS's recent documents too.
      if (channel === 'renderer:session:open') app.addRecentDocument((result as { path: string }).path);
      if (channel === 'renderer:session:save-as') app.addRecentDocument(path.resolve((input as { path: string }).path));
    });
    registerDesktopIpc(engine, trustedSender(isTrustedUrl));
    buildMenu();
    for (const file of pendingFiles.splice(0)) void openSessionFile(file);
    if (!firstFile && demo) void startDemo();
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
    if (quitting || !engine) return;
    quitting = true;
    e.preventDefault();
    // The engine flushes and closes every session before the app goes, so nothing recorded is lost.
    void engine.shutdown().finally(() => app.quit());
  });
}
