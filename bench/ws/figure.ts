/**
 * WebSocket figure: N echo round trips with IN_FLIGHT outstanding, client, proxy and server
 * each in its own process, first direct to the server, then through `flowscope record
 * --ws-proxy` (the built CLI, recording into a session file as a user runs it).
 */
import path from 'node:path';
import { run, startCli, startTs, stop, waitFor } from '../lib/proc.ts';
import type { Figure, FigureContext } from '../lib/report.ts';
import type { Suite } from '../lib/suite.ts';
import { rate } from '../lib/report.ts';

interface Trips {
  n: number;
  ms: number;
  p50: number;
  p99: number;
}

async function trips(url: string, n: number, inFlight: number): Promise<Trips> {
  const out = await run(startTs('bench/ws/echo-client.ts', [url, String(n), String(inFlight)]), 'ws client');
  return JSON.parse(out.trim().split('\n').pop()!) as Trips;
}

/** Rows the store-floor reference re-inserts from the proxied session. */
const FLOOR_ROWS = 200_000;

async function wsFigures(ctx: FigureContext): Promise<Figure[]> {
  const n = ctx.quick ? 10_000 : Number(process.env.BENCH_WS_N ?? 60_000);
  const inFlight = 256;
  const server = startTs('bench/ws/echo-server.ts', []);
  const port = (await waitFor(server, /port (\d+)/))[1]!;
  const target = `ws://127.0.0.1:${port}`;
  try {
    // A short warm-up on each path so neither pays for JIT and connection setup in the figure.
    await trips(target, 2_000, inFlight);
    const direct = await trips(target, n, inFlight);
    const file = path.join(ctx.dir, 'ws.flowscope');
    const proxy = startCli(['record', '--ws-proxy', `0=${target}`, '--out', file]);
    const proxyPort = (await waitFor(proxy, /listening on ws:\/\/127\.0\.0\.1:(\d+)/))[1]!;
    const via = `ws://127.0.0.1:${proxyPort}`;
    let proxied: Trips;
    try {
      await trips(via, 2_000, inFlight);
      proxied = await trips(via, n, inFlight);
    } finally {
      await stop(proxy, 'SIGINT');
    }
    // The relay alone (recording dropped), in the same run: what the flow control between
    // the two sockets allows, apart from what recording each frame costs.
    const relay = startTs('bench/ws/relay-only.ts', [target]);
    let relayed: Trips;
    try {
      const relayUrl = `ws://127.0.0.1:${(await waitFor(relay, /port (\d+)/))[1]}`;
      await trips(relayUrl, 2_000, inFlight);
      relayed = await trips(relayUrl, n, inFlight);
    } finally {
      await stop(relay);
    }
    // The store's floor for these very rows (bench/kafka/store-floor.ts): two frames are
    // recorded per round trip, and on two cores the client and server use one of them.
    const floor = JSON.parse(await run(startTs('bench/kafka/store-floor.ts', [file, String(FLOOR_ROWS)]), 'store floor')) as { rows: number; insertMs: number; cpuMs: number };
    const floorRate = (floor.rows / floor.insertMs) * 1000;
    const directRate = (direct.n / direct.ms) * 1000;
    const relayRate = (relayed.n / relayed.ms) * 1000;
    const proxiedRate = (proxied.n / proxied.ms) * 1000;
    const cmd = `${ctx.quick ? 'BENCH_QUICK=1 ' : ''}npm run bench -- ws`;
    return [
      {
        name: `WebSocket proxy, ${n.toLocaleString('en-US')} echo round trips, ${inFlight} in flight, 3 processes`,
        reference: `direct ${rate(directRate)}`,
        ours: `through \`record --ws-proxy\` (proxy thread + recording thread) ${rate(proxiedRate)}`,
        ratio: proxiedRate / directRate,
        target: '≥ 0.5×',
        command: cmd,
      },
      {
        name: `WebSocket proxy relay alone (WsProxyConnector in one thread, recording dropped), same load`,
        reference: `direct ${rate(directRate)}`,
        ours: `relay only ${rate(relayRate)}; p50 / p99 ${ms(relayed.p50)} / ${ms(relayed.p99)}`,
        ratio: relayRate / directRate,
        command: cmd,
      },
      {
        name: 'WebSocket proxy: frames recorded (2 a round trip) beside the store\'s insert floor for the same rows',
        reference: `the session's rows inserted again into a new file on one thread, nothing else running, ${rate(floorRate)} (${((floor.cpuMs * 1000) / floor.rows).toFixed(1)} µs CPU a row)`,
        ours: `${rate(2 * proxiedRate)} frames recorded`,
        ratio: (2 * proxiedRate) / floorRate,
        command: cmd,
      },
      {
        name: 'WebSocket proxy, round-trip latency p50 / p99',
        reference: `direct ${ms(direct.p50)} / ${ms(direct.p99)}`,
        ours: `proxied ${ms(proxied.p50)} / ${ms(proxied.p99)}; added ${ms(proxied.p50 - direct.p50)} / ${ms(proxied.p99 - direct.p99)}`,
        ratio: null,
        command: cmd,
      },
    ];
  } finally {
    await stop(server);
  }
}

function ms(v: number): string {
  return `${v.toFixed(2)} ms`;
}

export const wsSuite: Suite = {
  key: 'ws',
  title: 'WebSocket recording proxy',
  run: async (ctx) => ({
    figures: await wsFigures(ctx),
    notes: [
      'The proxy relays on its own thread and the CLI records on its main thread (SQLite, correlation, analysis); client, server, proxy and recorder share the machine\'s cores, so the relay-alone row shows what the flow control allows and the gap to it is the recording\'s CPU.',
    ],
  }),
};
