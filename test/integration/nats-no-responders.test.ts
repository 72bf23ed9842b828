import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { connect } from 'nats';
import { NatsProxyConnector } from '../../src/core/connectors/nats/proxy.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import type { EndpointState } from '../../src/core/engine/recorder.ts';
import { AnalysisState } from '../../src/core/analysis/analysis-state.ts';
import { createEnricher } from '../../src/core/analysis/correlation.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import { NATS_URL, RawNats, runPrefix } from '../helpers/mqtt-nats.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

// The server sends a 503 "no responders" only to the requester's connection: a tap never
// sees it, so the requester goes through the recording proxy. nats.js is the requester
// because its request() is what users write and it tells which requests got the 503 (the
// truth); the responders are raw-protocol clients, one through the proxy too (so the proxy
// sees each of its requests and replies twice: as published and as delivered) and one not.
test('NATS through the proxy: requests answered by 503 are undelivered "no responders", silent ones stay unanswered, live = reopened = reread', async (t) => {
  const p = runPrefix();
  const store = SessionStore.create(path.join(tmpDir(), 'nats-proxy.flowscope'));
  const live = new AnalysisState();
  const states: EndpointState[] = [];
  const recorder = new Recorder(store, { flushMs: 50, enrich: createEnricher(live.config.correlation), onBatch: (b) => live.ingest(b.messages), onStatus: (s) => states.push(s) });
  const proxy = new NatsProxyConnector({ id: 'proxy', listenPort: 0, target: NATS_URL }, recorder.sink('proxy'));
  await recorder.add(proxy);
  t.after(async () => {
    await recorder.stop();
    store.close();
  });
  await waitFor('the proxy listening', () => states.at(-1)?.status === 'recording');

  const responder = await RawNats.connect(proxy.port);
  const silent = await RawNats.connect();
  t.after(() => {
    responder.close();
    silent.close();
  });
  await responder.sub(`${p}.svc.up`, (m) => responder.pub(m.reply!, `{"r":${JSON.parse(m.payload.toString()).n}}`));
  await silent.sub(`${p}.svc.silent`, () => undefined);

  const nc = await connect({ servers: `127.0.0.1:${proxy.port}` });
  t.after(() => nc.close());
  const kinds = ['up', 'down', 'silent', 'up'] as const;
  const sent = Array.from({ length: 14 }, (_, n) => ({ n, kind: kinds[n % kinds.length]! }));
  const outcomes = await Promise.all(
    sent.map(({ n, kind }) =>
      nc.request(`${p}.svc.${kind}`, JSON.stringify({ n }), { timeout: kind === 'silent' ? 500 : 10_000 }).then(
        () => 'answered',
        (err: { code?: string }) => (err.code === '503' ? 'no-responders' : err.code === 'TIMEOUT' ? 'timeout' : `error ${err.code}`),
      ),
    ),
  );
  const truth = (o: string): number[] => sent.filter((_, i) => outcomes[i] === o).map((s) => s.n);
  assert.equal(truth('answered').length + truth('no-responders').length + truth('timeout').length, sent.length, `no other outcome: ${outcomes.join(',')}`);
  assert.ok(truth('no-responders').length > 0 && truth('timeout').length > 0 && truth('answered').length > 0, 'the run has each outcome');

  // The proxy records what its clients publish (requests, the responder's replies) and what the
  // server hands them (requests to the responder, replies and 503s to the requester).
  const answered = truth('answered').length;
  await waitFor('every request and every answer or status', () => {
    recorder.flush();
    return store.count({ events: ['publish'] }) === sent.length + answered && store.count({ events: ['deliver'] }) === 2 * answered + truth('no-responders').length;
  });
  const statuses = [...store.iterate({ events: ['deliver'] })].filter((m) => m.meta?.status === 503);
  assert.equal(statuses.length, truth('no-responders').length, 'each 503 recorded as a status on the inbox');
  assert.ok(statuses.every((m) => m.meta?.noResponders === true));
  await recorder.stop();

  const end = store.recordingEnd();
  const reread = await analyzeSaved(store);
  const reopened = AnalysisState.restore(live.save());
  const results = { live: live.finish(end), reopened: reopened.finish(end), reread: reread.finish() };
  const body = (seq: number): number => (JSON.parse(Buffer.from(store.get(seq)!.payload).toString()) as { n: number }).n;
  for (const [how, r] of Object.entries(results)) {
    assert.equal(r.pairs.matched, truth('answered').length, `${how}: matched`);
    assert.equal(r.pairs.unanswered, truth('no-responders').length + truth('timeout').length, `${how}: unanswered`);
    assert.equal(r.pairs.unansweredByReason['no-responders'], truth('no-responders').length, `${how}: unanswered for no responders`);
    assert.equal(r.pairs.orphans + r.pairs.duplicates, 0, `${how}: no orphans or duplicates`);
    assert.deepEqual(r.undelivered.byReason, { 'no-responders': truth('no-responders').length }, `${how}: undelivered`);
    const items = r.undelivered.items;
    assert.deepEqual(items.map((i) => body(i.seq)).sort((a, b) => a - b), truth('no-responders'), `${how}: the requests that got the 503`);
    for (const i of items) {
      assert.deepEqual([store.get(i.seq)!.event, i.destination, i.transport], ['publish', `${p}.svc.down`, 'nats']);
      assert.match(i.explanation, /no responders/);
    }
  }
  const unanswered = reread.pairsPage({ limit: 50, status: 'unanswered' }).rows;
  assert.deepEqual(
    unanswered.filter((row) => row.reason !== 'no-responders').map((row) => body(row.requestSeq!)).sort((a, b) => a - b),
    truth('timeout'),
    'the requests nobody answered are unanswered, not undelivered',
  );
  const graph = reread.topologyGraph();
  const down = graph.nodes.find((n) => n.label === `${p}.svc.down`);
  assert.ok(down, 'the subject nobody serves is in the flow graph');
});
