import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Engine } from '../main/engine/engine.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function createEngine(transport: 'ipc' | 'bridge' = 'bridge', demo = false): Engine {
  const dataDir = process.env.FLOWSCOPE_DATA_DIR || path.join(os.homedir(), '.flowscope', 'sessions');
  return new Engine({ dataDir, version: version(), transport, demo });
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
export function untilSignal(): { promise: Promise<string>; dispose: () => void } {
  let resolveFn: (s: string) => void = () => undefined;
  let seen = false;
  const handler = (sig: NodeJS.Signals) => {
    if (seen) process.exit(130);
    seen = true;
    resolveFn(sig);
  };
  const promise = new Promise<string>((r) => {
    resolveFn = r;
  });
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** A live one-line status on a terminal, or a line every few seconds when piped. */
export function progressLine(): { update: (text: string) => void; note: (text: string) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  let current = '';
  return {
    update(text: string) {
      current = text;
      const now = Date.now();
      if (tty) process.stderr.write(`\r\x1b[2K${text}`);
      else if (now - last >= 2000) {
        process.stderr.write(`${text}\n`);
        last = now;
      }
    },
    /** A line that stays (a status change), printed above the live line. */
    note(text: string) {
      if (tty) process.stderr.write(`\r\x1b[2K${text}\n${current}`);
      else process.stderr.write(`${text}\n`);
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

export function rendererDir(): string | undefined {
  const dir = path.join(ROOT, 'out', 'renderer');
  return fs.existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}
