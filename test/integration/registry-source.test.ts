import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { DecoderRegistry } from '../../src/core/decode/registry.ts';
import { RegistrySchemas } from '../../src/core/decode/registry-source.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, uniqueName } from '../helpers/kafka.ts';
import { registerSchema, schemaRegistry } from '../helpers/registry.ts';
import { ORDER_AVSC, SHOP_PROTO, avroPayment, confluent, pbOrder } from '../helpers/schema-encoders.ts';

/**
 * Issue 15: schemas fetched by id from a real Confluent-compatible Schema Registry (Apicurio,
 * /apis/ccompat/v7). The schemas are registered through the Confluent API as a producer's
 * serializer registers them, the records carry the ids the registry handed out (bytes written
 * from the specifications, not by the decoders' libraries), go through Kafka, and are decoded
 * with no schema file in the session: only the registry knows them.
 */

const registry = await schemaRegistry();
const brokers = await kafkaBrokers();
const admin = await adminClient(brokers);
const topics: string[] = [];
after(async () => {
  await deleteTopics(admin, topics);
  await admin.disconnect();
  await registry.stop();
});

/** Every record of `topic` from the beginning, as kafkajs hands them to a consumer. */
async function consumeAll(topic: string, count: number): Promise<Buffer[]> {
  const consumer = new Kafka({ brokers, clientId: 'registry-test', logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('fs-reg-g') });
  await consumer.connect();
  const out: Buffer[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.value) out.push(message.value);
            if (out.length >= count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

test('Avro and Protobuf records whose schemas only a real Schema Registry holds decode field for field once fetched by id', async () => {
  const prefix = uniqueName('fs-reg');
  const subjects = { payments: `${prefix}.payments-value`, orders: `${prefix}.orders-value` };
  const paymentId = await registerSchema(registry.url, subjects.payments, ORDER_AVSC);
  const orderId = await registerSchema(registry.url, subjects.orders, SHOP_PROTO, 'PROTOBUF');
  assert.notEqual(paymentId, orderId);

  const topic = `${prefix}.mixed`;
  topics.push(topic);
  await createTopic(admin, topic, 1);
  const payments = Array.from({ length: 4 }, (_, i) => ({ id: `${prefix}-p${i}`, cents: 10n ** 12n + BigInt(i), rate: i / 8, tags: i % 2 ? ['eu'] : ['us', 'card'], note: i === 2 ? null : `note ${i}` }));
  const orders = Array.from({ length: 3 }, (_, i) => ({ id: `${prefix}-o${i}`, quantity: 2n ** 53n + BigInt(i), price: 10 + i / 4, lines: [{ sku: `sku-${i}`, count: i + 1 }], paid: i === 1 }));
  const producer = new Kafka({ brokers, clientId: 'registry-test', logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({
    topic,
    messages: [...payments.map((p) => ({ value: confluent(paymentId, avroPayment(p)) })), ...orders.map((o) => ({ value: confluent(orderId, pbOrder(o), [0]) }))],
  });
  await producer.disconnect();
  const records = await consumeAll(topic, payments.length + orders.length);
  assert.equal(records.length, payments.length + orders.length);

  const source = new RegistrySchemas({ url: registry.url });
  const arrived: number[] = [];
  source.onSchema((id) => arrived.push(id));
  // No rule and no schema file: the frames are recognised by content, their ids looked up.
  const decoders = new DecoderRegistry({ rules: [], schemas: [] }, source);
  const decode = (payload: Buffer) => decoders.decode({ destination: topic, payload });

  // The first sight of an id only starts its fetch: the decoder never waits for the network.
  assert.deepEqual(source.byId(paymentId), { pending: `Confluent schema id ${paymentId} is being fetched from the Schema Registry at ${registry.url}` });
  await source.settled(paymentId);
  await source.settled(orderId);
  assert.deepEqual([...arrived].sort(), [paymentId, orderId].sort(), 'each arrival was announced once, so a shown message can decode again');

  for (const [i, p] of payments.entries()) {
    const v = decode(records[i]!);
    assert.equal(v?.error, null);
    assert.equal(v?.format, 'avro');
    assert.equal(v?.schemaId, paymentId);
    assert.equal(v?.typeName, 'shop.avro.Payment');
    assert.deepEqual(v?.value, { payment_id: p.id, amount_cents: p.cents.toString(), rate: p.rate, tags: p.tags, note: p.note });
  }
  for (const [i, o] of orders.entries()) {
    const v = decode(records[payments.length + i]!);
    assert.equal(v?.error, null);
    assert.equal(v?.typeName, 'shop.Order');
    assert.equal(v?.schemaId, orderId);
    assert.deepEqual(v?.value, {
      order_id: o.id,
      quantity: o.quantity.toString(),
      price: o.price,
      lines: o.lines.map((x) => ({ sku: x.sku, count: String(x.count) })),
      status: o.paid ? 'PAID' : 'NEW',
    });
  }

  const listed = await source.subjects();
  assert.ok(listed.includes(subjects.payments) && listed.includes(subjects.orders), `subjects listed: ${listed.join(', ')}`);
});

test('an id the registry does not have, under an Avro rule, says so as the message error', async () => {
  const source = new RegistrySchemas({ url: registry.url });
  const topic = uniqueName('fs-reg-none');
  const decoders = new DecoderRegistry({ rules: [{ match: topic, format: 'avro' }], schemas: [] }, source);
  const unknownId = 0x7fff_fff0;
  const payload = confluent(unknownId, avroPayment({ id: 'x', cents: 1n, rate: 0, tags: [], note: null }));
  const first = decoders.decode({ destination: topic, payload });
  assert.match(first?.error ?? '', /being fetched from the Schema Registry/, 'while the fetch runs, the message says so');
  assert.ok('missing' in (await source.settled(unknownId)));
  const after = decoders.decode({ destination: topic, payload });
  assert.equal(after?.value, null);
  assert.match(after?.error ?? '', new RegExp(`answered 404 for Confluent schema id ${unknownId}`));
});

test('a registry that cannot be reached is named in the error, not a blank', async () => {
  // A port nothing listens on: the listener is closed before the lookup.
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  const source = new RegistrySchemas({ url: `http://127.0.0.1:${port}` });
  const found = await source.settled(5);
  assert.ok('missing' in found);
  assert.match(found.missing, new RegExp(`Schema Registry at http://127.0.0.1:${port} could not be reached \\(ECONNREFUSED\\)`));
});
