/** Shared pieces of the replay integration tests (not a test file itself). */
import path from 'node:path';
import crypto from 'node:crypto';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder, type EndpointState } from '../../src/core/engine/recorder.ts';
import type { Connector, CaptureSink } from '../../src/core/connectors/types.ts';
import type { StoredMessage } from '../../src/shared/model.ts';
import { waitFor } from '../helpers/tmp.ts';

export interface Recording {
  store: SessionStore;
  recorder: Recorder;
  connector: Connector;
  stop(): Promise<void>;
}

/** Starts recording one endpoint into a new session file and waits until it records. */
export async function startRecording(
  dir: string,
  name: string,
  make: (id: string, sink: CaptureSink) => Connector,
): Promise<Recording> {
  const store = SessionStore.create(path.join(dir, `${name}.flowscope`));
  const states: EndpointState[] = [];
  const recorder = new Recorder(store, { flushMs: 50, onStatus: (s) => states.push(s) });
  const connector = make(name, recorder.sink(name));
  await recorder.add(connector);
  await waitFor(`${name} to record`, () => states.some((s) => s.status === 'recording'), 60_000);
  let stopped = false;
  return {
    store,
    recorder,
    connector,
    async stop() {
      if (stopped) return;
      stopped = true;
      await recorder.stop();
    },
  };
}

export const hex = (b: Uint8Array | null | undefined): string | null => (b ? Buffer.from(b).toString('hex') : null);
export const sha = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

/** What must survive a Kafka replay, per partition in offset order. */
export function kafkaByPartition(msgs: StoredMessage[]): Map<number, unknown[]> {
  const out = new Map<number, unknown[]>();
  const sorted = [...msgs].sort((a, b) => a.partition! - b.partition! || Number(BigInt(a.offset!) - BigInt(b.offset!)));
  for (const m of sorted) {
    const list = out.get(m.partition!) ?? [];
    list.push({ key: hex(m.key), headers: m.headers ?? null, payload: sha(m.payload), tombstone: m.meta?.tombstone === true });
    out.set(m.partition!, list);
  }
  return out;
}

/** What must survive an AMQP replay, in order: routing key, properties, headers, bytes. */
export function amqpFacts(m: StoredMessage) {
  return {
    routingKey: m.routingKey,
    properties: m.properties,
    headers: m.headers,
    correlationId: m.correlationId,
    replyTo: m.replyTo,
    messageId: m.messageId,
    payload: hex(m.payload),
  };
}

/** Client → server frames of each recorded connection, keyed by path, in order. */
export function wsFramesByPath(msgs: StoredMessage[]): Map<string, { opcode: unknown; sha: string; size: number }[]> {
  const out = new Map<string, { opcode: unknown; sha: string; size: number }[]>();
  for (const m of msgs) {
    if (m.event !== 'frame-out') continue;
    const list = out.get(m.destination) ?? [];
    list.push({ opcode: m.meta?.opcode, sha: sha(m.payload), size: m.payload.byteLength });
    out.set(m.destination, list);
  }
  return out;
}

export function rate(count: number, ms: number): string {
  return `${Math.round((count / Math.max(ms, 1)) * 1000)} msgs/s`;
}
