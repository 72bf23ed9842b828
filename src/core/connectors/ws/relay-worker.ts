/**
 * The recording proxy's own thread (issue 12): the sockets of every proxied connection live
 * here, so a frame is relayed as soon as it arrives, whatever the recording thread is doing
 * (a SQLite flush or the analysis of a batch used to hold every frame in flight). What the
 * proxy captures goes to the recording thread in batches, each packed into one transferred
 * buffer (relay-batch.ts); the recording thread acknowledges each batch, and past a high-water
 * mark of unacknowledged bytes the proxy stops reading, so memory stays bounded and nothing
 * is dropped. Protocol: proxy-thread.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CapturedMessage, EndpointStatus } from '../../../shared/model.ts';
import { RELAY_BATCH_BYTES, RELAY_BATCH_MS, WS_RECORD_HIGH_WATER, WS_RECORD_LOW_WATER } from '../../common/constants.ts';
import { errorText } from '../../common/errors.ts';
import { MqttProxyConnector } from '../mqtt/proxy.ts';
import { WsProxyConnector } from './proxy.ts';
import type { FromRelay, RelayData, ToRelay } from './relay-protocol.ts';
import { RelayBatchBuilder } from './relay-batch.ts';

const port = parentPort!;
const post = (m: FromRelay, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

const batch = new RelayBatchBuilder();
let timer: NodeJS.Timeout | null = null;
let immediate = false;
let unacked = 0;
let holding = false;

/**
 * Sends what was captured since the last send. A batch waits up to RELAY_BATCH_MS, so a busy
 * connection sends a few hundred messages per batch rather than the few of one read: each
 * batch costs both threads a message and an acknowledgement. Relaying never waits for it.
 */
function send(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  immediate = false;
  const taken = batch.take();
  if (!taken) return;
  unacked += taken.cost;
  post({ type: 'batch', batch: taken.batch, cost: taken.cost }, [taken.batch.buffer]);
  if (!holding && unacked > WS_RECORD_HIGH_WATER) {
    holding = true;
    proxy.holdReading();
  }
}

const sink = {
  message: (m: CapturedMessage) => {
    batch.add(m);
    if (batch.cost >= RELAY_BATCH_BYTES) {
      // A large batch goes after the current burst of reads, not frame by frame.
      if (!immediate) setImmediate(send);
      immediate = true;
    } else if (!timer) {
      timer = setTimeout(send, RELAY_BATCH_MS);
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
