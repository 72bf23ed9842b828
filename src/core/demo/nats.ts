import { connect, headers, type NatsConnection } from 'nats';
import type { CaptureSink } from '../connectors/types.ts';
import { NatsTapConnector } from '../connectors/nats/tap.ts';
import { watchRecording, type BrokerDemo } from './brokers.ts';
import { prng } from './traffic.ts';

const SKUS = ['sku-1001', 'sku-2002', 'sku-3003'];

/**
 * NATS on the local server: a price service answers requests on `<prefix>.prices.get`
 * through each request's reply inbox, and orders are published fire-and-forget with headers.
 * The requester's inboxes live under the run's prefix (`inboxPrefix`), so the one tap on
 * `<prefix>.>` sees requests and replies alike.
 */
export function natsDemo(o: { id: string; url: string; prefix: string; sink: CaptureSink; rate: number; seed: number }): BrokerDemo {
  const watched = watchRecording(o.sink);
  const connector = new NatsTapConnector({ id: o.id, url: o.url, subjects: [`${o.prefix}.>`] }, watched.sink);
  const random = prng(o.seed);
  const conns: NatsConnection[] = [];
  let timers: NodeJS.Timeout[] = [];
  let n = 0;

  return {
    connector,
    async start() {
      await watched.recording;
      const service = await connect({ servers: o.url, name: `${o.prefix}-prices`, reconnect: false });
      conns.push(service);
      service.subscribe(`${o.prefix}.prices.get`, {
        callback: (err, msg) => {
          if (err) return;
          const { sku } = JSON.parse(new TextDecoder().decode(msg.data)) as { sku: string };
          msg.respond(new TextEncoder().encode(JSON.stringify({ sku, price: Math.round(500 + random() * 9500) / 100 })));
        },
      });
      await service.flush();
      const shop = await connect({ servers: o.url, name: `${o.prefix}-shop`, reconnect: false, inboxPrefix: `${o.prefix}._INBOX` });
      conns.push(shop);
      const every = (per: number) => Math.max(50, Math.round(1000 / Math.max(1, per)));
      timers = [
        setInterval(() => {
          const sku = SKUS[Math.floor(random() * SKUS.length)]!;
          // The demo stopping ends the connection under a request in flight; that is not an error.
          shop.request(`${o.prefix}.prices.get`, new TextEncoder().encode(JSON.stringify({ sku })), { timeout: 2000 }).catch(() => undefined);
        }, every(o.rate / 3)),
        setInterval(() => {
          n += 1;
          const h = headers();
          h.set('Order-Id', `o-${n}`);
          shop.publish(`${o.prefix}.orders.created`, new TextEncoder().encode(JSON.stringify({ order: n, sku: SKUS[n % SKUS.length] })), { headers: h });
        }, every(o.rate / 3)),
      ];
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      timers = [];
      // drain lets the last requests get their replies before the connections close: the
      // requester first, while the service still answers.
      for (const c of conns.reverse()) await c.drain().catch(() => undefined);
      conns.length = 0;
    },
  };
}
