import type { CaptureSink, Connector } from '../connectors/types.ts';
import type { SessionStore } from '../store/session-store.ts';
import { WsProxyConnector } from '../connectors/ws/proxy.ts';
import { startDemoServer } from './server.ts';
import { DemoTraffic } from './traffic.ts';
import { startBrokerDemos, type RegisterEndpoint } from './broker-demos.ts';
import { demoBrokerUrls } from './brokers.ts';

/** What the demo needs of the engine's recorder (declared here so the demo sits below the engine). */
export interface DemoRecorder {
  readonly store: SessionStore;
  sink(endpoint: string): CaptureSink;
  add(connector: Connector): Promise<void>;
  remove(id: string): Promise<void>;
}

export interface DemoOptions {
  /** Records the demo; the proxy is added to it as endpoint `endpointId`. */
  recorder: DemoRecorder;
  endpointId?: string;
  /** Client messages per second (default 30); fan-out and replies add to what is recorded. */
  rate?: number;
  /** Same seed, same sequence of requests and events. */
  seed?: number;
  /** Port of the recording proxy (default: any free port). */
  listenPort?: number;
  /**
   * Adds the MQTT and NATS parts, each recorded as an endpoint of its own, where the broker
   * answers (`brokers`, by default FLOWSCOPE_DEMO_MQTT / FLOWSCOPE_DEMO_NATS or the local
   * ports). Without it the demo is WebSocket only.
   */
  register?: RegisterEndpoint;
  /** Where to look for the brokers; null leaves that part out. */
  brokers?: { mqtt?: string | null; nats?: string | null };
  /** A line for the user (a broker part that was skipped). */
  onNote?: (line: string) => void;
}

export interface DemoHandle {
  /** Stops the clients, then the proxy (flushing the recording), then the server. */
  stop(): Promise<void>;
  proxyPort: number;
  /** Where the demo's own clients connect; other WebSocket clients may join too. */
  proxyUrl: string;
  /** The embedded server behind the proxy. */
  targetUrl: string;
}

/**
 * The built-in demo: an embedded WebSocket server (JSON-RPC request-reply, publish-subscribe
 * fan-out, fire-and-forget notifications) behind a recording proxy, with clients driving
 * traffic through the proxy until stopped. Used by `flowscope demo` and the app's `--demo`.
 */
export async function startDemo(opts: DemoOptions): Promise<DemoHandle> {
  const endpointId = opts.endpointId ?? 'demo-ws';
  const server = await startDemoServer();
  const proxy = new WsProxyConnector(
    { id: endpointId, listenPort: opts.listenPort ?? 0, target: server.url },
    opts.recorder.sink(endpointId),
  );
  const store = opts.recorder.store;
  if (!store.readonly && !store.endpoints().some((e) => e.id === endpointId)) {
    store.upsertEndpoint({
      id: endpointId,
      transport: 'ws',
      label: 'Demo: JSON-RPC, pub-sub and notifications over WebSocket',
      config: { kind: 'ws-proxy', target: server.url, listenPort: opts.listenPort ?? 0 },
      createdAt: Date.now(),
    });
  }
  let traffic: DemoTraffic | null = null;
  const rate = opts.rate ?? 30;
  const seed = opts.seed ?? 20240601;
  let stopBrokers: () => Promise<void> = async () => undefined;
  try {
    await opts.recorder.add(proxy);
    // The clients need the proxy's port, known once it listens.
    traffic = new DemoTraffic(proxy.url, { rate, seed });
    await traffic.start();
    if (opts.register) {
      stopBrokers = await startBrokerDemos({
        register: opts.register,
        urls: opts.brokers ?? demoBrokerUrls(),
        rate: Math.max(3, Math.round(rate / 3)),
        seed,
        note: opts.onNote ?? (() => undefined),
      });
    }
  } catch (err) {
    // Tidying up after a failed start: the start's own error is the one to report.
    await traffic?.stop().catch(() => undefined);
    await opts.recorder.remove(endpointId).catch(() => undefined);
    await server.close();
    throw err;
  }
  const running = traffic;
  let stopping: Promise<void> | null = null;
  return {
    proxyPort: proxy.port,
    proxyUrl: proxy.url,
    targetUrl: server.url,
    stop() {
      stopping ??= (async () => {
        await stopBrokers();
        await running.stop();
        await opts.recorder.remove(endpointId);
        await server.close();
      })();
      return stopping;
    },
  };
}
