import fs from 'node:fs';
import { once } from 'node:events';
import type { SessionStore } from '../store/session-store.ts';
import { SessionFileError, asSessionFileError } from '../store/session-store.ts';
import { isFileOrSidecar, siblingTemp } from '../common/same-file.ts';

/**
 * Writes an export of `store` to the file `out` so that it appears complete or not at all:
 * `write` fills a hidden temp file beside the target, which is renamed into place only
 * when it returns. A failed export leaves no file and an existing one as it was; the
 * session's own file (or its WAL) is never a target. Returns what `write` returns.
 */
export async function exportToFile<T>(store: SessionStore, out: string, write: (stream: NodeJS.WritableStream) => Promise<T>): Promise<T> {
  if (isFileOrSidecar(out, store.path)) {
    throw new SessionFileError(`${out} is the session being exported; choose another file to export to.`, 'own-input');
  }
  const tmp = siblingTemp(out, 'exporting');
  const stream = fs.createWriteStream(tmp, { flags: 'wx' });
  try {
    await once(stream, 'open');
    const result = await write(stream);
    stream.end();
    await once(stream, 'finish');
    fs.renameSync(tmp, out);
    return result;
  } catch (err) {
    // Wait for the descriptor to close, or the file could be created after it is removed.
    if (!stream.closed) {
      stream.destroy();
      await once(stream, 'close').catch(() => undefined);
    }
    fs.rmSync(tmp, { force: true });
    throw asSessionFileError(err, store.path);
  }
}

/**
 * Writes `text` and waits for the stream to drain when its buffer is full, so an export
 * holds at most one chunk in memory. A stream error (a full disk) surfaces at the next write.
 */
export async function writeText(stream: NodeJS.WritableStream, text: string, failure: () => Error | null): Promise<void> {
  const err = failure();
  if (err) throw err;
  if (text && !stream.write(text)) await once(stream as NodeJS.EventEmitter, 'drain');
}

/** Records the first error a stream emits, for writers that check between writes. */
export function watchErrors(stream: NodeJS.WritableStream): { failure: () => Error | null; dispose(): void } {
  let failure: Error | null = null;
  const onError = (err: Error): void => {
    failure ??= err;
  };
  stream.on('error', onError);
  return { failure: () => failure, dispose: () => stream.off('error', onError) };
}
