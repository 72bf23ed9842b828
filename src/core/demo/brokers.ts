import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { CaptureSink, Connector } from '../connectors/types.ts';
import type { EndpointStatus } from '../../shared/model.ts';
import { hideUserinfo } from '../common/redact.ts';

/** How long the demo waits for a broker to accept a TCP connection before it says it skipped. */
const PROBE_MS = 1500;
/** How long a tap may take to have its subscriptions in place before its traffic starts. */
const TAP_READY_MS = 10_000;

/** Where the demo looks for the local brokers; the environment can point elsewhere (or at a closed port). */
export function demoBrokerUrls(env: NodeJS.ProcessEnv = process.env): { mqtt: string; nats: string } {
  return {
    mqtt: env.FLOWSCOPE_DEMO_MQTT || 'mqtt://127.0.0.1:1883',
    nats: env.FLOWSCOPE_DEMO_NATS || 'nats://127.0.0.1:4222',
  };
}

/** Whether something accepts a TCP connection at the URL's host and port. */
export function answers(url: string, defaultPort: number, timeoutMs = PROBE_MS): Promise<boolean> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve(false);
  }
  const port = Number(u.port || defaultPort);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** The line the demo prints when a broker's traffic is left out. */
export function skippedLine(name: string, url: string): string {
  return `${name} demo traffic skipped: nothing answers at ${hideUserinfo(url)}`;
}

/** A prefix of this run's own, so two demos on one broker never record each other. */
export function demoPrefix(): string {
  return `flowscope-demo-${randomBytes(3).toString('hex')}`;
}

/**
 * Wraps a sink so the caller learns when the tap reports `recording` (its subscriptions are
 * in place): the demo's clients start only then, so no request goes unrecorded while its
 * reply is recorded.
 */
export function watchRecording(sink: CaptureSink): { sink: CaptureSink; recording: Promise<void> } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const recording = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error('the tap did not start recording in time')), TAP_READY_MS);
  const wrapped: CaptureSink = {
    message: (m) => sink.message(m),
    status: (s: EndpointStatus, detail?: string) => {
      sink.status(s, detail);
      if (s === 'recording') {
        clearTimeout(timer);
        resolve();
      } else if (s === 'failed') {
        clearTimeout(timer);
        reject(new Error(detail ?? 'the tap failed'));
      }
    },
  };
  if (sink.offsets) wrapped.offsets = (rows) => sink.offsets!(rows);
  if (sink.lag) wrapped.lag = (n) => sink.lag!(n);
  if (sink.discovery) wrapped.discovery = (f) => sink.discovery!(f);
  if (sink.ready) wrapped.ready = () => sink.ready!();
  if (sink.gap) wrapped.gap = (g) => sink.gap!(g);
  return { sink: wrapped, recording };
}

/** One broker's part of the demo: a tap recording it and clients driving traffic through it. */
export interface BrokerDemo {
  readonly connector: Connector;
  /** Starts the clients once the tap records. */
  start(): Promise<void>;
  stop(): Promise<void>;
}
