/** Messages between the recording thread (proxy-thread.ts) and the proxy's thread (relay-worker.ts). */
import type { EndpointStatus } from '../../../shared/model.ts';
import type { RelayBatch } from './relay-batch.ts';
import type { MqttProxyOptions } from '../mqtt/proxy.ts';
import type { WsProxyOptions } from './proxy.ts';

/** Which proxy the relay thread runs (its workerData). */
export type RelayData = { kind: 'ws'; opts: WsProxyOptions } | { kind: 'mqtt'; opts: MqttProxyOptions };

export type FromRelay =
  | { type: 'started'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'status'; status: EndpointStatus; detail?: string }
  /** Captured messages packed into one transferred buffer (relay-batch.ts); `cost` is what the ack gives back. */
  | { type: 'batch'; batch: RelayBatch; cost: number }
  | { type: 'stopped' };

export type ToRelay = { type: 'ack'; bytes: number } | { type: 'stop' };
