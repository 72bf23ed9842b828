import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import type { JsonValue, StoredMessage } from '../../shared/model.ts';
import { setOwn } from '../common/own-key.ts';
import type { DestinationPlan, Publisher, ReplayItem, Settlement } from './types.ts';

interface Queued {
  item: ReplayItem;
  settle: (s: Settlement) => void;
}

/**
 * Re-publishes MQTT messages over one MQTT 5 connection, in recorded order, with the
 * recorded payload bytes, QoS, retain flag (the tap subscribes with retain-as-published,
 * so the flag is the publisher's) and MQTT 5 properties: user properties (the recorded
 * headers), content type, payload format, message expiry, response topic, correlation
 * data. A message counts as sent when the broker acknowledged it (PUBACK / PUBCOMP), or
 * for QoS 0 when it was written. Mosquitto forwards a QoS 2 message only once its PUBREL
 * arrives, so messages sent behind it would overtake it: after a QoS 2 message the next
 * waits for its PUBCOMP, which keeps the recorded order across QoS levels. A retained message replayed is retained again: that is
 * what the recording says its publisher asked for.
 */
export class MqttPublisher implements Publisher {
  readonly transport = 'mqtt' as const;
  private client: MqttClient | null = null;
  private readonly waiting = new Set<Queued>();
  /** Held behind a QoS 2 message still in its handshake. */
  private readonly held: Queued[] = [];
  private qos2InFlight = false;
  private fatal: Error | null = null;
  private closing = false;
  notes: string[] = [];

  constructor(private readonly url: string) {}

  async open(destinations: DestinationPlan[]): Promise<string[]> {
    void destinations;
    const client = mqtt.connect(this.url, {
      protocolVersion: 5,
      clientId: `flowscope-replay-${randomBytes(4).toString('hex')}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('the MQTT broker closed the connection')));
    });
    client.on('error', (err) => this.fail(err));
    client.on('close', () => this.fail(new Error('the connection to the MQTT broker closed')));
    return [];
  }

  send(item: ReplayItem, settle: (s: Settlement) => void): void {
    const client = this.client;
    if (this.fatal || !client) {
      settle({ ok: false, error: this.fatal ?? new Error('not connected'), fatal: true });
      return;
    }
    const q: Queued = { item, settle };
    this.waiting.add(q);
    if (this.qos2InFlight) this.held.push(q);
    else this.publish(client, q);
  }

  private publish(client: MqttClient, q: Queued): void {
    const m = q.item.msg;
    const opts = publishOptions(m);
    if (opts.qos === 2) this.qos2InFlight = true;
    client.publish(q.item.destination, Buffer.from(m.payload), opts, (err) => {
      if (opts.qos === 2) this.qos2InFlight = false;
      if (this.waiting.delete(q)) q.settle(err ? { ok: false, error: err } : { ok: true });
      while (!this.qos2InFlight && this.held.length && this.client) this.publish(this.client, this.held.shift()!);
    });
  }

  abort(): void {
    // Only what is still held back is not on the wire yet.
    for (const q of this.held) {
      this.waiting.delete(q);
      q.settle({ ok: false, cancelled: true });
    }
    this.held.length = 0;
  }

  async close(): Promise<void> {
    this.closing = true;
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync().catch(() => undefined);
  }

  private fail(err: Error): void {
    if (this.closing) return;
    this.fatal ??= err;
    for (const q of this.waiting) q.settle({ ok: false, error: err, fatal: true });
    this.waiting.clear();
    this.held.length = 0;
  }
}

function publishOptions(m: StoredMessage): IClientPublishOptions {
  const qos = m.meta?.qos === 1 || m.meta?.qos === 2 ? m.meta.qos : 0;
  const p = m.properties ?? {};
  const properties: NonNullable<IClientPublishOptions['properties']> = {};
  if (m.headers) {
    const user: Record<string, string | string[]> = {};
    // mqtt-packet writes the pairs it finds with getOwnPropertyNames: `__proto__` too, as an own key.
    for (const [k, v] of Object.entries(m.headers)) setOwn(user, k, Array.isArray(v) ? v.map(text) : text(v));
    properties.userProperties = user;
  }
  if (typeof p.contentType === 'string') properties.contentType = p.contentType;
  if (p.payloadFormatIndicator === 1 || p.payloadFormatIndicator === 0) properties.payloadFormatIndicator = p.payloadFormatIndicator === 1;
  if (typeof p.messageExpiryInterval === 'number') properties.messageExpiryInterval = p.messageExpiryInterval;
  if (typeof p.responseTopic === 'string') properties.responseTopic = p.responseTopic;
  const corr = bytesOf(p.correlationData);
  if (corr) properties.correlationData = corr;
  return { qos, retain: m.meta?.retain === true, ...(Object.keys(properties).length ? { properties } : {}) };
}

function text(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function bytesOf(v: JsonValue | undefined): Buffer | null {
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.$base64 === 'string') return Buffer.from(v.$base64, 'base64');
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : null;
}
