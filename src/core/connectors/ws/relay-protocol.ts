/** Messages between the recording thread (proxy-thread.ts) and the proxy's thread (relay-worker.ts). */
import type { CapturedMessage, EndpointStatus } from '../../../shared/model.ts';
import type { MqttProxyOptions } from '../mqtt/proxy.ts';
import type { WsProxyOptions } from './proxy.ts';

/** Which proxy the relay thread runs (its workerData). */
export type RelayData = { kind: 'ws'; opts: WsProxyOptions } | { kind: 'mqtt'; opts: MqttProxyOptions };

export type FromRelay =
  | { type: 'started'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'status'; status: EndpointStatus; detail?: string }
  /** Captured messages with empty payloads; message i's bytes are `bytes[spans[2i], +spans[2i+1]]`. */
  | { type: 'batch'; messages: CapturedMessage[]; spans: number[]; bytes: ArrayBuffer; cost: number }
  | { type: 'stopped' };

export type ToRelay = { type: 'ack'; bytes: number } | { type: 'stop' };
