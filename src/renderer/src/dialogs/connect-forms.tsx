import type { EndpointSpec } from '../../../shared/specs.ts';
import { Field } from '../components/Dialog.tsx';

export type Kind = EndpointSpec['kind'];

/** Everything the forms hold, as typed (strings), so switching tabs keeps what was typed. */
export interface FormValues {
  brokers: string;
  topics: string;
  fromBeginning: boolean;
  amqpUrl: string;
  exchanges: string;
  queues: string;
  firehose: boolean;
  durableTap: boolean;
  managementUrl: string;
  listenPort: string;
  target: string;
  tapUrl: string;
  send: string;
  mqttUrl: string;
  mqttTopics: string;
  mqtt311: boolean;
  mqttProxyPort: string;
  mqttProxyTarget: string;
  natsUrl: string;
  subjects: string;
  jetstream: boolean;
  natsListenPort: string;
  natsTarget: string;
}

export const INITIAL: FormValues = {
  brokers: '127.0.0.1:9092',
  topics: '',
  fromBeginning: false,
  amqpUrl: 'amqp://guest:guest@127.0.0.1:5672/',
  exchanges: '',
  queues: '',
  firehose: true,
  durableTap: false,
  managementUrl: '',
  listenPort: '8081',
  target: 'ws://127.0.0.1:8080/',
  tapUrl: 'ws://127.0.0.1:8080/',
  send: '',
  mqttUrl: 'mqtt://127.0.0.1:1883',
  mqttTopics: '#',
  mqtt311: false,
  mqttProxyPort: '1884',
  mqttProxyTarget: 'mqtt://127.0.0.1:1883',
  natsUrl: 'nats://127.0.0.1:4222',
  subjects: '>',
  jetstream: false,
  natsListenPort: '14222',
  natsTarget: 'nats://127.0.0.1:4222',
};

const list = (s: string) =>
  s
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** The spec the engine receives; the zod schema then says what is wrong with it. */
export function toSpec(kind: Kind, v: FormValues): unknown {
  switch (kind) {
    case 'kafka':
      return { kind, brokers: list(v.brokers), topics: list(v.topics), ...(v.fromBeginning ? { fromBeginning: true } : {}) };
    case 'amqp': {
      const queues = list(v.queues);
      return {
        kind,
        url: v.amqpUrl.trim(),
        exchanges: list(v.exchanges),
        ...(queues.length ? { queues } : {}),
        ...(v.firehose ? { firehose: true } : {}),
        ...(v.durableTap ? { durableTap: true } : {}),
        ...(v.managementUrl.trim() ? { managementUrl: v.managementUrl.trim() } : {}),
      };
    }
    case 'ws-proxy':
      return { kind, listenPort: v.listenPort.trim() === '' ? NaN : Number(v.listenPort), target: v.target.trim() };
    case 'ws-tap': {
      const send = v.send
        .split('\n')
        .map((x) => x.trim())
        .filter(Boolean);
      return { kind, url: v.tapUrl.trim(), ...(send.length ? { send } : {}) };
    }
    case 'mqtt':
      return { kind, url: v.mqttUrl.trim(), topics: list(v.mqttTopics), ...(v.mqtt311 ? { protocolVersion: 4 } : {}) };
    case 'mqtt-proxy':
      return { kind, listenPort: v.mqttProxyPort.trim() === '' ? NaN : Number(v.mqttProxyPort), target: v.mqttProxyTarget.trim() };
    case 'nats':
      return { kind, url: v.natsUrl.trim(), subjects: list(v.subjects), ...(v.jetstream ? { jetstream: true } : {}) };
    case 'nats-proxy':
      return { kind, listenPort: v.natsListenPort.trim() === '' ? NaN : Number(v.natsListenPort), target: v.natsTarget.trim() };
  }
}

export type Errors = Record<string, string | undefined>;
export type Set = (patch: Partial<FormValues>) => void;

export function KafkaForm({ v, set, errors }: { v: FormValues; set: Set; errors: Errors }) {
  return (
    <>
      <Field label="Brokers" error={errors.brokers} hint="host:port, comma separated">
        <input value={v.brokers} onChange={(e) => set({ brokers: e.target.value })} placeholder="127.0.0.1:9092" autoFocus />
      </Field>
      <Field label="Topics or patterns" error={errors.topics} hint="comma separated; /regex/ for a pattern, e.g. /orders\..*/">
        <input value={v.topics} onChange={(e) => set({ topics: e.target.value })} placeholder="orders, /payments\..*/" />
      </Field>
      <div className="check-group">
        <label className="check">
          <input type="checkbox" checked={v.fromBeginning} onChange={(e) => set({ fromBeginning: e.target.checked })} />
          Read from the beginning (otherwise only new records)
        </label>
        <p className="field-hint">Flowscope reads without joining or committing for any consumer group.</p>
      </div>
    </>
  );
}

export function AmqpForm({ v, set, errors }: { v: FormValues; set: Set; errors: Errors }) {
  return (
    <>
      <Field label="URL" error={errors.url} hint="amqp:// or amqps://, with user, password and vhost">
        <input value={v.amqpUrl} onChange={(e) => set({ amqpUrl: e.target.value })} autoFocus />
      </Field>
      <Field label="Exchanges to tap" error={errors.exchanges} hint="comma separated; every message published to them is recorded">
        <input value={v.exchanges} onChange={(e) => set({ exchanges: e.target.value })} placeholder="orders, events" />
      </Field>
      <Field label="Queues to consume (optional)" error={errors.queues} hint="Flowscope consumes these itself: only for queues nobody else reads">
        <input value={v.queues} onChange={(e) => set({ queues: e.target.value })} />
      </Field>
      <div className="check-group">
        <label className="check">
          <input type="checkbox" checked={v.firehose} onChange={(e) => set({ firehose: e.target.checked })} />
          Use the firehose tracer for delivery facts (routed queues, deliveries)
        </label>
        <p className="field-hint">
          Enable it on the broker first: <code>rabbitmqctl trace_on</code> (add <code>-p VHOST</code> for another vhost)
        </p>
        <label className="check">
          <input type="checkbox" checked={v.durableTap} onChange={(e) => set({ durableTap: e.target.checked })} />
          Keep the tap queue through a dropped connection (durable tap)
        </label>
        <p className="field-hint">
          Nothing published while Flowscope reconnects is lost. The cost: while Flowscope is away the queue keeps
          filling on the broker (up to a million messages; the broker deletes it after 30 minutes without Flowscope).
          Stopping the recording deletes it. Without it, a reconnect is recorded as a gap.
        </p>
      </div>
      <Field
        label="Management URL (optional)"
        error={errors.managementUrl}
        hint="for exchange types, bindings and queue arguments (dead-letter exchanges, TTL, limits); left empty, the broker's host on port 15672 is tried"
      >
        <input value={v.managementUrl} onChange={(e) => set({ managementUrl: e.target.value })} placeholder="http://127.0.0.1:15672" />
      </Field>
    </>
  );
}

export function WsProxyForm({ v, set, errors }: { v: FormValues; set: Set; errors: Errors }) {
  return (
    <>
      <Field label="Listen port" error={errors.listenPort} hint="Point your client at ws://127.0.0.1:PORT instead of the server">
        <input inputMode="numeric" value={v.listenPort} onChange={(e) => set({ listenPort: e.target.value })} autoFocus />
      </Field>
      <Field label="Target URL" error={errors.target} hint="the real server, ws:// or wss://">
        <input value={v.target} onChange={(e) => set({ target: e.target.value })} />
      </Field>
    </>
  );
}

export function WsTapForm({ v, set, errors }: { v: FormValues; set: Set; errors: Errors }) {
  return (
    <>
      <Field label="URL" error={errors.url} hint="Flowscope connects as a client and records what it receives">
        <input value={v.tapUrl} onChange={(e) => set({ tapUrl: e.target.value })} autoFocus />
      </Field>
      <Field label="Messages to send after connecting (optional)" error={errors.send} hint="one per line, e.g. a subscribe request">
        <textarea rows={3} value={v.send} onChange={(e) => set({ send: e.target.value })} placeholder='{"op":"subscribe","channel":"prices"}' />
      </Field>
    </>
  );
}
