/**
 * A producer at a fixed rate, its own process: RATE records a second (200 bytes, sent every
 * 100 ms) on TOPIC for SECONDS. Prints { sent } at the end.
 *
 *   node --import tsx bench/kafka/steady-producer.ts BROKERS TOPIC RATE SECONDS
 */
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';

const [brokers, topic, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const producer = new Kafka({ brokers: brokers!.split(','), clientId: 'bench-steady', logLevel: logLevel.NOTHING }).producer();
await producer.connect();
const pad = 'x'.repeat(150);
const t0 = Date.now();
let sent = 0;
while (Date.now() - t0 < seconds * 1000) {
  // Catch up to where the clock says we should be, so a slow tick does not lower the rate.
  const due = Math.floor(((Date.now() - t0) / 1000) * rate) - sent;
  // In requests of at most 1,000 records (~220 kB): a slow tick at a high rate must not
  // exceed the broker's 1 MB message limit.
  for (let left = due; left > 0; ) {
    const n = Math.min(left, 1000);
    const messages = Array.from({ length: n }, (_, k) => ({ key: `k${(sent + k) % 100}`, value: `{"seq":${sent + k},"pad":"${pad}"}` }));
    await producer.send({ topic: topic!, compression: CompressionTypes.None, messages });
    sent += n;
    left -= n;
  }
  await new Promise((r) => setTimeout(r, 100));
}
await producer.disconnect();
process.stdout.write(`${JSON.stringify({ sent })}\n`);
