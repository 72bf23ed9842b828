/**
 * Publishes N 200-byte messages to the fanout EXCHANGE on a confirm channel, its own process.
 *
 *   node --import tsx bench/amqp/publisher.ts URL EXCHANGE N
 */
import amqp from 'amqplib';

const [url, exchange, nArg] = process.argv.slice(2);
const n = Number(nArg);
const conn = await amqp.connect(url!);
const ch = await conn.createConfirmChannel();
const body = Buffer.alloc(200, 'x');
for (let i = 0; i < n; i++) {
  if (!ch.publish(exchange!, '', body, { messageId: `m${i}` })) await new Promise((r) => ch.once('drain', r));
  if (i % 1000 === 999) await ch.waitForConfirms();
}
await ch.waitForConfirms();
await conn.close();
