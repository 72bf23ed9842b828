import { startWorker } from '../common/worker-thread.ts';
import { SessionFileError } from './errors.ts';
import type { StoreOptions } from './open.ts';

/**
 * Runs the large-file walk of `path` on its own thread (integrity-worker.ts). Resolves when
 * the file is sound; rejects with the damaged-session error (code `corrupt`) when it is
 * not, or with the thread's own failure. The thread never keeps the process alive: a
 * session closed meanwhile needs no answer.
 */
export function verifyInBackground(path: string, options: StoreOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const worker = startWorker('integrity-worker', import.meta.url, { path, options });
    worker.unref();
    let answered = false;
    worker.once('message', (r: { ok: true } | { ok: false; message: string }) => {
      answered = true;
      if (r.ok) resolve();
      else reject(new SessionFileError(r.message, 'corrupt'));
    });
    worker.once('error', (err) => reject(err));
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the damage check stopped (exit code ${code})`));
    });
  });
}
