/**
 * What the relay thread captured, packed for the recording thread (issue 12): one transferred
 * ArrayBuffer per batch holding every number, string index and payload, plus three short
 * arrays (the batch's distinct strings, metas and rare fields) for the structured clone.
 *
 * A structured clone of thousands of message objects cost more than everything else the
 * recording does with them: the clone itself, and then, because the objects it builds (and
 * their spread copies) have no shape in common, every later property access and store on
 * them (event time, seq, the writer's packing, the analysis) ran several times slower. The
 * recording thread builds each message with one literal below instead, every field present,
 * so they all share one shape.
 *
 * Layout of `buffer`, per message i of n: f64 × NUMS at NUMS·i, then u32 × STRS, then
 * i32 × REFS, then u32 × 2 (payload start, length) from the blob area; payloads follow.
 */
import type { CapturedMessage, JsonValue, StoredMessage } from '../../../shared/model.ts';

/** time, brokerTime, eventTime, partition (NaN: null; eventTime NaN: left to the store). */
const NUMS = 4;
/** transport, endpoint, event, destKind, destination, connection, eventTimeSource (0: null; else index + 1). */
const STRS = 7;
/** meta, rare fields (-1: null / none, else an index into `metas` / `rare`). */
const REFS = 2;
const SPANS = 2;

/** The fields most captures leave out, carried whole when a message has any. */
type Rare = Pick<CapturedMessage, 'offset' | 'routingKey' | 'key' | 'headers' | 'properties' | 'correlationId' | 'messageId' | 'replyTo'>;
const RARE_FIELDS = ['offset', 'routingKey', 'key', 'headers', 'properties', 'correlationId', 'messageId', 'replyTo'] as const;

export interface RelayBatch {
  count: number;
  buffer: ArrayBuffer;
  strings: string[];
  metas: (JsonValue | Record<string, JsonValue>)[];
  rare: Rare[];
}

/** Bytes the recording thread holds per message beyond its payload (the object, its views): a rough size for flow control. */
export const MESSAGE_OVERHEAD_BYTES = 320;

/**
 * Collects captures on the relay thread; `take` packs them. Payloads are copied once, into
 * the batch's buffer (the socket's own buffers cannot be transferred).
 */
export class RelayBatchBuilder {
  private messages: CapturedMessage[] = [];
  private payloadBytes = 0;

  get count(): number {
    return this.messages.length;
  }

  /** Payload bytes plus the per-message overhead of what is collected. */
  get cost(): number {
    return this.payloadBytes + this.messages.length * MESSAGE_OVERHEAD_BYTES;
  }

  add(m: CapturedMessage): void {
    this.messages.push(m);
    this.payloadBytes += m.payload.byteLength;
  }

  /** Packs and forgets what was collected; null when nothing was. */
  take(): { batch: RelayBatch; cost: number } | null {
    const msgs = this.messages;
    const n = msgs.length;
    if (n === 0) return null;
    const cost = this.cost;
    this.messages = [];
    const blobAt = n * (NUMS * 8 + (STRS + REFS + SPANS) * 4);
    const buffer = new ArrayBuffer(blobAt + this.payloadBytes);
    this.payloadBytes = 0;
    const nums = new Float64Array(buffer, 0, n * NUMS);
    const ints = new Uint32Array(buffer, n * NUMS * 8, n * (STRS + REFS + SPANS));
    const refs = new Int32Array(ints.buffer, ints.byteOffset, ints.length);
    const blob = new Uint8Array(buffer, blobAt);
    const strings: string[] = [];
    const stringIndex = new Map<string, number>();
    const str = (s: string | null | undefined): number => {
      if (s === null || s === undefined) return 0;
      let i = stringIndex.get(s);
      if (i === undefined) {
        i = strings.length;
        strings.push(s);
        stringIndex.set(s, i);
      }
      return i + 1;
    };
    // Metas by identity: the proxies give every frame of a kind one shared meta object.
    const metas: RelayBatch['metas'] = [];
    const metaIndex = new Map<object, number>();
    const rare: Rare[] = [];
    let at = 0;
    for (let i = 0; i < n; i++) {
      const m = msgs[i]!;
      const o = i * NUMS;
      nums[o] = m.time;
      nums[o + 1] = m.brokerTime ?? NaN;
      nums[o + 2] = m.eventTime ?? NaN;
      nums[o + 3] = m.partition ?? NaN;
      const s = i * (STRS + REFS + SPANS);
      ints[s] = str(m.transport);
      ints[s + 1] = str(m.endpoint);
      ints[s + 2] = str(m.event);
      ints[s + 3] = str(m.destKind);
      ints[s + 4] = str(m.destination);
      ints[s + 5] = str(m.connection);
      ints[s + 6] = str(m.eventTimeSource);
      const meta = m.meta;
      if (meta === null || meta === undefined) refs[s + 7] = -1;
      else {
        let k = metaIndex.get(meta);
        if (k === undefined) {
          k = metas.push(meta) - 1;
          metaIndex.set(meta, k);
        }
        refs[s + 7] = k;
      }
      refs[s + 8] = hasRare(m) ? rare.push(rareOf(m)) - 1 : -1;
      const len = m.payload.byteLength;
      blob.set(m.payload, at);
      ints[s + 9] = at;
      ints[s + 10] = len;
      at += len;
    }
    return { batch: { count: n, buffer, strings, metas, rare }, cost };
  }
}

function hasRare(m: CapturedMessage): boolean {
  // Spelled out (not a loop over RARE_FIELDS): this runs for every frame the proxy relays.
  return (
    m.offset != null ||
    m.routingKey != null ||
    m.key != null ||
    m.headers != null ||
    m.properties != null ||
    m.correlationId != null ||
    m.messageId != null ||
    m.replyTo != null
  );
}

function rareOf(m: CapturedMessage): Rare {
  const r: Rare = {};
  for (const f of RARE_FIELDS) if (m[f] !== null && m[f] !== undefined) (r as Record<string, unknown>)[f] = m[f];
  return r;
}

/**
 * The batch's messages on the recording thread, every one built by the same literal (so of
 * one shape, with seq and size already present for the store). Payloads are views into the
 * transferred buffer, not copies; each message gets its own copy of its meta.
 */
export function unpackRelayBatch(b: RelayBatch): CapturedMessage[] {
  const n = b.count;
  const nums = new Float64Array(b.buffer, 0, n * NUMS);
  const ints = new Uint32Array(b.buffer, n * NUMS * 8, n * (STRS + REFS + SPANS));
  const refs = new Int32Array(ints.buffer, ints.byteOffset, ints.length);
  const blobAt = n * (NUMS * 8 + (STRS + REFS + SPANS) * 4);
  const strs = b.strings;
  const str = (i: number): string | null => (i === 0 ? null : strs[i - 1]!);
  const out = new Array<CapturedMessage>(n);
  for (let i = 0; i < n; i++) {
    const o = i * NUMS;
    const s = i * (STRS + REFS + SPANS);
    const metaAt = refs[s + 7]!;
    const rareAt = refs[s + 8]!;
    const r: Rare | undefined = rareAt >= 0 ? b.rare[rareAt] : undefined;
    const eventTime = nums[o + 2]!;
    const len = ints[s + 10]!;
    const m: StoredMessage = {
      seq: 0,
      size: len,
      time: nums[o]!,
      brokerTime: nanToNull(nums[o + 1]!),
      eventTime: Number.isNaN(eventTime) ? undefined : eventTime,
      eventTimeSource: (str(ints[s + 6]!) ?? undefined) as CapturedMessage['eventTimeSource'],
      transport: str(ints[s]!) as CapturedMessage['transport'],
      endpoint: str(ints[s + 1]!)!,
      event: str(ints[s + 2]!) as CapturedMessage['event'],
      destKind: str(ints[s + 3]!) as CapturedMessage['destKind'],
      destination: str(ints[s + 4]!)!,
      partition: nanToNull(nums[o + 3]!),
      offset: r?.offset ?? null,
      routingKey: r?.routingKey ?? null,
      connection: str(ints[s + 5]!),
      key: r?.key ?? null,
      headers: r?.headers ?? null,
      properties: r?.properties ?? null,
      payload: new Uint8Array(b.buffer, blobAt + ints[s + 9]!, len),
      correlationId: r?.correlationId ?? null,
      messageId: r?.messageId ?? null,
      replyTo: r?.replyTo ?? null,
      meta: metaAt >= 0 ? ({ ...(b.metas[metaAt] as Record<string, JsonValue>) } as Record<string, JsonValue>) : null,
    };
    out[i] = m;
  }
  return out;
}

function nanToNull(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}
