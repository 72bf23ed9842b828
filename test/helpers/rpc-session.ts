import type { CapturedMessage } from '../../src/shared/model.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';

export interface RpcSessionTruth {
  messages: number;
  requests: number;
  matched: number;
  unanswered: number;
  /** Every reply comes this long after its request. */
  latencyMs: number;
}

const enc = new TextEncoder();

/**
 * Writes a saved Kafka request/reply session whose answers are known: `requests` calls on
 * `rpc.requests` (header correlation-id, reply-to rpc.replies), one a millisecond, each
 * answered on `rpc.replies` `lag` requests later, except every `skipEvery`-th, which is
 * never answered. Messages are written as a connector and the enricher store them.
 */
export function writeRpcSession(file: string, opts: { requests: number; lag?: number; skipEvery?: number }): RpcSessionTruth {
  const { requests } = opts;
  const lag = opts.lag ?? 4;
  const skipEvery = opts.skipEvery ?? 50;
  const latencyMs = lag + 0.5;
  const base = Date.now() - requests - 60_000;
  const store = SessionStore.create(file, { flowscope_version: 'test' });
  const offsets = [0, 0];
  let batch: CapturedMessage[] = [];
  let messages = 0;
  let unanswered = 0;
  const record = (topic: 0 | 1, time: number, id: number, headers: Record<string, string>): void => {
    const destination = topic === 0 ? 'rpc.requests' : 'rpc.replies';
    batch.push({
      time,
      brokerTime: time,
      transport: 'kafka',
      endpoint: 'kafka-1',
      event: 'publish',
      destKind: 'topic',
      destination,
      partition: 0,
      offset: String(offsets[topic]!++),
      key: enc.encode(`k${id % 100}`),
      headers,
      payload: enc.encode(topic === 0 ? `{"op":"quote","n":${id}}` : `{"ok":true,"n":${id}}`),
      correlationId: `c${id}`,
      replyTo: topic === 0 ? 'rpc.replies' : null,
      meta: { timestampType: 'CreateTime' },
    });
    messages += 1;
    if (batch.length >= 10_000) {
      store.insertBatch(batch);
      batch = [];
    }
  };
  const reply = (j: number): void => {
    if (j % skipEvery === skipEvery - 1) return;
    record(1, base + j + latencyMs, j, { 'correlation-id': `c${j}` });
  };
  for (let i = 0; i < requests; i++) {
    record(0, base + i, i, { 'correlation-id': `c${i}`, 'reply-to': 'rpc.replies' });
    if (i % skipEvery === skipEvery - 1) unanswered += 1;
    if (i >= lag) reply(i - lag);
  }
  for (let j = Math.max(0, requests - lag); j < requests; j++) reply(j);
  if (batch.length) store.insertBatch(batch);
  store.close();
  return { messages, requests, matched: requests - unanswered, unanswered, latencyMs };
}
