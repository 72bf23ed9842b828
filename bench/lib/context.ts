/**
 * What the figures of one `npm run bench` share: the Kafka broker (started once, stopped by
 * pid at the end) and the sessions one figure recorded and another reopens.
 */
import { startKafka, stopKafka } from '../../scripts/kafka/index.ts';

let broker: Promise<string> | null = null;
let startedPort: number | null = null;

/** KAFKA_BROKERS, else a broker from scripts/kafka on BENCH_KAFKA_PORT (default 39092). */
export function kafkaBrokers(): Promise<string> {
  if (process.env.KAFKA_BROKERS) return Promise.resolve(process.env.KAFKA_BROKERS);
  broker ??= (async () => {
    const port = Number(process.env.BENCH_KAFKA_PORT ?? 39092);
    const started = await startKafka({ port, keepData: false });
    if (!started.alreadyRunning) startedPort = port;
    console.log(`kafka on ${started.brokers} (pid ${started.pid})`);
    return started.brokers;
  })();
  return broker;
}

/** Stops the broker this run started (by the pid scripts/kafka recorded), if any. */
export async function stopBroker(): Promise<void> {
  if (startedPort !== null) await stopKafka({ port: startedPort });
  startedPort = null;
  broker = null;
}

/** Session files recorded by one figure for the next (key → path), within one run. */
export const sessions = new Map<string, string>();
