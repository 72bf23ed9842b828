import { useEffect, useState, type ReactNode } from 'react';
import type { EventTimeSource, JsonValue, MessageDetail } from '../../../shared/model.ts';
import { useApi } from '../lib/use-api.ts';
import { closeDetail, selectMessage, setFilter } from '../state/app.ts';
import { formatBytes, formatDateTime, formatMs } from '../lib/format.ts';
import { EventBadge, TransportBadge } from '../components/badges.tsx';
import { KeyValueTable } from './KeyValueTable.tsx';
import { PayloadView } from './PayloadView.tsx';
import { visible } from '../components/Visible.tsx';
import { CloseIcon } from '../components/icons.tsx';

/** How soon the pane asks again for a message whose schema is being fetched. */
const PENDING_RETRY_MS = 300;

/** Everything about one message: facts, payload, headers/properties, related messages. */
export function DetailPane({ sessionId, seq }: { sessionId: string; seq: number }) {
  // A schema still on its way from the Schema Registry: ask again shortly (the fetch is bounded
  // by its time limit, after which the answer is decoded or a reason, never pending).
  const [again, setAgain] = useState(0);
  const { data, error, loading } = useApi('renderer:messages:get', { sessionId, seq }, again, true);
  const pending = data?.decoded?.pending === true && !loading;
  useEffect(() => {
    if (!pending) return;
    const t = setTimeout(() => setAgain((n) => n + 1), PENDING_RETRY_MS);
    return () => clearTimeout(t);
  }, [pending, again]);
  return (
    <aside className="detail" aria-label={`Message ${seq}`} data-testid="detail-pane">
      <header className="detail-head">
        <h2>
          Message #{seq}
          {data && (
            <>
              {' '}
              <TransportBadge transport={data.transport} /> <EventBadge event={data.event} />
              {data.transport === 'mqtt' && data.meta?.retain === true && (
                <>
                  {' '}
                  <span className="badge retained" data-testid="retained-badge">
                    retained
                  </span>
                </>
              )}
            </>
          )}
        </h2>
        <button type="button" className="icon-btn" aria-label="Close detail" title="Close (Esc)" onClick={closeDetail}>
          <CloseIcon />
        </button>
      </header>
      <div className="detail-body">
        {error && <p className="inline-error">{error}</p>}
        {!data && !error && loading && <p className="muted">Loading…</p>}
        {data === null && !loading && <p className="muted">This message is not in the session (or not yet reached by playback).</p>}
        {data && <DetailContent d={data} />}
      </div>
    </aside>
  );
}

function meta(d: MessageDetail, k: string): JsonValue | undefined {
  return d.meta?.[k];
}

/** Which clock the event time was read from, in words. */
const EVENT_SOURCE: Record<EventTimeSource, string> = {
  'kafka-create': 'Kafka CreateTime, set by the producer',
  'kafka-log-append': 'Kafka LogAppendTime, set by the broker',
  'kafka-unknown': 'Kafka record timestamp',
  'amqp-timestamp': 'AMQP timestamp',
  capture: 'capture time',
};

/** Both clocks: when it happened (what pairing and the timeline use) and when Flowscope saw it. */
function timeFacts(d: MessageDetail): [string, ReactNode][] {
  const lag = d.time - d.eventTime;
  const facts: [string, ReactNode][] = [
    ['Event time', <span data-testid="event-time">{formatDateTime(d.eventTime)} <span className="muted">({EVENT_SOURCE[d.eventTimeSource] ?? d.eventTimeSource})</span></span>],
    [
      'Captured',
      <span data-testid="capture-time">
        {formatDateTime(d.time)}
        {d.eventTimeSource !== 'capture' && <span className="muted"> ({lag >= 0 ? `${formatMs(lag)} after the event` : `${formatMs(-lag)} before the event`})</span>}
      </span>,
    ],
  ];
  // A stamp the event time did not take (an AMQP timestamp that agreed with the capture).
  if (d.brokerTime !== null && d.brokerTime !== d.eventTime) facts.push(['Broker time', formatDateTime(d.brokerTime)]);
  return facts;
}

/** MQTT: QoS, the retain and DUP flags, and an acknowledgement's reason code. */
function mqttFacts(d: MessageDetail): [string, ReactNode][] {
  const facts: [string, ReactNode][] = [];
  const qos = meta(d, 'qos');
  if (typeof qos === 'number' && (d.event === 'publish' || d.event === 'deliver')) facts.push(['QoS', String(qos)]);
  if (meta(d, 'retain') === true) {
    facts.push([
      'Retained',
      d.event === 'deliver' ? 'yes: the broker’s retained copy, sent as the client subscribed' : 'yes: the broker keeps it for clients that subscribe later',
    ]);
  }
  if (meta(d, 'dup') === true) facts.push(['Duplicate', 'yes: a resend of a QoS 1/2 publish (DUP flag)']);
  const reason = meta(d, 'reason');
  if (typeof reason === 'string') facts.push(['Reason code', reason]);
  return facts;
}

function DetailContent({ d }: { d: MessageDetail }) {
  const facts: [string, ReactNode][] = [
    ...timeFacts(d),
    ['Destination', visible(`${d.destKind} ${d.destination}`)],
    ['Size', formatBytes(d.size)],
    ['Endpoint', visible(d.endpoint)],
  ];
  if (d.partition !== null) facts.push(['Partition / offset', `${d.partition} / ${d.offset ?? '?'}`]);
  if (d.routingKey !== null) facts.push(['Routing key', d.routingKey ? visible(d.routingKey) : '(empty)']);
  const exchange = meta(d, 'exchange');
  if (exchange !== undefined) facts.push(['Exchange', String(exchange) ? visible(String(exchange)) : '(default)']);
  const redelivered = meta(d, 'redelivered');
  if (redelivered !== undefined) facts.push(['Redelivered', redelivered ? 'yes' : 'no']);
  const routed = meta(d, 'routedQueues');
  if (Array.isArray(routed)) facts.push(['Routed to queues', routed.length ? visible(routed.join(', ')) : <span className="danger">none (unroutable)</span>]);
  if (d.transport === 'mqtt') facts.push(...mqttFacts(d));
  if (d.key !== null) facts.push(['Key', visible(d.key)]);
  if (d.connection !== null) facts.push([d.transport === 'mqtt' ? 'Client ID' : 'Connection', visible(d.connection)]);
  if (d.messageId !== null) facts.push(['Message ID', visible(d.messageId)]);
  if (d.replyTo !== null) facts.push(['Reply to', visible(d.replyTo)]);
  if (d.correlationId !== null) {
    facts.push([
      'Correlation ID',
      <button type="button" className="link" title="Show every message with this correlation ID" onClick={() => setFilter({ correlationId: d.correlationId! })}>
        {visible(d.correlationId)}
      </button>,
    ]);
  }
  return (
    <>
      <dl className="facts">
        {facts.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {d.related.length > 0 && (
        <section className="related">
          <h3>Related messages (same correlation ID)</h3>
          <ul>
            {d.related.map((r) => (
              <li key={r.seq}>
                <button type="button" className="link" onClick={() => selectMessage(r.seq, true)} data-testid="related-link">
                  #{r.seq}
                </button>{' '}
                <EventBadge event={r.event} /> {visible(r.destination)}{' '}
                <span className="muted">{r.time >= d.time ? `+${formatMs(r.time - d.time)}` : `−${formatMs(d.time - r.time)}`}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <PayloadView key={d.seq} detail={d} />
      <KeyValueTable title="Headers" data={d.headers} />
      <KeyValueTable title="Properties" data={d.properties} />
      <KeyValueTable title="Meta" data={d.meta} />
    </>
  );
}
