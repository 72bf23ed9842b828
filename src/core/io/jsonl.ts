import path from 'node:path';
import { once } from 'node:events';
import { isUtf8 } from 'node:buffer';
import type { MessageFilter } from '../../shared/filter.ts';
import type { SessionStore, StoreOptions } from '../store/session-store.ts';
import { snapshotChunks } from './chunks.ts';
import { fromJsonlRecord, toJsonlRecord } from './jsonl-record.ts';
import { fromJsonlGap, gapsFor, isJsonlGap, toJsonlGap } from './jsonl-gap.ts';
import { ImportLineError, isBlank, parseObject } from './lines.ts';
import { importLineFile, type ImportedLine } from './atomic-session.ts';
import { exportToFile } from './export-file.ts';
import { escapeInvisibleInJson } from '../../shared/invisible.ts';

export { toJsonlRecord, fromJsonlRecord } from './jsonl-record.ts';
import type { DecoderRegistry } from '../decode/registry.ts';
export { ImportLineError } from './lines.ts';

/**
 * Writes the session (or the filtered part of it) as JSON Lines, one message per line, in
 * seq order (format: jsonl-record.ts), then its gaps, one `"type":"gap"` line each
 * (jsonl-gap.ts). `out` is a file path, `-` for stdout, or a stream
 * the caller owns (it is not ended). Reads a snapshot in chunks and waits for the stream
 * to drain, so memory stays bounded and a live recording keeps writing meanwhile.
 * A file is written beside its target and renamed into place only when complete: a failed
 * export leaves no file and an existing one as it was. `escapeInvisible` writes invisible and
 * bidi control characters as `\u` escapes (the same JSON), for a terminal that would apply
 * them. Returns the number of messages written.
 */
export async function exportJsonl(
  store: SessionStore,
  out: string | NodeJS.WritableStream,
  filter: MessageFilter = {},
  opts: { escapeInvisible?: boolean; decoders?: DecoderRegistry } = {},
): Promise<number> {
  if (typeof out === 'string' && out !== '-') return exportToFile(store, path.resolve(out), (stream) => writeJsonl(store, stream, filter, false, opts.decoders));
  return writeJsonl(store, typeof out === 'string' ? process.stdout : out, filter, opts.escapeInvisible ?? false, opts.decoders);
}

/**
 * With `decoders` (export --decoded) a line whose payload a decoder reads gets a `decoded`
 * field beside the exact bytes (what it decoded to, or why it could not), so the file still
 * imports as the same session.
 */
async function writeJsonl(store: SessionStore, stream: NodeJS.WritableStream, filter: MessageFilter, escape = false, decoders?: DecoderRegistry): Promise<number> {
  let failure: Error | null = null;
  const onError = (err: Error): void => {
    failure ??= err;
  };
  stream.on('error', onError);
  let count = 0;
  try {
    for await (const chunk of snapshotChunks(store, filter, store.lastSeq)) {
      let text = '';
      for (const m of chunk) {
        const record = toJsonlRecord(m);
        if (decoders && m.event !== 'open' && m.event !== 'close' && m.event !== 'error') {
          const view = decoders.decode(m);
          if (view) record.decoded = view;
        }
        const line = JSON.stringify(record);
        text += `${escape ? escapeInvisibleInJson(line) : line}\n`;
      }
      count += chunk.length;
      if (failure) throw failure;
      if (!stream.write(text)) await once(stream as NodeJS.EventEmitter, 'drain');
    }
    let gapText = '';
    for (const g of gapsFor(store.gaps(), filter)) {
      const line = JSON.stringify(toJsonlGap(g));
      gapText += `${escape ? escapeInvisibleInJson(line) : line}\n`;
    }
    if (gapText && !stream.write(gapText)) await once(stream as NodeJS.EventEmitter, 'drain');
    if (failure) throw failure;
    return count;
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

function jsonlLine(bytes: Buffer, line: number): ImportedLine {
  // A byte-order mark some editors put in front of UTF-8 text.
  const b = line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (isBlank(b)) return null;
  if (!isUtf8(b)) {
    throw new ImportLineError(line, 'not valid UTF-8 (JSON Lines is UTF-8 text; binary payloads go in "payloadBase64")');
  }
  const o = parseObject(b.toString('utf8'), line);
  if (isJsonlGap(o)) return { gap: fromJsonlGap(o, line) };
  if (o.transport === undefined && typeof o.topic === 'string' && 'payload' in o) {
    throw new ImportLineError(line, 'this looks like kcat -J output, not Flowscope JSON Lines; import it with the kcat format');
  }
  return fromJsonlRecord(o, line);
}
