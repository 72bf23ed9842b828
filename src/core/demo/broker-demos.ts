import type { EndpointView } from '../../shared/views.ts';
import type { JsonValue } from '../../shared/model.ts';
import { hidePassword } from '../common/redact.ts';
import type { DemoRecorder } from './index.ts';
import { answers, demoPrefix, skippedLine, type BrokerDemo } from './brokers.ts';
import { mqttDemo } from './mqtt.ts';
import { natsDemo } from './nats.ts';

/**
 * Registers an endpoint of the demo's session and returns the recorder that records it;
 * `config` is stored with the endpoint (where it records from, as an AsyncAPI export's server).
 */
export type RegisterEndpoint = (id: string, transport: EndpointView['transport'], label: string, config?: Record<string, JsonValue>) => DemoRecorder;

interface Running {
  recorder: DemoRecorder;
  id: string;
  demo: BrokerDemo;
}

const KINDS = {
  mqtt: { name: 'MQTT', port: 1883, label: 'Demo: MQTT 5 request/response and telemetry', make: mqttDemo },
  nats: { name: 'NATS', port: 4222, label: 'Demo: NATS request/reply and published orders', make: natsDemo },
} as const;

/**
 * The demo's MQTT and NATS parts, each where its broker answers: a broker that does not is
 * one line to the user and nothing else, so the WebSocket demo runs as it always did.
 * Resolves with a stop function once every part that could start has started.
 */
export async function startBrokerDemos(o: {
  register: RegisterEndpoint;
  urls: { mqtt?: string | null; nats?: string | null };
  rate: number;
  seed: number;
  note: (line: string) => void;
}): Promise<() => Promise<void>> {
  const prefix = demoPrefix();
  const started = await Promise.all(
    (Object.keys(KINDS) as (keyof typeof KINDS)[]).map(async (kind): Promise<Running | null> => {
      const url = o.urls[kind];
      if (!url) return null;
      const k = KINDS[kind];
      if (!(await answers(url, k.port))) {
        o.note(skippedLine(k.name, url));
        return null;
      }
      const id = `demo-${kind}`;
      const recorder = o.register(id, kind, k.label, { kind: `${kind}-demo`, url: hidePassword(url) });
      const demo = k.make({ id, url, prefix, sink: recorder.sink(id), rate: o.rate, seed: o.seed });
      try {
        await recorder.add(demo.connector);
        await demo.start();
        return { recorder, id, demo };
      } catch (err) {
        // Something answered the port but not as the broker: say so, and leave it out.
        await demo.stop().catch(() => undefined);
        await recorder.remove(id).catch(() => undefined);
        o.note(`${k.name} demo traffic skipped: ${(err as Error).message}`);
        return null;
      }
    }),
  );
  const running = started.filter((r): r is Running => r !== null);
  return async () => {
    await Promise.all(
      running.map(async (r) => {
        await r.demo.stop();
        await r.recorder.remove(r.id);
      }),
    );
  };
}
