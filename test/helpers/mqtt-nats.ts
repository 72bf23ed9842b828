import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import type { EndpointState } from '../../src/core/engine/recorder.ts';
import type { Connector, CaptureSink } from '../../src/core/connectors/types.ts';
import { createEnricher } from '../../src/core/analysis/correlation.ts';
import { tmpDir, waitFor } from './tmp.ts';

const run = promisify(execFile);

export const MQTT_URL = `mqtt://${process.env.MQTT_HOST ?? '127.0.0.1'}:${process.env.MQTT_PORT ?? 1883}`;
export const NATS_HOST = process.env.NATS_HOST ?? '127.0.0.1';
export const NATS_PORT = Number(process.env.NATS_PORT ?? 4222);
export const NATS_URL = `nats://${NATS_HOST}:${NATS_PORT}`;

/** A topic or subject prefix no other run uses. */
export function runPrefix(): string {
  return `fsbrokers${randomBytes(4).toString('hex')}`;
}

/** Debian's mosquitto_pub (mosquitto-clients): a client Flowscope does not share code with. */
export async function mosquittoPub(args: string[], input?: Buffer): Promise<void> {
  const host = new URL(MQTT_URL);
  const child = run('mosquitto_pub', ['-h', host.hostname, '-p', host.port, ...args]);
  if (input) {
    child.child.stdin!.end(input);
  }
  await child;
}

export interface TapRecording {
  store: SessionStore;
  recorder: Recorder;
  states: EndpointState[];
  /** Flushes and counts what is stored. */
  stored(filter?: Parameters<SessionStore['count']>[0]): number;
  close(): Promise<void>;
}

/** A session with one connector, started and recording (its subscriptions in place). */
export async function tapRecording(make: (sink: CaptureSink) => Connector): Promise<TapRecording> {
  const store = SessionStore.create(path.join(tmpDir(), 'tap.flowscope'));
  const states: EndpointState[] = [];
  const recorder = new Recorder(store, { flushMs: 50, enrich: createEnricher(), onStatus: (s) => states.push(s) });
  const connector = make(recorder.sink('tap'));
  await recorder.add(connector);
  await waitFor('the tap recording', () => states.at(-1)?.status === 'recording', 15_000);
  return {
    store,
    recorder,
    states,
    stored: (filter = {}) => {
      recorder.flush();
      return store.count(filter);
    },
    close: async () => {
      await recorder.stop();
      store.close();
    },
  };
}
