import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AmqpConnector } from '../../src/core/connectors/amqp/index.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { createEnricher } from '../../src/core/analysis/correlation.ts';
import { AnalysisState } from '../../src/core/engine/session-analysis.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import type { AnalysisConfigInput } from '../../src/core/analysis/config.ts';
import { AmqpClient, amqpPublishCli, createVhost, runPython, spawnPython, suffix } from '../helpers/amqp.ts';
import type { TestVhost } from '../helpers/amqp.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

// RabbitMQ traffic from pika and amqp-tools, recorded through the firehose of the test's own
// vhost, analysed live (from the Recorder's batches) and again from the saved session.

let vh: TestVhost;
before(async () => {
  vh = await createVhost();
  await vh.trace(true);
});
after(async () => {
  await vh?.dispose();
});

/** A firehose recording with a live analysis fed by the Recorder. */
async function record(config: AnalysisConfigInput = {}) {
  const store = SessionStore.create(path.join(tmpDir(), 'amqp.flowscope'));
  const live = new AnalysisState(config);
  const recorder = new Recorder(store, { flushMs: 50, enrich: createEnricher(live.config.correlation), onBatch: (b) => live.ingest(b.messages) });
  const connector = new AmqpConnector({ id: 'rabbit', url: vh.url, exchanges: [], firehose: true }, recorder.sink('rabbit'));
  await recorder.add(connector);
  await waitFor('the firehose to record', () => recorder.endpointStates()[0]?.status === 'recording');
  const count = (events: ('publish' | 'deliver')[], destination?: string): number => {
    recorder.flush();
    return store.count({ events, ...(destination ? { destinations: [destination] } : {}) });
  };
  return { store, live, recorder, count };
}

test('pika RPC: 200 requests with replyTo and correlationId, 190 answered → 190 pairs with latencies, 10 unanswered', async (t) => {
  const queue = `rpc.${suffix()}`;
  const { store, live, recorder, count } = await record();
  t.after(() => store.close());
  const server = spawnPython('pika_rpc_server.py', [vh.url, queue, '20']);
  t.after(() => server.stop());
  await waitFor('the pika RPC server', () => server.lines.includes('ready'));

  const out = JSON.parse(await runPython('pika_rpc_client.py', [vh.url, queue, '200', '190'])) as { answered: number; reply_to: string };
  assert.equal(out.answered, 190, 'the client itself got 190 replies');
  // Requests and replies, each published once and delivered once.
  await waitFor('every publish and delivery in the session', () => count(['publish']) === 390 && count(['deliver']) === 390);
  await recorder.stop();

  const r = (await analyzeSaved(store)).finish();
  assert.equal(r.pairs.matched, 190);
  assert.equal(r.pairs.unanswered, 10);
  assert.equal(r.pairs.orphans, 0, 'reply deliveries are not orphans');
  assert.equal(r.pairs.duplicates, 0, 'firehose publish + deliver of one reply is not a duplicate');
  assert.equal(r.pairs.latencyMs.count, 190);
  assert.ok(r.pairs.latencyMs.max! >= r.pairs.latencyMs.p50! && r.pairs.latencyMs.p50! >= 0);
  assert.equal(r.pairs.byDestination[0]!.destination, queue);
  assert.equal(r.undelivered.total, 0, 'every request reached the server, every reply the client');
  t.diagnostic(`latency ms: p50 ${r.pairs.latencyMs.p50}, p95 ${r.pairs.latencyMs.p95}, p99 ${r.pairs.latencyMs.p99}, max ${r.pairs.latencyMs.max}`);

  const state = await analyzeSaved(store);
  const matched = state.pairsPage({ limit: 500, status: 'matched' });
  assert.equal(matched.total, 190);
  for (const p of matched.rows) {
    assert.equal(p.replyDestination, out.reply_to);
    assert.ok(p.replySeq! > p.requestSeq! && p.latencyMs! >= 0);
  }
  // The unanswered ones are exactly the requests the server ignored (n = 19, 39, …, 199).
  const unanswered = state.pairsPage({ limit: 50, status: 'unanswered' }).rows;
  const ns = unanswered.map((p) => (JSON.parse(Buffer.from(store.get(p.requestSeq!)!.payload).toString()) as { n: number }).n);
  assert.deepEqual(ns.sort((a, b) => a - b), [19, 39, 59, 79, 99, 119, 139, 159, 179, 199]);

  // The live analysis saw the same conversations.
  const liveResult = live.finish(store.recordingEnd());
  assert.deepEqual(
    [liveResult.pairs.matched, liveResult.pairs.unanswered, liveResult.pairs.latencyMs],
    [r.pairs.matched, r.pairs.unanswered, r.pairs.latencyMs],
  );
});

test('publishes no binding matches are unroutable; messages left in a queue nobody consumes are never delivered', async (t) => {
  const s = suffix();
  const exchange = `alerts.${s}`;
  const stuck = `stuck.${s}`;
  const work = `work.${s}`;
  const admin = await AmqpClient.open(vh.url);
  t.after(() => admin.close());
  await admin.ch.assertExchange(exchange, 'direct', { durable: false, autoDelete: true });
  await admin.ch.assertQueue(stuck, { durable: false, autoDelete: false });
  await admin.ch.assertQueue(work, { durable: false, autoDelete: true });
  await admin.ch.bindQueue(stuck, exchange, 'stuck');
  await admin.ch.bindQueue(work, exchange, 'work');
  t.after(() => admin.ch.deleteQueue(stuck).catch(() => undefined));

  const config = { undelivered: { amqpWindowMs: 1000 } };
  const { store, live, recorder, count } = await record(config);
  t.after(() => store.close());
  const consumer = spawnPython('pika_consume.py', [vh.url, work, '5']);
  t.after(() => consumer.stop());
  await waitFor('pika consumer ready', () => consumer.lines.includes('ready'));

  for (let i = 0; i < 3; i++) await amqpPublishCli({ url: vh.url, exchange, key: 'nobody', body: `lost ${i}` });
  for (let i = 0; i < 4; i++) await amqpPublishCli({ url: vh.url, exchange, key: 'stuck', body: `stuck ${i}` });
  for (let i = 0; i < 5; i++) await admin.publish(exchange, 'work', `work ${i}`);
  await waitFor('the consumer to take all work', () => consumer.lines.length === 6 && count(['deliver'], work) === 5);

  // While recording: once the window has passed, the live analysis has decided.
  const decided = await waitFor('the live verdict', () => {
    live.tick(Date.now());
    const u = live.snapshot().undelivered;
    return u.byReason['never-delivered'] === 4 && u.byReason.unroutable === 3 ? u : null;
  });
  assert.equal(decided.total, 7, 'the consumed messages are not reported');
  await recorder.stop();

  const r = (await analyzeSaved(store, config)).finish();
  assert.deepEqual(r.undelivered.byReason, { unroutable: 3, 'never-delivered': 4 });
  const unroutable = r.undelivered.items.filter((i) => i.reason === 'unroutable');
  assert.ok(unroutable.every((i) => i.destination === `${exchange} → nobody` && i.explanation.includes('"nobody"')));
  const never = r.undelivered.items.filter((i) => i.reason === 'never-delivered');
  assert.ok(never.every((i) => i.explanation.includes(`"${stuck}"`) && !i.atEnd), never.map((i) => i.explanation).join('\n'));
  const bodies = never.map((i) => Buffer.from(store.get(i.seq)!.payload).toString()).sort();
  assert.deepEqual(bodies, ['stuck 0', 'stuck 1', 'stuck 2', 'stuck 3']);
  assert.deepEqual(
    live.finish(store.recordingEnd()).undelivered.items.map((i) => i.seq).sort((a, b) => a - b),
    r.undelivered.items.map((i) => i.seq).sort((a, b) => a - b),
  );

  // The graph shows where they were lost.
  const label = new Map(r.topology.nodes.map((n) => [n.id, n.label]));
  const edge = (from: string, to: string) => r.topology.edges.find((e) => label.get(e.source) === from && label.get(e.target) === to);
  assert.equal(edge(exchange, stuck)?.undelivered, 4);
  assert.equal(edge(exchange, work)?.count, 5);
  assert.equal(edge(exchange, work)?.undelivered, 0);
});
