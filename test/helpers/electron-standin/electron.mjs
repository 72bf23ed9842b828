// A minimal stand-in for the `electron` module, enough for out/main/index.js to boot in
// plain Node: it records what the shell does (windows, IPC handlers, the utility process,
// what it sends to windows) and reports it to the test over the Node IPC channel; the test
// drives it back (invoke a channel as a window would, quit). It is a check of the shell's
// wiring, not of Electron: nothing here renders, sandboxes or isolates anything.
import { EventEmitter } from 'node:events';
import { fork } from 'node:child_process';
import path from 'node:path';

const HOME = process.env.FLOWSCOPE_STANDIN_HOME;
const report = (msg) => process.send?.(msg);
const handlers = new Map();
const windows = [];
const TRUSTED = `file://${path.resolve('out/renderer/index.html')}`;

class App extends EventEmitter {
  isPackaged = false;
  #ready = Promise.resolve();
  whenReady() {
    return this.#ready;
  }
  getAppPath() {
    return HOME;
  }
  getPath(name) {
    return path.join(HOME, name);
  }
  getVersion() {
    return '0.0.0-standin';
  }
  requestSingleInstanceLock() {
    return true;
  }
  addRecentDocument(file) {
    report({ type: 'recent', file });
  }
  quit() {
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    report({ type: 'quit' });
    setImmediate(() => process.exit(0));
  }
}
export const app = new App();

class WebContents extends EventEmitter {
  mainFrame = { url: TRUSTED };
  setWindowOpenHandler(fn) {
    this.windowOpenHandler = fn;
  }
  send(channel, msg) {
    report({ type: 'send', channel, payload: msg?.payload });
  }
  getURL() {
    return TRUSTED;
  }
}

export class BrowserWindow extends EventEmitter {
  static getAllWindows() {
    return windows.slice();
  }
  static fromWebContents() {
    return windows[0] ?? null;
  }
  constructor(options) {
    super();
    this.webContents = new WebContents();
    windows.push(this);
    report({ type: 'window', webPreferences: options.webPreferences });
  }
  loadFile(file) {
    report({ type: 'load', file });
    return Promise.resolve();
  }
  loadURL(url) {
    report({ type: 'load', url });
    return Promise.resolve();
  }
  isDestroyed() {
    return false;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  focus() {}
  show() {}
}

export const ipcMain = {
  handle(channel, fn) {
    handlers.set(channel, fn);
  },
  removeHandler(channel) {
    handlers.delete(channel);
  },
};

export const Menu = {
  buildFromTemplate: (template) => template,
  setApplicationMenu: (menu) => report({ type: 'menu', labels: menu.map((m) => m.label ?? m.role) }),
};

// The file a native dialog "chooses" is the test's to set (FLOWSCOPE_STANDIN_CHOOSE); else cancelled.
const chosen = () => process.env.FLOWSCOPE_STANDIN_CHOOSE;
export const dialog = {
  showOpenDialog: async (...args) => {
    report({ type: 'open-dialog', options: args.at(-1) });
    return chosen() ? { canceled: false, filePaths: [chosen()] } : { canceled: true, filePaths: [] };
  },
  showSaveDialog: async (...args) => {
    report({ type: 'save-dialog', options: args.at(-1) });
    return chosen() ? { canceled: false, filePath: chosen() } : { canceled: true };
  },
  showErrorBox: (title, text) => report({ type: 'error-box', title, text }),
};

export const shell = { openExternal: async () => undefined, openPath: async () => '' };

export const session = {
  defaultSession: {
    webRequest: { onHeadersReceived: (fn) => report({ type: 'csp-hook', set: typeof fn === 'function' }) },
    setPermissionRequestHandler: (fn) => report({ type: 'permissions', set: typeof fn === 'function' }),
  },
};

export const utilityProcess = {
  fork(file, args, options) {
    const child = fork(new URL('./utility-shim.mjs', import.meta.url), args, {
      env: { ...process.env, FLOWSCOPE_STANDIN_ENTRY: file },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const proc = new EventEmitter();
    proc.pid = child.pid;
    proc.postMessage = (msg) => child.connected && child.send(msg);
    proc.kill = () => child.kill('SIGKILL');
    child.on('message', (msg) => proc.emit('message', msg));
    child.on('exit', (code) => proc.emit('exit', code ?? 1));
    report({ type: 'utility-fork', file, pid: child.pid, serviceName: options?.serviceName });
    return proc;
  },
};

export const contextBridge = {};
export const ipcRenderer = {};
export const webUtils = {};

// The test drives the shell: invoke a channel as a window's frame would, or quit.
process.on('message', async (cmd) => {
  if (cmd.cmd === 'channels') report({ type: 'channels', channels: [...handlers.keys()] });
  else if (cmd.cmd === 'invoke') {
    const frame = { url: cmd.frameUrl ?? TRUSTED };
    const sender = { mainFrame: cmd.subframe ? { url: TRUSTED } : frame };
    const fn = handlers.get(cmd.channel);
    const reply = fn ? await fn({ sender, senderFrame: frame }, cmd.raw) : { missing: true };
    report({ type: 'reply', ref: cmd.ref, reply });
  } else if (cmd.cmd === 'second-instance') app.emit('second-instance', {}, cmd.argv, process.cwd());
  else if (cmd.cmd === 'open-file') app.emit('open-file', { preventDefault() {} }, cmd.file);
  else if (cmd.cmd === 'quit') app.quit();
});

export default { app, BrowserWindow, ipcMain, Menu, dialog, shell, session, utilityProcess, contextBridge, ipcRenderer, webUtils };
