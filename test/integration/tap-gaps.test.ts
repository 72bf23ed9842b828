import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { MqttTapConnector } from '../../src/core/connectors/mqtt/tap.ts';
import { NatsTapConnector } from '../../src/core/connectors/nats/tap.ts';
import { MQTT_URL, NATS_HOST, NATS_PORT, mosquittoPub, RawNats, runPrefix, tapRecording } from '../helpers/mqtt-nats.ts';
import { waitFor } from '../helpers/tmp.ts';

/**
 * A TCP relay in front of the real broker that the test can cut, as a dropped network
 * would: the taps reconnect through it, and nobody else's connection to the shared broker
 * is touched.
 */
async function cuttableLink(host: string, port: number): Promise<{ port: number; cut: () => void; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const brokerPort = Number(new URL(MQTT_URL).port || 1883);
const brokerHost = new URL(MQTT_URL).hostname;

for (const kind of ['mqtt', 'nats'] as const) {
  test(`${kind.toUpperCase()} tap: a dropped connection is recorded as a gap from the loss to the resubscription, and recording goes on`, async (t) => {
    const p = runPrefix();
    const link = kind === 'mqtt' ? await cuttableLink(brokerHost, brokerPort) : await cuttableLink(NATS_HOST, NATS_PORT);
    t.after(() => link.close());
    const rec = await tapRecording((sink) =>
      kind === 'mqtt'
        ? new MqttTapConnector({ id: 'tap', url: `mqtt://127.0.0.1:${link.port}`, topics: [`${p}/#`], minBackoffMs: 100, maxBackoffMs: 300 }, sink)
        : new NatsTapConnector({ id: 'tap', url: `nats://127.0.0.1:${link.port}`, subjects: [`${p}.>`], minBackoffMs: 100, maxBackoffMs: 300 }, sink),
    );
    t.after(() => rec.close());
    const nats = kind === 'nats' ? await RawNats.connect() : null;
    t.after(() => nats?.close());
    const publish = async (n: number): Promise<void> => {
      if (nats) {
        nats.pub(`${p}.ticks`, `tick ${n}`);
        await nats.ping();
      } else await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/ticks`, '-m', `tick ${n}`, '-q', '1']);
    };

    await publish(1);
    await waitFor('the first message', () => rec.stored() === 1);
    const cutAt = Date.now();
    link.cut();
    await waitFor('reconnecting', () => rec.states.some((s) => s.status === 'reconnecting'));
    const recordingAgain = () => rec.states.at(-1)?.status === 'recording' && rec.states.some((s) => s.status === 'reconnecting');
    await waitFor('recording again', recordingAgain, 15_000);
    const backAt = Date.now();
    await publish(2);
    await waitFor('the message after the reconnect', () => rec.stored() === 2);
    await rec.recorder.stop();

    const gaps = rec.store.gaps();
    assert.equal(gaps.length, 1, 'one gap for the one drop');
    const [gap] = gaps as [(typeof gaps)[0]];
    assert.equal(gap.endpoint, 'tap');
    assert.equal(gap.reason, 'disconnected');
    assert.equal(gap.lost, null, 'nobody can know how many messages were missed');
    assert.ok(gap.start >= cutAt - 5 && gap.end <= backAt + 5 && gap.end >= gap.start, `the gap spans the drop: ${JSON.stringify(gap)} cut ${cutAt} back ${backAt}`);
    assert.match(gap.detail ?? '', /not recorded/);
  });
}
