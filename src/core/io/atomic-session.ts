import fs from 'node:fs';
import path from 'node:path';
import type { CapturedMessage, Gap } from '../../shared/model.ts';
import { IMPORT_BATCH } from '../common/constants.ts';
import { SessionFileError, SessionStore, type StoreOptions } from '../store/session-store.ts';
import { sameFile, siblingTemp } from '../common/same-file.ts';
import { readLines } from './lines.ts';

/** What one imported line holds: a message, a gap (JSON Lines' gap lines), or nothing to keep. */
export type ImportedLine = CapturedMessage | { gap: Gap } | null;

/**
 * Imports a line-oriented file (JSON Lines, kcat -J) into a new session file, atomically.
 * `toMessage` turns one line's bytes into a message, or null to skip the line; an error it
 * throws (ImportLineError names the line) fails the whole import and leaves no file behind.
 */
export async function importLineFile(
  inPath: string,
  outPath: string,
  meta: Record<string, string>,
  format: string,
  toMessage: (bytes: Buffer, line: number) => ImportedLine,
  /** The desktop app passes its Electron build of better-sqlite3 here. */
  storeOptions: StoreOptions = {},
): Promise<{ count: number }> {
  assertReadable(inPath);
  const info = { ...meta, imported_from: path.basename(inPath), import_format: format };
  return createSessionAtomically(
    outPath,
    info,
    async (w) => {
      for await (const { line, bytes } of readLines(inPath)) {
        const msg = toMessage(bytes, line);
        if (msg && 'gap' in msg) w.addGap(msg.gap);
        else if (msg) w.add(msg);
      }
      w.registerEndpoints(inPath, format);
    },
    storeOptions,
    inPath,
  );
}

function assertReadable(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new Error(`${file} does not exist.`);
  }
  if (!st.isFile()) throw new Error(`${file} is not a file.`);
}

/**
 * Builds a new session file so that it appears complete or not at all: everything is
 * written to a hidden temp file beside `outPath`, which is linked into place only when
 * `fill` succeeds, and removed (with its WAL) when it fails. `inputPath`, the file being
 * imported, is never written over.
 */
export async function createSessionAtomically(
  outPath: string,
  meta: Record<string, string>,
  fill: (writer: ChunkWriter) => Promise<void>,
  storeOptions: StoreOptions = {},
  inputPath?: string,
): Promise<{ count: number }> {
  const out = path.resolve(outPath);
  if (inputPath !== undefined && sameFile(out, inputPath)) {
    throw new SessionFileError(`${out} is the file being imported; choose another name for the new session.`, 'own-input');
  }
  if (fs.existsSync(out)) throw existing(out, storeOptions);
  const tmp = siblingTemp(out, 'importing');
  const store = SessionStore.create(tmp, meta, storeOptions);
  const writer = new ChunkWriter(store);
  try {
    await fill(writer);
    writer.flush();
    store.close();
    publish(tmp, out);
    return { count: writer.count };
  } catch (err) {
    store.close();
    removeSessionFiles(tmp);
    throw err;
  }
}

/**
 * Why an existing target is refused. A damaged session is described in the words every
 * command uses for it, so the user learns what the file is, not only that it is there.
 */
function existing(out: string, storeOptions: StoreOptions): SessionFileError {
  try {
    SessionStore.open(out, { readonly: true, ...storeOptions }).close();
  } catch (err) {
    if (err instanceof SessionFileError && err.code === 'corrupt') return err;
  }
  return new SessionFileError(`${out} already exists; choose another file name.`, 'exists');
}

/** Moves the finished file into place without ever replacing a file someone created meanwhile. */
function publish(tmp: string, out: string): void {
  try {
    fs.linkSync(tmp, out);
    fs.unlinkSync(tmp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      removeSessionFiles(tmp);
      throw new SessionFileError(`${out} already exists; choose another file name.`, 'exists');
    }
    // File systems without hard links: fall back to rename after one more check.
    if (fs.existsSync(out)) {
      removeSessionFiles(tmp);
      throw new SessionFileError(`${out} already exists; choose another file name.`, 'exists');
    }
    fs.renameSync(tmp, out);
  }
}

function removeSessionFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
}

/** Collects imported messages and writes them one transaction per chunk. */
export class ChunkWriter {
  private pending: CapturedMessage[] = [];
  private gaps: Gap[] = [];
  private readonly endpoints = new Map<string, string>();
  count = 0;

  constructor(readonly store: SessionStore) {}

  add(msg: CapturedMessage): void {
    this.pending.push(msg);
    if (!this.endpoints.has(msg.endpoint)) this.endpoints.set(msg.endpoint, msg.transport);
    if (this.pending.length >= IMPORT_BATCH) this.flush();
  }

  addGap(gap: Gap): void {
    this.gaps.push(gap);
  }

  flush(): void {
    if (this.gaps.length > 0) {
      this.store.addGaps(this.gaps);
      this.gaps = [];
    }
    if (this.pending.length === 0) return;
    this.store.insertBatch(this.pending);
    this.count += this.pending.length;
    this.pending = [];
  }

  /** Lists the endpoints the imported messages name, so the session shows where they came from. */
  registerEndpoints(sourceFile: string, format: string): void {
    const now = Date.now();
    const from = path.basename(sourceFile);
    for (const [id, transport] of this.endpoints) {
      this.store.upsertEndpoint({ id, transport, label: `${id} (imported from ${from})`, config: { imported: from, format }, createdAt: now });
    }
  }
}
