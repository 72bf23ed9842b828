import mqtt, { type MqttClient } from 'mqtt';
import type { CaptureSink } from '../connectors/types.ts';
import { MqttTapConnector } from '../connectors/mqtt/tap.ts';
import { watchRecording, type BrokerDemo } from './brokers.ts';
import { prng } from './traffic.ts';

const ROOMS = ['kitchen', 'hall', 'office'];

/**
 * MQTT 5 on the local broker: a thermostat service answers set-point requests on the
 * request's response topic with its correlation data (the MQTT 5 request/response pattern),
 * and sensors publish temperatures (telemetry, QoS 0) and one retained status. A tap on the
 * run's prefix records it all.
 */
export function mqttDemo(o: { id: string; url: string; prefix: string; sink: CaptureSink; rate: number; seed: number }): BrokerDemo {
  const watched = watchRecording(o.sink);
  const connector = new MqttTapConnector({ id: o.id, url: o.url, topics: [`${o.prefix}/#`], protocolVersion: 5 }, watched.sink);
  const requestTopic = `${o.prefix}/thermostat/set`;
  const replyTopic = `${o.prefix}/app/replies`;
  const random = prng(o.seed);
  const clients: MqttClient[] = [];
  let timers: NodeJS.Timeout[] = [];
  let n = 0;
  let sensors: MqttClient | null = null;

  const client = async (name: string): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(o.url, { protocolVersion: 5, clientId: `${o.prefix}-${name}`, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };

  return {
    connector,
    async start() {
      await watched.recording;
      const service = await client('thermostat');
      await service.subscribeAsync(requestTopic, { qos: 1 });
      service.on('message', (_topic, payload, packet) => {
        const props = packet.properties;
        if (!props?.responseTopic) return;
        const asked = JSON.parse(payload.toString('utf8')) as { target: number };
        service.publish(props.responseTopic, JSON.stringify({ ok: true, target: asked.target }), {
          qos: 1,
          properties: { ...(props.correlationData ? { correlationData: props.correlationData } : {}), contentType: 'application/json' },
        });
      });
      const app = await client('app');
      await app.subscribeAsync(replyTopic, { qos: 1 });
      sensors = await client('sensors');
      sensors.publish(`${o.prefix}/status`, JSON.stringify({ online: true }), { qos: 1, retain: true });
      // A request a third of the rate, telemetry the rest; at least a few a second.
      const every = (per: number) => Math.max(50, Math.round(1000 / Math.max(1, per)));
      timers = [
        setInterval(() => {
          n += 1;
          app.publish(requestTopic, JSON.stringify({ target: 18 + Math.round(random() * 60) / 10 }), {
            qos: 1,
            properties: { responseTopic: replyTopic, correlationData: Buffer.from(`set-${n}`), contentType: 'application/json', messageExpiryInterval: 30 },
          });
        }, every(o.rate / 3)),
        setInterval(() => {
          const room = ROOMS[Math.floor(random() * ROOMS.length)]!;
          sensors?.publish(`${o.prefix}/sensors/${room}/temp`, (18 + random() * 6).toFixed(1), { qos: 0, properties: { userProperties: { unit: 'C' } } });
        }, every((o.rate * 2) / 3)),
      ];
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      timers = [];
      // An empty retained payload clears the status, so no demo leaves a retained message on the broker.
      await sensors?.publishAsync(`${o.prefix}/status`, '', { qos: 1, retain: true }).catch(() => undefined);
      // The replies to the last requests still arrive before the tap stops.
      await new Promise((r) => setTimeout(r, 200));
      await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
      clients.length = 0;
    },
  };
}
