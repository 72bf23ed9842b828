import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * True when both paths name the same file: the same inode when both exist (hard links,
 * symlinks, `./x` and `x` all count), otherwise the same real location. Commands use it so
 * that none writes over its own input, however the path is spelled.
 */
export function sameFile(a: string, b: string): boolean {
  const sa = statOrNull(a);
  const sb = statOrNull(b);
  if (sa && sb) return sa.dev === sb.dev && sa.ino === sb.ino;
  return realLocation(a) === realLocation(b);
}

/**
 * True when `candidate` is `file` or one of SQLite's files beside it (`-wal`, `-shm`,
 * `-journal`). Sidecars sit beside the real file, so a symlinked `file` is followed first.
 */
export function isFileOrSidecar(candidate: string, file: string): boolean {
  let real = file;
  try {
    real = fs.realpathSync(file);
  } catch {
    // Not there (yet): its own name is all there is to compare.
  }
  return ['', '-wal', '-shm', '-journal'].some((s) => sameFile(candidate, `${file}${s}`) || sameFile(candidate, `${real}${s}`));
}

/** A hidden, unique name beside `target`, for writing a file that is renamed into place when complete. */
export function siblingTemp(target: string, purpose: string): string {
  const abs = path.resolve(target);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.${randomBytes(4).toString('hex')}.${purpose}`);
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

/** The absolute path with its folder's symlinks resolved (the file itself may not exist yet). */
function realLocation(p: string): string {
  const abs = path.resolve(p);
  try {
    return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
  } catch {
    return abs;
  }
}
