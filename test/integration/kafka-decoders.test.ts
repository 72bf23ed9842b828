import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, uniqueName } from '../helpers/kafka.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { ORDER_AVSC, SHOP_PROTO, avroPayment, confluent, pbOrders, pbReplies } from '../helpers/schema-encoders.ts';

/**
 * Issue 15: Kafka records framed the Confluent way (magic 0, schema id, and for Protobuf the
 * message-index list), their bytes encoded by other libraries than the decoders' own
 * (Google's python3-protobuf, Apache's avro-js), produced by kafkajs and recorded by
 * `flowscope record --decode`.
 * The session is then read by fresh processes that have nothing but the file: the schema
 * files are gone and the file sits elsewhere.
 */

const BIN = path.resolve('bin/flowscope.mjs');
const brokers = await kafkaBrokers();
const admin = await adminClient(brokers);
const created: string[] = [];
after(async () => {
  await deleteTopics(admin, created);
  await admin.disconnect();
});

function flowscope(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? process.cwd(), env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 0))));
  return { child, stdout: () => out, stderr: () => err, exit };
}

interface Line {
  seq: number;
  destination: string;
  payloadBase64?: string;
  payload?: string;
  correlationId?: string;
  decoded?: { format: string; value: unknown; error: string | null; schemaId: number | null; typeName: string | null };
}

/** The exported bytes: base64 when they are not UTF-8, else the text. */
function payloadOf(l: Line): Buffer {
  return l.payloadBase64 !== undefined ? Buffer.from(l.payloadBase64, 'base64') : Buffer.from(l.payload ?? '', 'utf8');
}

test('Confluent-framed Protobuf and Avro recorded from Kafka decode field for field, pair by a Protobuf field, and survive a move to a clean process', async () => {
  const prefix = uniqueName('fs-dec');
  const topics = { requests: `${prefix}.orders.requests`, replies: `${prefix}.orders.replies`, payments: `${prefix}.payments` };
  for (const t of Object.values(topics)) {
    created.push(t);
    await createTopic(admin, t, 2);
  }
  const N = 12;
  const orders = Array.from({ length: N }, (_, i) => ({
    id: `${prefix}-o${i}`,
    quantity: 2n ** 53n + BigInt(i),
    price: 10 + i / 4,
    lines: Array.from({ length: 1 + (i % 3) }, (_, j) => ({ sku: `sku-${i}-${j}`, count: j + 1 })),
    paid: i % 2 === 0,
  }));
  const answered = orders.filter((_, i) => i % 4 !== 3);
  const payments = Array.from({ length: 5 }, (_, i) => ({ id: `${prefix}-p${i}`, cents: 2n ** 62n + BigInt(i), rate: i / 8, tags: i % 2 ? ['eu'] : ['us', 'card'], note: i === 2 ? null : `note ${i}` }));
  // Schema ids as a registry would have handed them out; the bad record claims the payments schema.
  const ids = { shop: 31, payment: 8 };
  const bad = confluent(ids.payment, avroPayment(payments[0]!).subarray(0, 6));
  const orderBytes = pbOrders(orders).map((b) => confluent(ids.shop, b, [0]));
  const replyBytes = pbReplies(answered.map((o, i) => ({ id: o.id, accepted: i % 2 === 0 }))).map((b) => confluent(ids.shop, b, [1]));

  const producer = new Kafka({ brokers, clientId: 'decoders-test', logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const t0 = Date.now() - 60_000;
    await producer.send({ topic: topics.requests, messages: orders.map((o, i) => ({ key: o.id, value: orderBytes[i]!, timestamp: String(t0 + i * 100) })) });
    await producer.send({
      topic: topics.replies,
      messages: answered.map((o, i) => ({ key: o.id, value: replyBytes[i]!, timestamp: String(t0 + 50 + orders.indexOf(o) * 100) })),
    });
    await producer.send({ topic: topics.payments, messages: [...payments.map((p) => ({ value: confluent(ids.payment, avroPayment(p)) })), { value: bad }] });
  } finally {
    await producer.disconnect();
  }
  const total = orders.length + answered.length + payments.length + 1;

  const work = tmpDir();
  fs.writeFileSync(path.join(work, 'shop.proto'), SHOP_PROTO);
  fs.writeFileSync(path.join(work, 'payment.avsc'), ORDER_AVSC);
  const file = path.join(work, 'decoded.flowscope');
  const rec = flowscope(
    [
      'record', '--kafka', brokers.join(','), '--topic', `/^${prefix}\\./`, '--from-beginning',
      '--decode', `${prefix}.orders.*=protobuf:shop.proto`,
      '--decode', `${prefix}.payments=avro:payment.avsc`,
      '--schema-id', `${ids.shop}=shop.proto`, '--schema-id', `${ids.payment}=payment.avsc`,
      '--json-path', 'order_id',
      '--out', file, '--max-messages', String(total),
    ],
    { cwd: work, env: { FLOWSCOPE_DATA_DIR: work } },
  );
  // A bound on the wait, cleared after, so the test file's process does not outlive it.
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([rec.exit, new Promise<number>((r) => (timer = setTimeout(() => r(-1), 120_000)))]);
  clearTimeout(timer);
  if (code === -1) rec.child.kill('SIGTERM');
  assert.equal(code, 0, rec.stderr());

  // Elsewhere, with only the session file: no schema file, another folder, another process.
  const clean = tmpDir();
  const moved = path.join(clean, 'shared.flowscope');
  fs.copyFileSync(file, moved);
  fs.rmSync(work, { recursive: true, force: true });
  const before = fs.readFileSync(moved);

  const exp = flowscope(['export', moved, '--format', 'jsonl', '--decoded'], { cwd: clean, env: { FLOWSCOPE_DATA_DIR: clean } });
  assert.equal(await exp.exit, 0, exp.stderr());
  const lines = exp.stdout().trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.equal(lines.length, total);

  const byTopic = (t: string) => lines.filter((l) => l.destination === t);
  const requests = new Map(byTopic(topics.requests).map((l) => [(l.decoded?.value as { order_id: string }).order_id, l]));
  for (const [i, o] of orders.entries()) {
    const l = requests.get(o.id);
    assert.ok(l, `request ${o.id} decoded`);
    assert.equal(l.decoded?.error, null);
    assert.equal(l.decoded?.typeName, 'shop.Order');
    assert.equal(l.decoded?.schemaId, ids.shop);
    assert.deepEqual(l.decoded?.value, {
      order_id: o.id,
      quantity: o.quantity.toString(),
      price: o.price,
      lines: o.lines.map((x) => ({ sku: x.sku, count: String(x.count) })),
      status: o.paid ? 'PAID' : 'NEW',
    });
    assert.deepEqual(payloadOf(l), orderBytes[i], 'the stored bytes are the produced bytes');
    assert.equal(l.correlationId, o.id, 'the correlation id came from the decoded order_id');
  }
  const replies = byTopic(topics.replies);
  assert.equal(replies.length, answered.length);
  const accepted = new Map(answered.map((o, i) => [o.id, i % 2 === 0]));
  for (const l of replies) {
    assert.equal(l.decoded?.typeName, 'shop.OrderReply', 'message index 1 picked the second message type');
    const id = (l.decoded?.value as { order_id: string }).order_id;
    assert.deepEqual(l.decoded?.value, { order_id: id, accepted: accepted.get(id) });
  }
  const paid = new Map(byTopic(topics.payments).filter((l) => !l.decoded?.error).map((l) => [(l.decoded?.value as { payment_id: string }).payment_id, l]));
  for (const p of payments) {
    assert.deepEqual(paid.get(p.id)?.decoded?.value, { payment_id: p.id, amount_cents: p.cents.toString(), rate: p.rate, tags: p.tags, note: p.note });
  }
  const broken = byTopic(topics.payments).find((l) => l.decoded?.error);
  assert.ok(broken, 'the truncated record is there');
  assert.match(broken.decoded!.error!, /^Avro: the payload ends before the shop\.avro\.Payment datum does/);
  assert.deepEqual(payloadOf(broken), bad, 'its raw bytes are kept as produced');

  // Pairing by the decoded Protobuf field, read by a process given no --json-path at all.
  const ins = flowscope(['inspect', moved, '--json'], { cwd: clean, env: { FLOWSCOPE_DATA_DIR: clean } });
  assert.equal(await ins.exit, 0, ins.stderr());
  const report = JSON.parse(ins.stdout()) as { pairs: { matched: number; unanswered: number } };
  assert.equal(report.pairs.matched, answered.length);
  assert.equal(report.pairs.unanswered, orders.length - answered.length);
  assert.ok(fs.readFileSync(moved).subarray(0, 100).equals(before.subarray(0, 100)), 'the file is still a session');
});
