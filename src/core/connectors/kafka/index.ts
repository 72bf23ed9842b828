export { KafkaConnector, type KafkaConnectorOptions } from './connector.ts';
export { OWN_GROUP_PREFIX, TAP_GROUP_PREFIX } from './cluster.ts';
export { codecStats, setCodecEnabled, type CodecName } from './codecs.ts';
export type { TopicSpec } from './topics.ts';
