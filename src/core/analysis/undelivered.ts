import type { CapturedMessage, GroupOffset } from '../../shared/model.ts';
import { DEFAULT_ANALYSIS_CONFIG } from './config.ts';
import type { UndeliveredConfig } from './config.ts';
import type { Correlation } from './correlation.ts';
import type { PendingRequest } from './pairing.ts';
import { AmqpUndelivered } from './undelivered-amqp.ts';
import { KafkaUndelivered } from './undelivered-kafka.ts';
import { MqttUndelivered } from './undelivered-mqtt.ts';
import { NatsUndelivered } from './undelivered-nats.ts';
import { UndeliveredSink } from './undelivered-sink.ts';
import type { UndeliveredGroup, UndeliveredSummary } from '../../shared/views.ts';
import { WsUndelivered } from './undelivered-ws.ts';

export { isAbnormalClose } from './undelivered-ws.ts';
export { deathOf } from './amqp-death.ts';

/**
 * Fire-and-forget messages nobody received, per transport, decided incrementally: each
 * message is held only until its window passes (AMQP, Kafka) or its connection closes
 * (WebSocket), so memory follows the backlog, not the session's length.
 */
export class UndeliveredTracker {
  /** Replaced only by a state restored from kept results (AnalysisState.restoreResults), which takes no more messages. */
  sink: UndeliveredSink;
  private readonly amqp: AmqpUndelivered;
  private readonly kafka: KafkaUndelivered;
  private readonly ws: WsUndelivered;
  private readonly mqtt: MqttUndelivered;
  private readonly nats: NatsUndelivered;

  constructor(cfg: UndeliveredConfig = DEFAULT_ANALYSIS_CONFIG.undelivered) {
    this.sink = new UndeliveredSink(cfg.maxItems, cfg.maxGroups);
    this.amqp = new AmqpUndelivered(cfg, this.sink);
    this.kafka = new KafkaUndelivered(cfg, this.sink);
    this.ws = new WsUndelivered(cfg, this.sink);
    this.mqtt = new MqttUndelivered(cfg, this.sink);
    this.nats = new NatsUndelivered(this.sink);
  }

  /** `producer`: the topology node id of the message's producer (for edge attribution). */
  ingest(m: CapturedMessage & { seq: number }, c: Correlation, producer: string | null): void {
    if (m.transport === 'amqp') this.amqp.ingest(m, c, producer);
    else if (m.transport === 'kafka') this.kafka.ingest(m, producer);
    else if (m.transport === 'mqtt') this.mqtt.ingest(m, producer);
    else if (m.transport === 'nats') this.nats.ingest(m, producer);
    else this.ws.ingest(m, c);
  }

  addOffsets(rows: readonly GroupOffset[]): void {
    this.kafka.addOffsets(rows);
  }

  /** A WebSocket request was left without a reply by its connection closing. */
  requestLeftOpen(req: PendingRequest, abnormal: boolean): void {
    this.ws.requestLeftOpen(req, abnormal);
  }

  /** Message time (not the live clock) reached `time`: Kafka records past their window with no poll to judge them are judged. */
  messageTime(time: number): void {
    this.kafka.passed(time);
  }

  advance(time: number): void {
    this.amqp.advance(time);
    this.mqtt.advance(time);
  }

  finish(end: number): void {
    this.amqp.finish(end);
    this.kafka.finish(end);
    this.mqtt.finish(end);
  }

  get pending(): number {
    return this.amqp.waiting + this.kafka.waiting + this.mqtt.waiting;
  }

  summary(): UndeliveredSummary {
    return this.sink.summary(this.pending);
  }

  groups(): UndeliveredGroup[] {
    return this.sink.groupList();
  }
}
