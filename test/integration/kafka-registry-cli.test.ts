import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, uniqueName } from '../helpers/kafka.ts';
import { registerSchema, schemaRegistry } from '../helpers/registry.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { Engine } from '../../src/core/engine/engine.ts';
import { ORDER_AVSC, SHOP_PROTO, avroPayment, confluent, pbOrders, pbReplies } from '../helpers/schema-encoders.ts';

/**
 * Issue 15: `flowscope record --schema-registry URL` against a real Schema Registry (Apicurio's
 * Confluent API) and a real Kafka. The schemas are registered as a producer's serializer
 * registers them; the session holds no schema file, only the registry's URL (without the
 * credentials typed in it), and a fresh process's `export --decoded` and `inspect` fetch what
 * they need from it before writing anything.
 */

const BIN = path.resolve('bin/flowscope.mjs');
const registry = await schemaRegistry();
const brokers = await kafkaBrokers();
const admin = await adminClient(brokers);
const created: string[] = [];
after(async () => {
  await deleteTopics(admin, created);
  await admin.disconnect();
  await registry.stop();
});

function flowscope(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 0))));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface Line {
  destination: string;
  correlationId?: string;
  decoded?: { format: string; value: unknown; error: string | null; schemaId: number | null; typeName: string | null; pending?: boolean };
}

test('record --schema-registry keeps the URL without its password; export --decoded and inspect in a fresh process decode every field from the registry', async () => {
  const prefix = uniqueName('fs-regcli');
  const topics = { requests: `${prefix}.orders.requests`, replies: `${prefix}.orders.replies`, payments: `${prefix}.payments` };
  for (const t of Object.values(topics)) {
    created.push(t);
    await createTopic(admin, t, 1);
  }
  const ids = {
    shop: await registerSchema(registry.url, `${prefix}.orders-value`, SHOP_PROTO, 'PROTOBUF'),
    payment: await registerSchema(registry.url, `${prefix}.payments-value`, ORDER_AVSC),
  };
  const orders = Array.from({ length: 6 }, (_, i) => ({
    id: `${prefix}-o${i}`,
    quantity: 2n ** 53n + BigInt(i),
    price: 10 + i / 4,
    lines: Array.from({ length: 1 + (i % 2) }, (_, j) => ({ sku: `sku-${i}-${j}`, count: j + 1 })),
    paid: i % 2 === 0,
  }));
  const answered = orders.filter((_, i) => i !== 4);
  const payments = Array.from({ length: 4 }, (_, i) => ({ id: `${prefix}-p${i}`, cents: 2n ** 62n + BigInt(i), rate: i / 8, tags: i % 2 ? ['eu'] : ['us', 'card'], note: i === 2 ? null : `note ${i}` }));

  const producer = new Kafka({ brokers, clientId: 'registry-cli-test', logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const t0 = Date.now() - 60_000;
    await producer.send({ topic: topics.requests, messages: pbOrders(orders).map((b, i) => ({ value: confluent(ids.shop, b, [0]), timestamp: String(t0 + i * 100) })) });
    await producer.send({
      topic: topics.replies,
      messages: pbReplies(answered.map((o) => ({ id: o.id, accepted: o.paid }))).map((b, i) => ({ value: confluent(ids.shop, b, [1]), timestamp: String(t0 + 50 + orders.indexOf(answered[i]!) * 100) })),
    });
    await producer.send({ topic: topics.payments, messages: payments.map((p) => ({ value: confluent(ids.payment, avroPayment(p)) })) });
  } finally {
    await producer.disconnect();
  }
  const total = orders.length + answered.length + payments.length;

  // Credentials typed in the URL are used for the requests and kept out of the file and the output.
  const password = `pw-${prefix}`;
  const withAuth = new URL(registry.url);
  withAuth.username = 'flowscope-test';
  withAuth.password = password;
  const work = tmpDir();
  const file = path.join(work, 'registry.flowscope');
  const rec = flowscope(
    ['record', '--kafka', brokers.join(','), '--topic', `/^${prefix}\\./`, '--from-beginning', '--schema-registry', withAuth.toString(), '--json-path', 'order_id', '--out', file, '--max-messages', String(total)],
    { FLOWSCOPE_DATA_DIR: work },
  );
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([rec.exit, new Promise<number>((r) => (timer = setTimeout(() => r(-1), 120_000)))]);
  clearTimeout(timer);
  if (code === -1) rec.child.kill('SIGTERM');
  assert.equal(code, 0, rec.stderr());
  assert.ok(!rec.stderr().includes(password), 'the password is not printed');
  for (const f of fs.readdirSync(work)) assert.ok(!fs.readFileSync(path.join(work, f)).includes(password), `${f} does not hold the password`);

  // Another folder, another process, only the session file: the registry URL came with it.
  const clean = tmpDir();
  const moved = path.join(clean, 'shared.flowscope');
  fs.copyFileSync(file, moved);
  fs.rmSync(work, { recursive: true, force: true });
  const exp = flowscope(['export', moved, '--format', 'jsonl', '--decoded'], { FLOWSCOPE_DATA_DIR: clean });
  assert.equal(await exp.exit, 0, exp.stderr());
  const lines = exp.stdout().trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.equal(lines.length, total);
  const byTopic = (t: string) => lines.filter((l) => l.destination === t);

  const requests = new Map(byTopic(topics.requests).map((l) => [(l.decoded?.value as { order_id?: string } | null)?.order_id, l]));
  for (const o of orders) {
    const l = requests.get(o.id);
    assert.ok(l, `request ${o.id} decoded: ${JSON.stringify(byTopic(topics.requests).map((x) => x.decoded?.error))}`);
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
  }
  const replies = byTopic(topics.replies);
  assert.equal(replies.length, answered.length);
  const accepted = new Map(answered.map((o) => [o.id, o.paid]));
  for (const l of replies) {
    assert.equal(l.decoded?.typeName, 'shop.OrderReply', 'message index 1 picked the second message type');
    const id = (l.decoded?.value as { order_id: string }).order_id;
    assert.deepEqual(l.decoded?.value, { order_id: id, accepted: accepted.get(id) });
  }
  const paid = new Map(byTopic(topics.payments).map((l) => [(l.decoded?.value as { payment_id?: string } | null)?.payment_id, l]));
  for (const p of payments) {
    const l = paid.get(p.id);
    assert.equal(l?.decoded?.schemaId, ids.payment);
    assert.equal(l?.decoded?.typeName, 'shop.avro.Payment');
    assert.deepEqual(l?.decoded?.value, { payment_id: p.id, amount_cents: p.cents.toString(), rate: p.rate, tags: p.tags, note: p.note });
  }

  // A correlation path reads the registry-decoded order_id: inspect fetches the schemas
  // before its analysis, so requests and replies pair.
  const ins = flowscope(['inspect', moved, '--json', '--json-path', 'order_id'], { FLOWSCOPE_DATA_DIR: clean });
  assert.equal(await ins.exit, 0, ins.stderr());
  const report = JSON.parse(ins.stdout()) as { pairs: { matched: number; unanswered: number } };
  assert.equal(report.pairs.matched, answered.length);
  assert.equal(report.pairs.unanswered, orders.length - answered.length);

  // A registry that cannot be reached: the export still writes every message, each with the
  // reason, and says so in one line.
  const down = `http://127.0.0.1:${await closedPort()}`;
  const off = flowscope(['export', moved, '--format', 'jsonl', '--decoded', '--schema-registry', down], { FLOWSCOPE_DATA_DIR: clean });
  assert.equal(await off.exit, 0, off.stderr());
  assert.match(off.stderr(), new RegExp(`the Schema Registry at ${down.replace(/[.]/g, '\\.')} could not be reached`));
  const offLines = off.stdout().trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.equal(offLines.length, total);
  for (const l of offLines) {
    assert.match(l.decoded?.error ?? '', /could not be reached/, 'each framed message says why it is not decoded');
    assert.notEqual(l.decoded?.pending, true, 'nothing is left pending in a written export');
  }
});

test('a live session pairs by a field of records recorded before their schema had arrived from the registry', async () => {
  const prefix = uniqueName('fs-reglive');
  const topics = { requests: `${prefix}.requests`, replies: `${prefix}.replies` };
  for (const t of Object.values(topics)) {
    created.push(t);
    await createTopic(admin, t, 1);
  }
  const schemaId = await registerSchema(registry.url, `${prefix}-value`, SHOP_PROTO, 'PROTOBUF');
  const orders = Array.from({ length: 5 }, (_, i) => ({ id: `${prefix}-o${i}`, quantity: BigInt(i), price: i, lines: [], paid: false }));
  const answered = orders.slice(0, 3);
  const producer = new Kafka({ brokers, clientId: 'registry-live-test', logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const t0 = Date.now() - 60_000;
    await producer.send({ topic: topics.requests, messages: pbOrders(orders).map((b, i) => ({ value: confluent(schemaId, b, [0]), timestamp: String(t0 + i * 100) })) });
    await producer.send({ topic: topics.replies, messages: pbReplies(answered.map((o) => ({ id: o.id, accepted: true }))).map((b, i) => ({ value: confluent(schemaId, b, [1]), timestamp: String(t0 + 50 + i * 100) })) });
  } finally {
    await producer.disconnect();
  }
  // The registry's answers are held back, through a forwarding proxy, until every record is
  // stored: each one's correlation path is read while its schema is still pending.
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const origin = new URL(registry.url).origin;
  const proxy = http.createServer((req, res) => {
    void gate
      .then(() => fetch(`${origin}${req.url ?? '/'}`, { headers: { accept: req.headers.accept ?? 'application/json' } }))
      .then(async (r) => {
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await r.arrayBuffer()));
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const held = new URL(registry.url);
  held.host = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  const dir = tmpDir();
  const engine = new Engine({ dataDir: dir, version: 'test', transport: 'bridge', analysis: { correlation: { jsonPaths: ['order_id'] } } });
  try {
    const session = await engine.call('renderer:session:new', { path: path.join(dir, 'live.flowscope') });
    await engine.call('renderer:session:set-decoders', { sessionId: session.id, settings: { rules: [], schemas: [], registryUrl: held.toString().replace(/\/+$/, '') } });
    await engine.call('renderer:endpoint:connect', { sessionId: session.id, spec: { kind: 'kafka', brokers, topics: [topics.requests, topics.replies], fromBeginning: true } });
    await waitFor('every record stored', async () => ((await engine.call('renderer:session:info', { sessionId: session.id })).messageCount === orders.length + answered.length ? true : null), 60_000);
    const early = await engine.call('renderer:analysis:summary', { sessionId: session.id });
    assert.equal(early.pairs.matched, 0, 'nothing pairs while the schema is pending');
    release();
    const summary = await waitFor('the requests and replies to pair', async () => {
      const s = await engine.call('renderer:analysis:summary', { sessionId: session.id });
      return s.pairs.matched >= answered.length ? s : null;
    }, 60_000);
    assert.equal(summary.pairs.matched, answered.length);
  } finally {
    release();
    await engine.shutdown();
    await new Promise<void>((r) => proxy.close(() => r()));
  }
});
