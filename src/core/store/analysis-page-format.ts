/**
 * One page of the analysis reader as it crosses from the code that reads it from SQLite
 * (analysis-page-query.ts, on the reading thread or inline) to the code that makes it
 * messages (analysis-page-decode.ts, on the analysis thread): numbers and payload bytes in
 * typed arrays whose buffers are transferred, and the page's texts once each in `values`,
 * cloned as one flat array (a V8 string clones as a copy of its characters: a JSON body
 * would pay for escaping every quote in a JSON header, and UTF-8 for encoding and
 * validating it again). A page holds, per row, in seq order:
 *
 *   nums: NUMS numbers (seq, time, brokerTime, eventTime, offset, size; NaN is null)
 *   refs: its kind (ROW_*), then that kind's fields, each an index into `values` (NONE
 *         for null) unless said otherwise:
 *     ROW_TEXT   names id, body, offset text
 *     ROW_TEXT_FULL  transport, event, destKind, eventTimeSource, endpoint, destination,
 *                partition, meta, body, offset text
 *     ROW_OTHER  names id, payload at and length in `blobs` (-1: none), partition, meta,
 *                routingKey, connection, headers, properties, correlationId, messageId,
 *                replyTo, offset text
 *     ROW_OTHER_FULL  the six names as in ROW_TEXT_FULL, then as ROW_OTHER after its names id
 *
 * A ROW_TEXT row is a plain Kafka record (analysis-page-query.ts PLAIN) whose payload came
 * as text (`body`; NONE when its first byte says it is no JSON object); the names it
 * repeats come as the id of a set that this page or an earlier one defined (`names`, ids
 * counting from `firstNameId`, which is 0 when the reader started its sets over). An
 * offset comes as text only when it is not a safe integer. A value of a type its column
 * should not hold (a file written by something else) travels in `odd` and replaces the
 * field of its row once that row is built.
 */
export interface PackedPage {
  /** The page holds the rows after this seq (a page read elsewhere cannot slip in). */
  afterSeq: number;
  count: number;
  nums: Float64Array;
  refs: Int32Array;
  /** How much of `refs` is used (its buffer is allocated with room to spare). */
  refsLength: number;
  values: unknown[];
  blobs: Uint8Array;
  firstNameId: number;
  names: NamesDef[];
  odd: OddValue[] | null;
}

/** kafka (1: a Kafka record's set, which holds its partition and meta for plain records), transport, event, destKind, eventTimeSource, endpoint, destination, partition, meta. */
export type NamesDef = [plain: 0 | 1, ...columns: unknown[]];

/** A row index, the field of that row's message, and what the file holds there. */
export type OddValue = [row: number, field: string, value: unknown];

export const NUMS = 6;
export const NONE = -1;
export const ROW_TEXT = 0;
export const ROW_TEXT_FULL = 1;
export const ROW_OTHER = 2;
export const ROW_OTHER_FULL = 3;

/** The buffers a page's message transfers (each its own, never a pooled one). */
export function transferList(p: PackedPage): ArrayBuffer[] {
  return [p.nums.buffer as ArrayBuffer, p.refs.buffer as ArrayBuffer, p.blobs.buffer as ArrayBuffer];
}

/** The seq of a page's last row (afterSeq for an empty page). */
export function lastSeqOf(p: PackedPage): number {
  return p.count === 0 ? p.afterSeq : p.nums[(p.count - 1) * NUMS]!;
}

/**
 * Where a reading thread that is one of `lanes` reads next, after its page of `limit` rows
 * after `afterSeq` ended at `last`: the threads share a grid of pages `limit` seqs wide
 * from where they started, each lane every `lanes`-th, so no thread waits for where
 * another's page ended. Seqs are most often consecutive, and each page is then exactly its
 * grid cell; over a gap a page reaches past its cell into the next ones, whose rows it
 * holds already (a full page holds every row up to its last): those cells are skipped, and
 * the reader drops rows it was handed before (AnalysisPages).
 */
export function nextLaneStart(afterSeq: number, last: number, limit: number, lanes: number): number {
  const stride = lanes * limit;
  // The first cell of this lane past this one that holds a row beyond `last`.
  const skip = Math.max(1, Math.floor((last - limit - afterSeq) / stride) + 1);
  return afterSeq + skip * stride;
}

/**
 * Leaves out the body texts of a page's plain rows (ROW_TEXT, ROW_TEXT_FULL) that `keep`
 * refuses, as the query leaves out those whose first byte says they are no JSON: the row
 * reads as one with no text, its bytes read from the file if anything asks for them. A
 * body text is its row's own value (never interned), so nothing else refers to it.
 */
export function dropBodies(p: PackedPage, keep: (text: string) => boolean): void {
  const { refs, values } = p;
  let c = 0;
  for (let i = 0; i < p.count; i++) {
    const kind = refs[c]!;
    const body = kind === ROW_TEXT ? c + 2 : kind === ROW_TEXT_FULL ? c + 9 : -1;
    if (body >= 0) {
      const v = refs[body]!;
      if (v !== NONE && !keep(values[v] as string)) {
        refs[body] = NONE;
        values[v] = null;
      }
    }
    c += kind === ROW_TEXT ? 4 : kind === ROW_TEXT_FULL ? 11 : kind === ROW_OTHER ? 14 : kind === ROW_OTHER_FULL ? 19 : Infinity;
  }
  if (c !== p.refsLength) throw new Error(`analysis reader: the page after message ${p.afterSeq} did not walk to its end`);
}
