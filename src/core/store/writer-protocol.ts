import type { StoreOptions } from './open.ts';

/** What the writer thread starts with: its file and what the file's schema asks of a writer. */
export interface WriterData {
  path: string;
  options: StoreOptions;
  hashedRefs: boolean;
  keyRefs: boolean;
  timeBlocks: boolean;
  nameIds: boolean;
}

/** Messages between the engine's StoreWriter (store-writer.ts) and its thread (writer-worker.ts). */
export type WriterRequest =
  | { kind: 'batch'; id: number; firstSeq: number; lastSeq: number; buffer: ArrayBuffer }
  | { kind: 'close'; id: number };

export type WriterReply =
  /** `buffer`: the batch's own buffer, sent back for the next batch to be packed into. */
  | { id: number; ok: true; lastSeq: number; buffer?: ArrayBuffer }
  /** `skipped`: refused unwritten because an earlier batch failed (see writer-worker.ts). */
  | { id: number; ok: false; skipped: boolean; error: { message: string; name: string; code?: string } };
