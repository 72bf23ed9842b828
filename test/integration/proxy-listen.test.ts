import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { CaptureSink, Connector } from '../../src/core/connectors/types.ts';
import { WsProxyConnector } from '../../src/core/connectors/ws/proxy.ts';
import { MqttProxyConnector } from '../../src/core/connectors/mqtt/proxy.ts';
import { NatsProxyConnector } from '../../src/core/connectors/nats/proxy.ts';

// The three recording proxies listen the same way: a port another program holds is refused
// in plain words, a free one is reported in the status and the URL, and stop frees it.

const sink = (statuses: string[]): CaptureSink => ({ message: () => undefined, status: (s, d) => statuses.push(`${s}: ${d ?? ''}`) });
const kinds: [string, string, (port: number, statuses: string[]) => Connector & { url: string; port: number }][] = [
  ['WebSocket proxy', 'ws', (port, st) => new WsProxyConnector({ id: 'w', listenPort: port, target: 'ws://127.0.0.1:9' }, sink(st))],
  ['MQTT proxy', 'mqtt', (port, st) => new MqttProxyConnector({ id: 'm', listenPort: port, target: 'mqtt://127.0.0.1:1883' }, sink(st))],
  ['NATS proxy', 'nats', (port, st) => new NatsProxyConnector({ id: 'n', listenPort: port, target: 'nats://127.0.0.1:4222' }, sink(st))],
];

async function holdPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

for (const [what, scheme, make] of kinds) {
  test(`${what}: a port in use is refused in those words; a free one is listened on, named, and freed at stop`, async () => {
    const held = await holdPort();
    try {
      await assert.rejects(make(held.port, []).start(), new RegExp(`^Error: ${what} cannot listen on 127\\.0\\.0\\.1:${held.port}: the port is already in use$`));
    } finally {
      await held.close();
    }
    const statuses: string[] = [];
    const proxy = make(0, statuses);
    await proxy.start();
    try {
      assert.ok(proxy.port > 0);
      assert.equal(proxy.url, `${scheme}://127.0.0.1:${proxy.port}`);
      assert.ok(statuses.some((s) => s.includes(`listening on ${proxy.url}`)), statuses.join('\n'));
    } finally {
      await proxy.stop();
    }
    // Stopped, the port is free again.
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(proxy.port, '127.0.0.1', () => resolve());
    });
    await new Promise((r) => again.close(r));
  });
}
