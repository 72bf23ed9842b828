/**
 * A steady recording: `flowscope record --kafka` tailing a topic that a producer fills at a
 * fixed rate for BENCH_SOAK_S seconds (default 600, the ten minutes), with the
 * recorder's RSS after the first minute (or tenth of the soak, if shorter) and at the end.
 */
import path from 'node:path';
import { kafkaBrokers } from '../lib/context.ts';
import { memory, run, sleep, startCli, startTs, stop, waitFor } from '../lib/proc.ts';
import type { Figure, FigureContext } from '../lib/report.ts';
import type { Suite } from '../lib/suite.ts';
import { createTopic } from './produce.ts';

async function soakFigures(ctx: FigureContext): Promise<{ figures: Figure[]; notes: string[] }> {
  const seconds = ctx.quick ? 20 : Number(process.env.BENCH_SOAK_S ?? 600);
  const perSecond = Number(process.env.BENCH_SOAK_RATE ?? 2000);
  const firstAt = Math.min(60, seconds / 10);
  const brokers = await kafkaBrokers();
  const topic = `bench-soak-${Date.now().toString(36)}`;
  await createTopic(brokers, topic);
  const file = path.join(ctx.dir, 'soak.flowscope');
  const rec = startCli(['record', '--kafka', brokers, '--topic', topic, '--out', file]);
  // The endpoint reports `recording` once its group has joined, before the producer starts.
  await waitFor(rec, /: recording/, 60_000);
  let first: { rssMb: number; peakMb: number };
  let last: { rssMb: number; peakMb: number };
  let sent: number;
  let elapsed: number;
  try {
    const producer = startTs('bench/kafka/steady-producer.ts', [brokers, topic, String(perSecond), String(seconds)]);
    const t0 = Date.now();
    await sleep(firstAt * 1000);
    first = memory(rec.proc.pid!)!;
    ({ sent } = JSON.parse(await run(producer, 'steady producer')) as { sent: number });
    last = memory(rec.proc.pid!)!;
    elapsed = (Date.now() - t0) / 1000;
    // Give the tail a moment to store the last records before stopping it.
    await sleep(3000);
  } finally {
    // Also when the producer failed: a recorder left running would keep the bench from ending.
    await stop(rec, 'SIGINT');
  }
  // The CLI's closing line, e.g. "stopped (interrupted): 39,974 messages in FILE".
  const stored = Number(rec.err().match(/stopped \([^)]*\): ([\d,]+) messages/)?.[1]?.replaceAll(',', '') ?? NaN);
  const cmd = `BENCH_SOAK_S=${seconds} npm run bench -- soak`;
  return {
    figures: [
      {
        name: `Steady recording, ${perSecond.toLocaleString('en-US')} records/s for ${seconds} s (Kafka tail)`,
        reference: `RSS at ${firstAt.toFixed(0)} s ${first.rssMb.toFixed(0)} MB`,
        ours: `RSS at ${elapsed.toFixed(0)} s ${last.rssMb.toFixed(0)} MB (${(last.rssMb - first.rssMb).toFixed(0)} MB more; peak ${last.peakMb.toFixed(0)} MB)`,
        ratio: last.rssMb / first.rssMb,
        target: 'within 50 MB of minute 1',
        command: cmd,
      },
    ],
    notes: [`The producer sent ${sent.toLocaleString('en-US')} records; the session holds ${stored.toLocaleString('en-US')}.`],
  };
}

export const soakSuite: Suite = { key: 'soak', title: 'Steady recording memory', run: soakFigures };
