import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { AmqpConnector } from '../../src/core/connectors/amqp/index.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import type { EndpointState } from '../../src/core/engine/recorder.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { createEnricher } from '../../src/core/analysis/correlation.ts';
import { AnalysisState } from '../../src/core/engine/session-analysis.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import { Replayer } from '../../src/core/replay/index.ts';
import type { AmqpConnectorOptions } from '../../src/core/connectors/amqp/index.ts';
import { AmqpClient, rabbitmqctl, runPython, spawnPython, suffix } from '../helpers/amqp.ts';
import { createVhost, type TestVhost } from '../helpers/amqp.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

// RabbitMQ's RPC pattern over direct reply-to and its dead-lettering, with pika as the
// application and the management plugin on its default port (the connector finds it by
// itself). The firehose records publishes and deliveries; dead-lettered copies are seen
// only through the dead-letter exchange, which the connector taps once the management API
// names it.

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '..', '..', 'bin', 'flowscope.mjs');

let vh: TestVhost;
before(async () => {
  vh = await createVhost();
  await vh.trace(true);
});
after(async () => {
  await vh?.dispose();
});

function record(extra: Partial<AmqpConnectorOptions> = {}) {
  const file = path.join(tmpDir(), 'amqp.flowscope');
  const store = SessionStore.create(file);
  const live = new AnalysisState();
  const statuses: EndpointState[] = [];
  const recorder = new Recorder(store, {
    flushMs: 50,
    enrich: createEnricher(live.config.correlation),
    onBatch: (b) => live.ingest(b.messages),
    onStatus: (s) => statuses.push(s),
  });
  const connector = new AmqpConnector({ id: 'rabbit', url: vh.url, exchanges: [], firehose: true, managementRefreshMs: 500, ...extra }, recorder.sink('rabbit'));
  const count = (filter: Parameters<SessionStore['count']>[0]): number => {
    recorder.flush();
    return store.count(filter);
  };
  /** Stops recording (also after a failed assertion, so no connection keeps the test alive) and closes the file. */
  const close = async (): Promise<void> => {
    await recorder.stop();
    store.close();
  };
  return { file, store, live, recorder, connector, statuses, count, close, detail: () => statuses.at(-1)?.detail ?? '' };
}

test('pika RPC over direct reply-to: every answered request pairs and no reply is called unroutable', async (t) => {
  const queue = `rpc.${suffix()}`;
  const r = record();
  t.after(() => r.close());
  await r.recorder.add(r.connector);
  const server = spawnPython('pika_rpc_server.py', [vh.url, queue, '20']);
  t.after(() => server.stop());
  await waitFor('the pika RPC server', () => server.lines.includes('ready'));

  const out = JSON.parse(await runPython('pika_rpc_direct.py', [vh.url, queue, '60', '57'])) as { answered: number };
  assert.equal(out.answered, 57, 'the client itself got 57 replies');
  // 60 requests and 57 replies published; only the requests are delivered through a queue.
  await waitFor('every publish and delivery', () => r.count({ events: ['publish'] }) === 117 && r.count({ events: ['deliver'] }) === 60);
  await r.recorder.stop();

  const replies = r.store.rows({ events: ['publish'], destinations: ['amq.default'] }, { limit: 1000 }).filter((m) => m.routingKey?.startsWith('amq.rabbitmq.reply-to.'));
  assert.equal(replies.length, 57, 'the replies went to amq.rabbitmq.reply-to.<token>');
  const result = (await analyzeSaved(r.store)).finish();
  assert.equal(result.pairs.matched, 57);
  assert.equal(result.pairs.unanswered, 3);
  assert.equal(result.pairs.orphans, 0);
  assert.equal(result.undelivered.byReason.unroutable, undefined, 'no direct reply is unroutable');
  assert.equal(result.undelivered.total, 0);
  const liveResult = r.live.finish(r.store.recordingEnd());
  assert.deepEqual([liveResult.pairs.matched, liveResult.undelivered.total], [57, 0]);
});

test('TTL expiry, reject without requeue and max-length overflow: each original reported with its reason and a link to its dead-lettered copy; sent back to origin on request', async (t) => {
  const s = suffix();
  const EX = `work.${s}`;
  const DLX = `dlx.${s}`;
  const Q = { ttl: `ttl.${s}`, rej: `rej.${s}`, max: `max.${s}`, parked: `parked.${s}`, drop: `drop.${s}`, pol: `pol.${s}` };
  const admin = await AmqpClient.open(vh.url);
  t.after(() => admin.close());
  await admin.ch.assertExchange(EX, 'direct', { durable: false });
  await admin.ch.assertExchange(DLX, 'direct', { durable: false });
  const dead = { 'x-dead-letter-exchange': DLX };
  await admin.ch.assertQueue(Q.ttl, { durable: false, arguments: { ...dead, 'x-message-ttl': 300 } });
  await admin.ch.assertQueue(Q.rej, { durable: false, arguments: dead });
  await admin.ch.assertQueue(Q.max, { durable: false, arguments: { ...dead, 'x-max-length': 2 } });
  await admin.ch.assertQueue(Q.drop, { durable: false, arguments: { 'x-message-ttl': 60_000 } });
  await admin.ch.assertQueue(Q.pol, { durable: false });
  await admin.ch.assertQueue(Q.parked, { durable: false });
  for (const key of ['ttl', 'rej', 'max']) {
    await admin.ch.bindQueue(Q[key as 'ttl'], EX, key);
    // Dead letters keep their routing key: the dead-letter queue is bound for each.
    await admin.ch.bindQueue(Q.parked, DLX, key);
  }
  await rabbitmqctl('set_policy', '-p', vh.name, `pol-${s}`, `^pol\\.${s}$`, JSON.stringify({ 'dead-letter-exchange': DLX, 'message-ttl': 5000 }), '--apply-to', 'queues');

  const r = record();
  t.after(() => r.close());
  await r.recorder.add(r.connector);
  // The queue arguments come from the management API, read for real.
  const status = await waitFor('the dead-letter tap in the status', () => (r.detail().includes(`dead letters: tapping '${DLX}'`) ? r.detail() : null));
  assert.match(status, new RegExp(`queues without a dead-letter exchange drop messages unseen: '${Q.drop.replace('.', '\\.')}' \\(TTL 60000 ms\\)`));
  const discovery = await waitFor('management discovery with queue arguments', () =>
    r.store.latestDiscovery().find((d) => d.source === 'management-api' && d.queues?.some((q) => q.name === Q.pol && q.limits)),
  );
  const limits = new Map(discovery.queues!.map((q) => [q.name, q.limits]));
  assert.deepEqual(limits.get(Q.ttl), { deadLetterExchange: DLX, messageTtlMs: 300 });
  assert.deepEqual(limits.get(Q.max), { deadLetterExchange: DLX, maxLength: 2 });
  assert.deepEqual(limits.get(Q.pol), { deadLetterExchange: DLX, messageTtlMs: 5000 }, 'a policy counts like an argument');
  assert.deepEqual(discovery.queues!.find((q) => q.name === Q.ttl)?.arguments, { 'x-dead-letter-exchange': DLX, 'x-message-ttl': 300 });

  const rejecter = spawnPython('pika_reject.py', [vh.url, Q.rej]);
  t.after(() => rejecter.stop());
  await waitFor('the rejecting consumer', () => rejecter.lines.includes('ready'));
  const msgs = [
    ...[0, 1, 2].map((i) => ({ key: 'ttl', body: `ttl ${i}`, props: { message_id: `ttl-${s}-${i}` } })),
    ...[0, 1].map((i) => ({ key: 'rej', body: `rej ${i}` })),
    ...[0, 1, 2, 3, 4].map((i) => ({ key: 'max', body: `max ${i}` })),
  ];
  await runPython('pika_publish.py', [vh.url, EX, JSON.stringify(msgs)]);
  await waitFor('8 dead-lettered copies', () => r.count({ header: { name: 'x-death' } }) === 8);
  await waitFor('the rejects recorded as deliveries', () => r.count({ events: ['deliver'], destinations: [Q.rej] }) === 2);
  rejecter.stop();
  await rejecter.exited;
  await r.recorder.stop();

  const result = (await analyzeSaved(r.store)).finish();
  assert.deepEqual(result.undelivered.byReason, { expired: 3, rejected: 2, 'max-length': 3, 'never-delivered': 2 });
  const body = (seq: number) => Buffer.from(r.store.get(seq)!.payload).toString();
  const byReason = (reason: string) => result.undelivered.items.filter((i) => i.reason === reason);
  const expect = { expired: [Q.ttl, ['ttl 0', 'ttl 1', 'ttl 2']], rejected: [Q.rej, ['rej 0', 'rej 1']], 'max-length': [Q.max, ['max 0', 'max 1', 'max 2']] } as const;
  for (const [reason, [queue, bodies]] of Object.entries(expect)) {
    const items = byReason(reason);
    assert.deepEqual(items.map((i) => body(i.seq)).sort(), bodies, `${reason}: the originals`);
    for (const i of items) {
      const original = r.store.get(i.seq)!;
      assert.deepEqual([original.event, original.destination], ['publish', EX], 'the item is the original publish');
      assert.equal(i.destination, `${EX} → ${original.routingKey}`);
      const dl = i.deadLetter!;
      assert.ok(dl, `${reason}: linked to its dead-lettered copy`);
      const copy = r.store.get(dl.seq)!;
      assert.deepEqual([copy.event, copy.destination, copy.meta?.source, body(dl.seq)], ['publish', DLX, 'dead-letter', body(i.seq)]);
      assert.deepEqual([dl.queue, dl.exchange, dl.routingKeys, dl.deadLetterExchange, dl.deadLetterQueues], [queue, EX, [original.routingKey], DLX, [Q.parked]]);
      assert.ok(i.explanation.includes(`queue "${queue}"`) && i.explanation.includes(`exchange "${DLX}"`), i.explanation);
    }
  }
  assert.deepEqual(byReason('never-delivered').map((i) => body(i.seq)).sort(), ['max 3', 'max 4'], 'the two the full queue kept');
  const liveResult = r.live.finish(r.store.recordingEnd());
  const key = (items: typeof result.undelivered.items) => items.map((i) => `${i.seq}:${i.reason}:${i.deadLetter?.seq ?? ''}`).sort();
  assert.deepEqual(key(liveResult.undelivered.items), key(result.undelivered.items), 'live and reopened agree');

  // The CLI previews sending the expired ones back: three publishes to the work exchange, key ttl.
  const cli = await run(process.execPath, [CLI, 'replay', r.file, '--to', vh.url, '--dead-letters-to-origin', '--dead-letter-reason', 'expired', '--dry-run']);
  const planned = cli.stdout.trim().split('\n');
  assert.equal(planned.length, 3, cli.stdout);
  for (const line of planned) assert.match(line, new RegExp(`amqp ${DLX} → ${EX}  routing key ttl`));
  assert.match(cli.stderr, /3 .*dry run|dry run.*3/i);

  // Send back the rejected ones: a consumer now takes them from their original queue.
  const consumer = spawnPython('pika_consume.py', [vh.url, Q.rej, '2']);
  t.after(() => consumer.stop());
  await waitFor('the consumer', () => consumer.lines.includes('ready'));
  const dry = await new Replayer(r.store, { to: vh.url, speed: 'max', dryRun: true, deadLettersToOrigin: { reason: 'rejected' } }).run();
  assert.deepEqual([dry.state, dry.planned, dry.sent], ['done', 2, 0]);
  const sent = await new Replayer(r.store, { to: vh.url, speed: 'max', deadLettersToOrigin: { reason: 'rejected' } }).run();
  assert.deepEqual([sent.state, sent.sent, sent.failed, sent.unroutable, sent.byDestination], ['done', 2, 0, 0, { [EX]: { sent: 2, failed: 0 } }]);
  await consumer.exited;
  const got = consumer.lines.filter((l) => l !== 'ready').map((l) => JSON.parse(l) as { exchange: string; routing_key: string; body: string; header_names: string[] });
  assert.deepEqual(got.map((g) => g.body).sort(), ['rej 0', 'rej 1'], 'exactly the two rejected ones, once each (the dry run sent nothing)');
  for (const g of got) {
    assert.deepEqual([g.exchange, g.routing_key], [EX, 'rej'], 'back on the original exchange and routing key');
    assert.ok(!g.header_names.some((h) => h.startsWith('x-death') || h.startsWith('x-first-death')), 'without the old death history');
  }
});

test('a dead-letter exchange the user also taps: each dead-lettered copy is recorded once', async (t) => {
  const s = suffix();
  const DLX = `dlx2.${s}`;
  const admin = await AmqpClient.open(vh.url);
  t.after(() => admin.close());
  await admin.ch.assertExchange(DLX, 'topic', { durable: false });
  await admin.ch.assertQueue(`short.${s}`, { durable: false, arguments: { 'x-dead-letter-exchange': DLX, 'x-message-ttl': 100 } });
  const r = record({ exchanges: [DLX] });
  t.after(() => r.close());
  await r.recorder.add(r.connector);
  // The vhost still holds the previous test's dead-letter exchange: this one is listed beside it.
  await waitFor('the dead-letter tap', () => /dead letters: tapping /.test(r.detail()) && r.detail().includes(`'${DLX}' (from 'short.${s}')`));
  await runPython('pika_publish.py', [vh.url, '', JSON.stringify([{ key: `short.${s}`, body: 'brief' }])]);
  await waitFor('the dead-lettered copy', () => r.count({ header: { name: 'x-death' } }) >= 1);
  // An ordinary publish to the same exchange goes through the exchange tap and the firehose as usual.
  await admin.publish(DLX, 'direct.use', 'not a dead letter');
  await waitFor('the ordinary publish', () => r.count({ destinations: [DLX], text: 'not a dead letter' }) === 1);
  await r.recorder.stop();
  assert.equal(r.count({ header: { name: 'x-death' } }), 1, 'recorded by the dead-letter tap only');
  const [item] = (await analyzeSaved(r.store)).finish().undelivered.items;
  assert.deepEqual([item?.reason, item?.destination, item?.deadLetter?.queue], ['expired', `short.${s}`, `short.${s}`]);
});

test('without the management API the status says what cannot be known', async (t) => {
  const r = record({ managementUrl: false });
  t.after(() => r.close());
  await r.recorder.add(r.connector);
  assert.match(r.detail(), /management API not used: queue arguments \(dead-letter exchanges, TTL, length and delivery limits\) are unknown/);
  await r.recorder.stop();
});
