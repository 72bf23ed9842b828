import { useState } from 'react';
import { endpointSpecSchema } from '../../../shared/specs.ts';
import { Dialog } from '../components/Dialog.tsx';
import { getClient } from '../api/client.ts';
import { app, updateEndpoint, upsertSession } from '../state/app.ts';
import { errorMessage } from '../lib/format.ts';
import { refreshSession } from '../lib/actions.ts';
import { MqttForm, MqttProxyForm, NatsForm, NatsProxyForm } from './connect-forms-pubsub.tsx';
import { AmqpForm, INITIAL, KafkaForm, toSpec, WsProxyForm, WsTapForm, type FormValues, type Kind } from './connect-forms.tsx';

const KINDS: { id: Kind; label: string }[] = [
  { id: 'kafka', label: 'Kafka' },
  { id: 'amqp', label: 'RabbitMQ' },
  { id: 'ws-proxy', label: 'WebSocket proxy' },
  { id: 'ws-tap', label: 'WebSocket tap' },
  { id: 'mqtt', label: 'MQTT' },
  { id: 'mqtt-proxy', label: 'MQTT proxy' },
  { id: 'nats', label: 'NATS' },
  { id: 'nats-proxy', label: 'NATS proxy' },
];

const NOUN: Record<string, string> = { brokers: 'broker', topics: 'topic or pattern', subjects: 'subject' };

/** The schema's words, made plain where they would read like a type error. */
function message(field: string, issue: { code: string; path: PropertyKey[]; message: string }): string {
  if (field === 'listenPort') return 'The port is a whole number from 0 to 65535 (0 picks a free one).';
  if (issue.code === 'too_small' && issue.path.length === 1) return `At least one ${NOUN[field] ?? 'entry'} is needed.`;
  return issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
}

/** Attach an endpoint: validated here with the engine's own schema, the engine's errors shown inline. */
export function ConnectDialog({ sessionId, onClose }: { sessionId: string | null; onClose(): void }) {
  const [kind, setKind] = useState<Kind>('kafka');
  const [v, setV] = useState<FormValues>(INITIAL);
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<FormValues>) => setV((old) => ({ ...old, ...patch }));

  const submit = async () => {
    const parsed = endpointSpecSchema.safeParse(toSpec(kind, v));
    if (!parsed.success) {
      const e: Record<string, string> = {};
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? 'form');
        e[field] ??= message(field, issue);
      }
      setErrors(e);
      return;
    }
    setErrors({});
    setFailure(null);
    setBusy(true);
    const client = getClient();
    let target = sessionId;
    try {
      if (!target) {
        const info = await client.call('renderer:session:new', {});
        upsertSession(info, true);
        target = info.id;
      }
      const ep = await client.call('renderer:endpoint:connect', { sessionId: target, spec: parsed.data });
      updateEndpoint(target, ep);
      await refreshSession(target);
      onClose();
    } catch (err) {
      setFailure(errorMessage(err));
      if (target) await refreshSession(target);
    } finally {
      setBusy(false);
    }
  };

  const target = sessionId ? app.get().sessions.find((s) => s.id === sessionId) : null;
  return (
    <Dialog
      title={target ? 'Connect an endpoint' : 'Record into a new session'}
      onClose={onClose}
      testid="connect-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="connect-form" className="btn primary" disabled={busy}>
            {busy ? 'Connecting…' : 'Connect and record'}
          </button>
        </>
      }
    >
      <div className="tabs" role="tablist" aria-label="Endpoint kind">
        {KINDS.map((k) => (
          <button
            key={k.id}
            type="button"
            role="tab"
            aria-selected={k.id === kind}
            onClick={() => {
              setKind(k.id);
              setErrors({});
              setFailure(null);
            }}
          >
            {k.label}
          </button>
        ))}
      </div>
      <form
        id="connect-form"
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {kind === 'kafka' && <KafkaForm v={v} set={set} errors={errors} />}
        {kind === 'amqp' && <AmqpForm v={v} set={set} errors={errors} />}
        {kind === 'ws-proxy' && <WsProxyForm v={v} set={set} errors={errors} />}
        {kind === 'ws-tap' && <WsTapForm v={v} set={set} errors={errors} />}
        {kind === 'mqtt' && <MqttForm v={v} set={set} errors={errors} />}
        {kind === 'mqtt-proxy' && <MqttProxyForm v={v} set={set} errors={errors} />}
        {kind === 'nats' && <NatsForm v={v} set={set} errors={errors} />}
        {kind === 'nats-proxy' && <NatsProxyForm v={v} set={set} errors={errors} />}
        {errors.form && <p className="inline-error">{errors.form}</p>}
        {failure && (
          <p className="inline-error" role="alert" data-testid="connect-error">
            {failure}
          </p>
        )}
      </form>
    </Dialog>
  );
}
