import { Field } from '../components/Dialog.tsx';
import type { Errors, FormValues, Set } from './connect-forms.tsx';

export function MqttForm({ v, set, errors }: { v: FormValues; set: Set; errors: Errors }) {
  return (
    <>
      <Field label="URL" error={errors.url} hint="mqtt://, mqtts://, ws:// or wss://, with user and password if the broker wants them">
        <input value={v.mqttUrl} onChange={(e) => set({ mqttUrl: e.target.value })} autoFocus />
      </Field>
      <Field label="Topic filters" error={errors.topics} hint="comma separated; + for one level, # for the rest, e.g. sensors/+/temp, rpc/#">
        <input value={v.mqttTopics} onChange={(e) => set({ mqttTopics: e.target.value })} placeholder="#" />
      </Field>
      <div className="check-group">
        <label className="check">
          <input type="checkbox" checked={v.mqtt311} onChange={(e) => set({ mqtt311: e.target.checked })} />
          Connect with MQTT 3.1.1 (otherwise MQTT 5, which carries user properties, response topic and correlation data)
        </label>
        <p className="field-hint">Flowscope subscribes like any other client; what it sees is what the broker forwards on these filters.</p>
      </div>
    </>
  );
}

export function MqttProxyForm({ v, set, errors }: { v: FormValues; set: Set; errors: Errors }) {
  return (
    <>
      <Field label="Listen port" error={errors.listenPort} hint="Point your MQTT clients at mqtt://127.0.0.1:PORT instead of the broker">
        <input inputMode="numeric" value={v.mqttProxyPort} onChange={(e) => set({ mqttProxyPort: e.target.value })} autoFocus />
      </Field>
      <Field label="Broker URL" error={errors.target} hint="the real broker, mqtt:// or mqtts://; clients' own user names and passwords pass through">
        <input value={v.mqttProxyTarget} onChange={(e) => set({ mqttProxyTarget: e.target.value })} />
      </Field>
      <p className="field-hint">
        Unlike a tap, the proxy sees each client by its client id: who publishes, who subscribes to what, and the
        broker&apos;s acknowledgements with their reason codes (MQTT 5 &quot;No matching subscribers&quot;). MQTT 3.1.1
        and 5 over TCP.
      </p>
    </>
  );
}

export function NatsForm({ v, set, errors }: { v: FormValues; set: Set; errors: Errors }) {
  return (
    <>
      <Field label="URL" error={errors.url} hint="nats:// or tls://, with user:password@ or token@ if the server wants them">
        <input value={v.natsUrl} onChange={(e) => set({ natsUrl: e.target.value })} autoFocus />
      </Field>
      <Field label="Subjects" error={errors.subjects} hint="comma separated; * for one token, > for the rest; add _INBOX.> to see replies">
        <input value={v.subjects} onChange={(e) => set({ subjects: e.target.value })} placeholder="orders.>, _INBOX.>" />
      </Field>
      <div className="check-group">
        <label className="check">
          <input type="checkbox" checked={v.jetstream} onChange={(e) => set({ jetstream: e.target.checked })} />
          JetStream: list streams and consumers, record acks and the advisories of messages it gave up on (max deliveries, terminated)
        </label>
      </div>
    </>
  );
}

export function NatsProxyForm({ v, set, errors }: { v: FormValues; set: Set; errors: Errors }) {
  return (
    <>
      <Field label="Listen port" error={errors.listenPort} hint="Point your clients at nats://127.0.0.1:PORT instead of the server">
        <input inputMode="numeric" value={v.natsListenPort} onChange={(e) => set({ natsListenPort: e.target.value })} autoFocus />
      </Field>
      <Field label="Server URL" error={errors.target} hint="the real server, nats://host:4222; the proxy sees what a tap cannot, such as a request's 503 no responders">
        <input value={v.natsTarget} onChange={(e) => set({ natsTarget: e.target.value })} />
      </Field>
    </>
  );
}
