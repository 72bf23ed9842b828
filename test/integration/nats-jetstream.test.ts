import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckPolicy, connect, nanos } from 'nats';
import { NatsTapConnector } from '../../src/core/connectors/nats/tap.ts';
import { AnalysisState } from '../../src/core/analysis/analysis-state.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import { NATS_HOST, NATS_PORT, NATS_URL, runPrefix, tapRecording } from '../helpers/mqtt-nats.ts';
import { waitFor } from '../helpers/tmp.ts';

// A work queue on a JetStream stream: a consumer that allows 2 deliveries; the worker acks
// some messages, keeps refusing (nak) others until JetStream gives up on them, and
// terminates one. The server's advisories are the truth the recording is checked against.
test('JetStream: max-deliveries and terminated advisories are undelivered with their reason, linked to the stored publish by its PubAck', async (t) => {
  const p = runPrefix();
  const stream = `FS_${p}`;
  // Its own inbox prefix, so the tap records this test's PubAcks and nobody else's.
  const nc = await connect({ servers: `${NATS_HOST}:${NATS_PORT}`, inboxPrefix: `_INBOX_${p}` });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [`${p}.jobs.>`] });
  t.after(async () => {
    await jsm.streams.delete(stream);
    await nc.close();
  });
  await jsm.consumers.add(stream, { durable_name: 'worker', ack_policy: AckPolicy.Explicit, max_deliver: 2, ack_wait: nanos(1000) });

  const rec = await tapRecording((sink) => new NatsTapConnector({ id: 'tap', url: NATS_URL, subjects: [`${p}.jobs.>`, `_INBOX_${p}.>`], jetstream: true }, sink));
  t.after(() => rec.close());
  const js = nc.jetstream();
  const seqOf = new Map<number, number>();
  for (let n = 0; n < 6; n++) seqOf.set(n, (await js.publish(`${p}.jobs.${n % 2 ? 'b' : 'a'}`, JSON.stringify({ n }))).seq);
  const refused = [2, 3, 5];
  const terminated = [4];

  const consumer = await js.consumers.get(stream, 'worker');
  const advisories = (): number => {
    rec.recorder.flush();
    return [...rec.store.iterate({})].filter((m) => m.destination.startsWith('$JS.EVENT.ADVISORY.CONSUMER.') && m.destination.includes(`.${stream}.`)).length;
  };
  const delivered = new Map<number, number>();
  await waitFor(
    'an advisory for each refused and terminated message',
    async () => {
      const batch = await consumer.fetch({ max_messages: 20, expires: 1000 });
      for await (const m of batch) {
        const n = (m.json() as { n: number }).n;
        delivered.set(n, (delivered.get(n) ?? 0) + 1);
        if (terminated.includes(n)) m.term();
        else if (refused.includes(n)) m.nak();
        else m.ack();
      }
      return advisories() === refused.length + terminated.length;
    },
    30_000,
  );
  assert.deepEqual(refused.map((n) => delivered.get(n)), [2, 2, 2], 'the generator: each refused message delivered exactly max_deliver times');
  const deliveries = [...delivered.values()].reduce((a, b) => a + b, 0);
  const acks = { ack: 6 - refused.length - terminated.length, nak: refused.length * 2, term: terminated.length };
  await waitFor('every delivery and ack recorded', () => {
    rec.recorder.flush();
    const js = [...rec.store.iterate({})].filter((m) => m.meta?.stream === stream);
    return js.filter((m) => m.meta?.js === 'delivery').length === deliveries && js.filter((m) => m.meta?.js === 'ack').length === deliveries;
  });
  await waitFor('the streams discovered', () => rec.store.latestDiscovery().find((d) => d.source === 'jetstream'));
  await rec.recorder.stop();

  const recorded = [...rec.store.iterate({})].filter((m) => m.meta?.stream === stream);
  const ackKinds: Record<string, number> = {};
  for (const m of recorded) if (m.meta?.js === 'ack') ackKinds[String(m.meta.ack)] = (ackKinds[String(m.meta.ack)] ?? 0) + 1;
  assert.deepEqual(ackKinds, acks, 'acks, naks and terms as the worker sent them');
  const redelivered = recorded.filter((m) => m.meta?.js === 'delivery' && Number(m.meta.delivered) > 1).length;
  assert.equal(redelivered, refused.length, 'each refused message redelivered once');
  assert.ok(recorded.filter((m) => m.meta?.js === 'delivery').every((m) => m.event === 'deliver'), 'JetStream deliveries are deliveries, not new publishes');
  const found = rec.store.latestDiscovery().find((d) => d.source === 'jetstream')!.streams!.find((s) => s.name === stream);
  assert.ok(found, 'the stream discovered through the JetStream API');
  assert.deepEqual(found.subjects, [`${p}.jobs.>`]);
  assert.deepEqual(found.consumers.map((c) => [c.name, c.maxDeliver]), [['worker', 2]]);

  const reread = await analyzeSaved(rec.store);
  const reopened = AnalysisState.restore(reread.save());
  for (const [how, state] of Object.entries({ reread, reopened })) {
    const g = state.topologyGraph();
    const node = (label: string) => g.nodes.find((n) => n.label === label);
    const streamNode = node(stream);
    assert.equal(streamNode?.kind, 'stream', `${how}: the stream in the flow graph`);
    const edge = (from: string | undefined, to: string | undefined) => g.edges.find((e) => e.source === from && e.target === to);
    for (const sub of ['a', 'b']) assert.equal(edge(node(`${p}.jobs.${sub}`)?.id, streamNode?.id)?.count, 3, `${how}: subject ${sub} feeds the stream`);
    const worker = node(`${stream} › worker`);
    assert.equal(worker?.kind, 'consumer');
    const delivery = edge(streamNode?.id, worker?.id);
    assert.equal(delivery?.count, deliveries, `${how}: deliveries (redeliveries included) from the stream to its consumer`);
    assert.equal(delivery?.undelivered, refused.length + terminated.length, `${how}: the messages it gave up on, on that edge`);
  }
  for (const [how, r] of Object.entries({ reread: reread.finish(), reopened: reopened.finish() })) {
    assert.equal(r.pairs.matched, 6, `${how}: each publish paired with its PubAck`);
    assert.equal(r.pairs.unanswered, 0, `${how}: deliveries are no requests`);
    const mine = r.undelivered.items.filter((i) => i.jetstream?.stream === stream);
    const body = (seq: number): number => (JSON.parse(Buffer.from(rec.store.get(seq)!.payload).toString()) as { n: number }).n;
    const by = (reason: string) => mine.filter((i) => i.reason === reason);
    assert.deepEqual(by('max-deliveries').map((i) => body(i.seq)).sort(), refused, `${how}: max deliveries, the stored publishes`);
    assert.deepEqual(by('terminated').map((i) => body(i.seq)), terminated, `${how}: terminated`);
    assert.equal(mine.length, refused.length + terminated.length, `${how}: nothing else about this stream`);
    for (const i of mine) {
      const n = body(i.seq);
      const js = i.jetstream!;
      assert.deepEqual([js.consumer, js.streamSeq], ['worker', seqOf.get(n)], `${how}: message ${n} linked to its stream sequence`);
      assert.equal(js.deliveries, i.reason === 'max-deliveries' ? 2 : delivered.get(n), `${how}: the delivery count of message ${n}`);
      assert.equal(rec.store.get(i.seq)!.destination, `${p}.jobs.${n % 2 ? 'b' : 'a'}`);
      assert.equal(rec.store.get(js.advisorySeq)!.destination.split('.')[4], i.reason === 'max-deliveries' ? 'MAX_DELIVERIES' : 'MSG_TERMINATED');
    }
  }
});
