import fs from 'node:fs';
import { once } from 'node:events';
import { isUtf8 } from 'node:buffer';
import type { MessageFilter } from '../../shared/filter.ts';
import type { CapturedMessage } from '../../shared/model.ts';
import type { SessionStore } from '../store/session-store.ts';
import { snapshotChunks } from './chunks.ts';
import { fromJsonlRecord, toJsonlRecord } from './jsonl-record.ts';
import { ImportLineError, isBlank, parseObject } from './lines.ts';
import { importLineFile } from './atomic-session.ts';
import type { StoreOptions } from '../store/session-store.ts';

export { toJsonlRecord, fromJsonlRecord } from './jsonl-record.ts';
export { ImportLineError } from './lines.ts';

/**
 * Writes the session (or the filtered part of it) as JSON Lines, one message per line, in
 * seq order (format: jsonl-record.ts). `out` is a file path, `-` for stdout, or a stream
 * the caller owns (it is not ended). Reads a snapshot in chunks and waits for the stream
 * to drain, so memory stays bounded and a live recording keeps writing meanwhile.
 * Returns the number of messages written.
 */
export async function exportJsonl(
  store: SessionStore,
  out: string | NodeJS.WritableStream,
  filter: MessageFilter = {},
): Promise<number> {
  const owned = typeof out === 'string' && out !== '-';
  const stream: NodeJS.WritableStream =
    typeof out !== 'string' ? out : out === '-' ? process.stdout : fs.createWriteStream(out);
  let failure: Error | null = null;
  const onError = (err: Error): void => {
    failure ??= err;
  };
  stream.on('error', onError);
  let count = 0;
  try {
    for await (const chunk of snapshotChunks(store, filter, store.lastSeq)) {
      let text = '';
      for (const m of chunk) text += `${JSON.stringify(toJsonlRecord(m))}\n`;
      count += chunk.length;
      if (failure) throw failure;
      if (!stream.write(text)) await once(stream as NodeJS.EventEmitter, 'drain');
    }
    if (failure) throw failure;
    if (owned) {
      stream.end();
      await once(stream as NodeJS.EventEmitter, 'finish');
    }
    return count;
  } catch (err) {
    if (owned) {
      (stream as fs.WriteStream).destroy();
      fs.rmSync(out as string, { force: true });
    }
    throw err;
  } finally {
    stream.off('error', onError);
  }
}

/**
 * Reads Flowscope JSON Lines into a new session file. A line that is not valid makes the
 * whole import fail with an error naming the line, and no file is left behind.
 */
export async function importJsonl(
  inPath: string,
  outPath: string,
  meta: Record<string, string>,
  /** The desktop app passes its Electron build of better-sqlite3 here. */
  storeOptions: StoreOptions = {},
): Promise<{ count: number }> {
  return importLineFile(inPath, outPath, meta, 'jsonl', jsonlLine, storeOptions);
}

function jsonlLine(bytes: Buffer, line: number): CapturedMessage | null {
  // A byte-order mark some editors put in front of UTF-8 text.
  const b = line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (isBlank(b)) return null;
  if (!isUtf8(b)) {
    throw new ImportLineError(line, 'not valid UTF-8 (JSON Lines is UTF-8 text; binary payloads go in "payloadBase64")');
  }
  const o = parseObject(b.toString('utf8'), line);
  if (o.transport === undefined && typeof o.topic === 'string' && 'payload' in o) {
    throw new ImportLineError(line, 'this looks like kcat -J output, not Flowscope JSON Lines; import it with the kcat format');
  }
  return fromJsonlRecord(o, line);
}
