/**
 * The bare amqplib reference, its own process: an exclusive queue bound to the fanout
 * EXCHANGE, consumed with no-ack until N messages. Prints `ready` once bound, then { count }.
 *
 *   node --import tsx bench/amqp/bare-consumer.ts URL EXCHANGE N
 */
import amqp from 'amqplib';

const [url, exchange, nArg] = process.argv.slice(2);
const n = Number(nArg);
const conn = await amqp.connect(url!);
const ch = await conn.createChannel();
const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
await ch.bindQueue(queue, exchange!, '');
let count = 0;
const done = new Promise<void>((resolve) => {
  void ch.consume(queue, () => {
    count++;
    if (count === n) resolve();
  }, { noAck: true });
});
process.stdout.write('ready\n');
await done;
process.stdout.write(`${JSON.stringify({ count })}\n`);
await conn.close();
