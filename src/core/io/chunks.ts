import type { StoredMessage } from '../../shared/model.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import type { SessionStore } from '../store/session-store.ts';

export interface ChunkLimits {
  /** Most messages per chunk. */
  count?: number;
  /** Stop adding messages once their payloads reach this many bytes. */
  bytes?: number;
}

/**
 * The next messages matching `filter` with afterSeq < seq ≤ upToSeq, in seq order.
 *
 * Readers that wait between chunks (a stream draining, a replay keeping time) must not hold
 * a cursor open across the wait: better-sqlite3 refuses every other statement on the
 * connection while one iterates, and a live session's recorder writes on that connection.
 * Each chunk therefore runs its own short query and closes the cursor before returning.
 * `upToSeq` pins the snapshot, so messages recorded meanwhile are never read.
 */
export function readChunk(
  store: SessionStore,
  filter: MessageFilter,
  afterSeq: number,
  upToSeq: number,
  limits: ChunkLimits = {},
): StoredMessage[] {
  const maxCount = limits.count ?? 1000;
  const maxBytes = limits.bytes ?? 16 * 1024 * 1024;
  const out: StoredMessage[] = [];
  if (afterSeq >= upToSeq) return out;
  let bytes = 0;
  // Leaving the for-of early returns the generator, which resets the statement.
  for (const m of store.iterate(filter, { afterSeq })) {
    if (m.seq > upToSeq) break;
    out.push(m);
    bytes += m.payload.byteLength;
    if (out.length >= maxCount || bytes >= maxBytes) break;
  }
  return out;
}

/** Iterates a fixed snapshot chunk by chunk; the caller may await between chunks. */
export async function* snapshotChunks(
  store: SessionStore,
  filter: MessageFilter,
  upToSeq: number,
  limits: ChunkLimits = {},
): AsyncGenerator<StoredMessage[]> {
  let after = 0;
  for (;;) {
    const chunk = readChunk(store, filter, after, upToSeq, limits);
    if (chunk.length === 0) return;
    after = chunk[chunk.length - 1]!.seq;
    yield chunk;
  }
}
