/**
 * The recording proxy's own thread (issue 12): the sockets of every proxied connection live
 * here, so a frame is relayed as soon as it arrives, whatever the recording thread is doing
 * (a SQLite flush or the analysis of a batch used to hold every frame in flight). What the
 * proxy captures goes to the recording thread in batches, payloads packed into one
 * transferred buffer; the recording thread acknowledges each batch, and past a high-water
 * mark of unacknowledged bytes the proxy stops reading, so memory stays bounded and nothing
 * is dropped. Protocol: proxy-thread.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CapturedMessage, EndpointStatus } from '../../../shared/model.ts';
import { WS_RECORD_HIGH_WATER, WS_RECORD_LOW_WATER } from '../../common/constants.ts';
import { errorText } from '../../common/errors.ts';
import { MqttProxyConnector } from '../mqtt/proxy.ts';
import { WsProxyConnector } from './proxy.ts';
import type { FromRelay, RelayData, ToRelay } from './relay-protocol.ts';

const port = parentPort!;
const post = (m: FromRelay, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

let batch: CapturedMessage[] = [];
let batchBytes = 0;
let scheduled = false;
let unacked = 0;
let holding = false;

/** Sends what was captured since the last send: after the current burst of reads. */
function send(): void {
  scheduled = false;
  if (batch.length === 0) return;
  const packed = new Uint8Array(batchBytes);
  const spans: number[] = [];
  let at = 0;
  for (const m of batch) {
    packed.set(m.payload, at);
    spans.push(at, m.payload.byteLength);
    at += m.payload.byteLength;
  }
  const messages = batch.map((m) => ({ ...m, payload: new Uint8Array(0) }));
  // A message's cost: its payload plus a rough size of its other fields.
  const cost = batchBytes + batch.length * 256;
  unacked += cost;
  batch = [];
  batchBytes = 0;
  post({ type: 'batch', messages, spans, bytes: packed.buffer as ArrayBuffer, cost }, [packed.buffer as ArrayBuffer]);
  if (!holding && unacked > WS_RECORD_HIGH_WATER) {
    holding = true;
    proxy.holdReading();
  }
}

const sink = {
  message: (m: CapturedMessage) => {
    batch.push(m);
    batchBytes += m.payload.byteLength;
    if (!scheduled) {
      scheduled = true;
      setImmediate(send);
    }
  },
  status: (status: EndpointStatus, detail?: string) => {
    send();
    post({ type: 'status', status, ...(detail !== undefined ? { detail } : {}) });
  },
};
// The WebSocket proxy and the MQTT proxy (issue 16) relay on this thread alike.
const data = workerData as RelayData;
const proxy = data.kind === 'mqtt' ? new MqttProxyConnector(data.opts, sink) : new WsProxyConnector(data.opts, sink);

port.on('message', (m: ToRelay) => {
  if (m.type === 'ack') {
    unacked -= m.bytes;
    if (holding && unacked <= WS_RECORD_LOW_WATER) {
      holding = false;
      proxy.releaseReading();
    }
  } else if (m.type === 'stop') {
    // Reading resumes so every leg can read its closing handshake.
    if (holding) proxy.releaseReading();
    holding = false;
    void proxy.stop().then(() => {
      send();
      post({ type: 'stopped' });
    });
  }
});

proxy.start().then(
  () => post({ type: 'started', port: proxy.port }),
  (err: unknown) => post({ type: 'failed', message: errorText(err) }),
);
