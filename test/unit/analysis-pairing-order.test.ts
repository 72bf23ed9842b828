import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnalysisState } from '../../src/core/engine/session-analysis.ts';
import type { AnalysisConfigInput } from '../../src/core/analysis/config.ts';
import type { StoredMessage } from '../../src/shared/model.ts';
import { bytes } from './analysis-helpers.ts';

/**
 * Pairing on event time when capture order is not event order: what a history read
 * (`--from-beginning`) does, fetching topics and partitions one after another.
 */

interface Rec {
  topic: string;
  partition: number;
  offset: number;
  /** Record timestamp (CreateTime). */
  ts: number;
  id: string;
  body: string;
  replyTo?: string;
}

const T0 = 1_700_000_000_000;

/**
 * A request/reply history: `n` requests on 3 partitions of `req`, one a second; reply i
 * comes `lat(i)` ms after request i on 3 partitions of `rep` except every 7th, unanswered;
 * three stray replies answer nothing.
 */
function history(n: number, lat: (i: number) => number, opts: { replyTo?: boolean } = {}): { reqs: Rec[][]; reps: Rec[][]; truth: { matched: number; unanswered: number; orphans: number; latencies: number[] } } {
  const reqs: Rec[][] = [[], [], []];
  const reps: Rec[][] = [[], [], []];
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = reqs[i % 3]!;
    p.push({ topic: 'calc.req', partition: i % 3, offset: p.length, ts: T0 + i * 1000, id: `c${i}`, body: `q${i}`, ...(opts.replyTo ? { replyTo: 'calc.rep' } : {}) });
    if (i % 7 === 3) continue;
    const r = reps[(i * 5) % 3]!;
    r.push({ topic: 'calc.rep', partition: (i * 5) % 3, offset: r.length, ts: T0 + i * 1000 + lat(i), id: `c${i}`, body: `a${i}` });
    latencies.push(lat(i));
  }
  for (let k = 0; k < 3; k++) {
    const r = reps[k]!;
    r.push({ topic: 'calc.rep', partition: k, offset: r.length, ts: T0 + (n + k) * 1000, id: `stray${k}`, body: `s${k}` });
  }
  for (const r of reps) r.sort((a, b) => a.ts - b.ts).forEach((x, i) => (x.offset = i));
  return { reqs, reps, truth: { matched: latencies.length, unanswered: n - latencies.length, orphans: 3, latencies } };
}

/** Stored messages in the given capture order: seq and capture time follow the order. */
function capture(order: Rec[], captureStart: number): StoredMessage[] {
  return order.map((r, i) => {
    const headers: Record<string, string> = { 'correlation-id': r.id };
    if (r.replyTo) headers['reply-to'] = r.replyTo;
    const payload = bytes(r.body);
    return {
      seq: i + 1,
      time: captureStart + i,
      brokerTime: r.ts,
      eventTime: r.ts,
      eventTimeSource: 'kafka-create',
      transport: 'kafka',
      endpoint: 'kafka',
      event: 'publish',
      destKind: 'topic',
      destination: r.topic,
      partition: r.partition,
      offset: String(r.offset),
      headers,
      payload,
      size: payload.byteLength,
      correlationId: r.id,
      meta: { timestampType: 'CreateTime' },
    } satisfies StoredMessage;
  });
}

function analyse(msgs: StoredMessage[], config: AnalysisConfigInput = {}, end?: number): { state: AnalysisState; result: ReturnType<AnalysisState['finish']> } {
  const state = new AnalysisState(config);
  for (let i = 0; i < msgs.length; i += 100) state.ingest(msgs.slice(i, i + 100));
  return { state, result: state.finish(end ?? msgs[msgs.length - 1]!.time + 1000) };
}

/** Every pair, by correlation id, with its latency: what must not depend on reading order. */
function pairs(state: AnalysisState): string[] {
  return state
    .pairsPage({ limit: 100_000 })
    .rows.map((p) => `${p.status} ${p.correlationId} ${p.latencyMs ?? '-'}${p.late ? ' late' : ''}`)
    .sort();
}

function byEvent(parts: Rec[][]): Rec[] {
  return parts.flat().sort((a, b) => a.ts - b.ts);
}

/** Partitions read in chunks of `chunk` records, one partition after another, round after round. */
function chunked(parts: Rec[][], chunk: number): Rec[] {
  const out: Rec[] = [];
  const pos = parts.map(() => 0);
  for (let more = true; more; ) {
    more = false;
    parts.forEach((p, i) => {
      const next = p.slice(pos[i]!, pos[i]! + chunk);
      pos[i]! += next.length;
      out.push(...next);
      if (pos[i]! < p.length) more = true;
    });
  }
  return out;
}

for (const replyTo of [false, true]) {
  const shape = replyTo ? 'requests name reply-to' : 'correlation header only';
  test(`history read in any topic and partition order gives the true pairs and latencies (${shape})`, () => {
    // 120 requests a second apart span two minutes: far more than the 30 s timeout.
    const h = history(120, (i) => 200 + (i % 9) * 700, { replyTo });
    const live = analyse(capture(byEvent([...h.reqs, ...h.reps]), T0 + 5));
    const orders: [string, Rec[]][] = [
      ['replies topic first', [...h.reps.flat(), ...h.reqs.flat()]],
      ['requests topic first', [...h.reqs.flat(), ...h.reps.flat()]],
      ['partitions in chunks', chunked([...h.reps, ...h.reqs], 7)],
      ['partitions reversed', [...h.reqs, ...h.reps].reverse().flat()],
    ];
    const expected = pairs(live.state);
    const r = live.result.pairs;
    assert.deepEqual([r.matched, r.unanswered, r.orphans, r.duplicates, r.late], [h.truth.matched, h.truth.unanswered, h.truth.orphans, 0, 0]);
    const sorted = [...h.truth.latencies].sort((a, b) => a - b);
    assert.equal(r.latencyMs.max, sorted[sorted.length - 1]);
    for (const [name, order] of orders) {
      const read = analyse(capture(order, T0 + 3_600_000));
      const p = read.result.pairs;
      assert.deepEqual([p.matched, p.unanswered, p.orphans, p.duplicates, p.late], [h.truth.matched, h.truth.unanswered, h.truth.orphans, 0, 0], name);
      assert.deepEqual(pairs(read.state), expected, `${name}: the same pairs with the same latencies`);
      assert.deepEqual(p.latencyMs, r.latencyMs, name);
    }
  });
}

test('replies read before their requests wait for them, then pair; only replies to nothing end as orphans', () => {
  const h = history(40, () => 50, { replyTo: true });
  const msgs = capture([...h.reps.flat(), ...h.reqs.flat()], T0 + 600_000);
  const s = new AnalysisState();
  s.ingest(msgs.filter((m) => m.destination === 'calc.rep'));
  const before = s.snapshot();
  // Nothing has said yet that calc.rep carries replies: each looks like a request of its own,
  // and those the watermark has left 30 s behind count as unanswered for now.
  assert.equal(before.pairs.matched, 0);
  assert.ok(before.pairs.unanswered > 0);
  assert.equal(before.pairs.unanswered + before.pairs.pending, h.truth.matched + 3);
  s.ingest(msgs.filter((m) => m.destination === 'calc.req'));
  const after = s.finish();
  assert.deepEqual([after.pairs.matched, after.pairs.orphans, after.pairs.unanswered], [h.truth.matched, 3, h.truth.unanswered]);
  assert.deepEqual(
    s.pairsPage({ limit: 10, status: 'orphan' }).rows.map((p) => p.correlationId).sort(),
    ['stray0', 'stray1', 'stray2'],
    'the orphans taken back are gone from the list too',
  );
});

test('timeouts run on event time: records stamped apart time out though captured together; a live clock does not age a history', () => {
  const h = history(2, () => 45_000, { replyTo: true });
  const msgs = capture(byEvent([...h.reqs, ...h.reps]), T0 + 86_400_000);
  const { state, result } = analyse(msgs, {}, msgs[msgs.length - 1]!.time);
  assert.deepEqual([result.pairs.matched, result.pairs.unanswered, result.pairs.late], [0, 2, 2], 'a reply 45 s later is late though captured 1 ms later');
  assert.equal(state.pairsPage({ limit: 10, status: 'unanswered' }).rows.find((p) => p.late)!.latencyMs, 45_000);

  // Recording a history: the wall clock is a day past the records; only its own passing counts.
  const live = new AnalysisState();
  const q = capture([{ topic: 'calc.req', partition: 0, offset: 0, ts: T0, id: 'x', body: 'q', replyTo: 'calc.rep' }], T0 + 86_400_000);
  live.ingest(q);
  live.tick(q[0]!.time + 10_000);
  assert.equal(live.snapshot().pairs.pending, 1, 'ten seconds of wall clock do not time out a request from yesterday');
  live.tick(q[0]!.time + 40_000);
  assert.equal(live.snapshot().pairs.unanswered, 1, 'past the timeout (and the live grace) it is unanswered');
});

test('with small memory caps the counts stay exact and every message is accounted for', () => {
  const h = history(60, (i) => 100 + i);
  const { result } = analyse(capture([...h.reqs.flat(), ...h.reps.flat()], T0 + 3_600_000), { pairing: { maxOpen: 10 } });
  const p = result.pairs;
  assert.equal(p.pending, 0);
  assert.equal(p.matched, h.truth.matched, 'requests beyond the cap are given up but remembered: their replies still claim them');
  // 60 requests and their 51 + 3 replies: each request is matched or unanswered, each reply matched, late, duplicate or orphan.
  assert.equal(p.matched + p.unanswered, 60);
  assert.equal(p.matched + p.late + p.orphans + p.duplicates, h.truth.matched + 3);
});
