/**
 * Local single-node Apache Kafka broker (KRaft, combined broker and controller) for the
 * tests, the benchmark and developers; the one API they import.
 *
 *   import { startKafka, stopKafka } from '../scripts/kafka/index.ts';
 *   const { brokers, pid } = await startKafka({ port: 9092, keepData: false });
 *   await stopKafka({ port: 9092 });
 *
 * The command line is cli.ts. Env: KAFKA_PORT, KAFKA_CONTROLLER_PORT (default port+1),
 * KAFKA_CACHE_DIR (default <repo>/.cache/kafka: jars in libs/, a broker's state, data and
 * log in run-<port>/), KAFKA_KEEP_DATA=1, KAFKA_VERSION (4.x), KAFKA_START_TIMEOUT
 * (seconds, default 120), KAFKA_HEAP_OPTS (default "-Xms256m -Xmx768m"), KAFKA_JVM_OPTS
 * (extra JVM args), KAFKA_CDS=0 (no class-data-sharing archive), JAVA_HOME, MVN.
 */
export { killKafka, kafkaStatus, startKafka, stopKafka } from './broker.ts';
export type { BrokerRef, KafkaStatus, SignalResult, StartOptions, StartResult, StopOptions } from './broker.ts';
export { fetchKafka, isFetched } from './fetch.ts';
export { probeKafka } from './probe.ts';
export { KAFKA_VERSION, kafkaCacheDir } from './settings.ts';
