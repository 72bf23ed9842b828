/**
 * The bare kafkajs reference, its own process: a consumer group reading TOPIC from the
 * beginning with `eachBatch`, counting records until N. Prints { ms } from connect to the Nth.
 * It commits nothing, like kcat: the recording that follows it then sees a topic nobody has
 * read, whose records its analysis holds until their window passes, the case that costs the
 * recording most memory (a group's commits would have decided them consumed on arrival).
 *
 *   node --import tsx bench/kafka/kafkajs-counter.ts BROKERS TOPIC N
 */
import { Kafka, logLevel } from 'kafkajs';

const [brokers, topic, nArg] = process.argv.slice(2);
const n = Number(nArg);
const kafka = new Kafka({ brokers: brokers!.split(','), clientId: 'bench-counter', logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: `bench-counter-${Date.now()}` });
const t0 = performance.now();
await consumer.connect();
await consumer.subscribe({ topic: topic!, fromBeginning: true });
let count = 0;
await new Promise<void>((resolve) => {
  void consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      count += batch.messages.length;
      if (count >= n) resolve();
    },
  });
});
const ms = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ ms, count })}\n`);
await consumer.disconnect();
process.exit(0);
