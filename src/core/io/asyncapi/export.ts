import path from 'node:path';
import { stringify } from 'yaml';
import type { MessageFilter } from '../../../shared/filter.ts';
import type { JsonValue } from '../../../shared/model.ts';
import type { SessionStore } from '../../store/session-store.ts';
import { snapshotChunks } from '../chunks.ts';
import { exportToFile, watchErrors, writeText } from '../export-file.ts';
import { asyncApiDocument } from './document.ts';
import { Observation } from './observe.ts';

export type AsyncApiSyntax = 'yaml' | 'json';

/** JSON for a `.json` target, YAML otherwise (`.yaml`, `.yml`, stdout). */
export function asyncApiSyntaxFor(target: string | null): AsyncApiSyntax {
  return target && /\.json$/i.test(target) ? 'json' : 'yaml';
}

/** The AsyncAPI 3.0 document of the session (or its filtered part); one pass, in chunks. */
export async function buildAsyncApi(store: SessionStore, opts: { version: string; filter?: MessageFilter }): Promise<{ document: Record<string, JsonValue>; channels: number; operations: number }> {
  const obs = new Observation();
  for await (const chunk of snapshotChunks(store, opts.filter ?? {}, store.lastSeq, { bytes: 8 * 1024 * 1024 })) {
    for (const m of chunk) obs.add(m);
  }
  const document = asyncApiDocument(obs, store.endpoints(), { title: `Observed traffic of ${path.basename(store.path)}`, version: opts.version });
  return { document, channels: Object.keys(document.channels as object).length, operations: Object.keys(document.operations as object).length };
}

/** The document as text, in YAML (references and all, no anchors) or pretty JSON. */
export function asyncApiText(document: Record<string, JsonValue>, syntax: AsyncApiSyntax): string {
  // aliasDuplicateObjects off: a repeated schema is written out again, never as a YAML alias,
  // so any YAML reader (and a person) sees plain structure.
  return syntax === 'json' ? `${JSON.stringify(document, null, 2)}\n` : stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/**
 * Writes the session's AsyncAPI document to `out` (a path: YAML or JSON by its extension;
 * `-` or a stream: YAML). A file appears only complete.
 */
export async function exportAsyncApi(
  store: SessionStore,
  out: string | NodeJS.WritableStream,
  opts: { version: string; filter?: MessageFilter; syntax?: AsyncApiSyntax },
): Promise<{ channels: number; operations: number }> {
  const built = await buildAsyncApi(store, opts);
  const toFile = typeof out === 'string' && out !== '-';
  const text = asyncApiText(built.document, opts.syntax ?? asyncApiSyntaxFor(toFile ? out : null));
  const write = async (stream: NodeJS.WritableStream) => {
    const errors = watchErrors(stream);
    try {
      await writeText(stream, text, errors.failure);
      return { channels: built.channels, operations: built.operations };
    } finally {
      errors.dispose();
    }
  };
  if (toFile) return exportToFile(store, path.resolve(out), write);
  return write(typeof out === 'string' ? process.stdout : out);
}
