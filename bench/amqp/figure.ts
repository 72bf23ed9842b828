/**
 * RabbitMQ fanout: N messages published to a fanout exchange, received side by side by a
 * bare amqplib consumer and by `flowscope record --amqp … --exchange` (the built CLI tap),
 * each timed from the start of publishing to its own exit after the Nth message.
 */
import path from 'node:path';
import amqp from 'amqplib';
import { run, startCli, startTs, waitFor } from '../lib/proc.ts';
import type { Figure, FigureContext } from '../lib/report.ts';
import { rate } from '../lib/report.ts';
import type { Suite } from '../lib/suite.ts';

const URL = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';

async function amqpFigures(ctx: FigureContext): Promise<{ figures: Figure[]; notes: string[] }> {
  const n = ctx.quick ? 5_000 : Number(process.env.BENCH_AMQP_N ?? 50_000);
  const exchange = `bench-fanout-${Date.now().toString(36)}`;
  const conn = await amqp.connect(URL);
  const ch = await conn.createChannel();
  await ch.assertExchange(exchange, 'fanout', { durable: false, autoDelete: false });
  try {
    const bare = startTs('bench/amqp/bare-consumer.ts', [URL, exchange, String(n)]);
    const ours = startCli(['record', '--amqp', URL, '--exchange', exchange, '--out', path.join(ctx.dir, 'amqp.flowscope'), '--max-messages', String(n)]);
    await waitFor(bare, /ready/);
    await waitFor(ours, /: recording/);
    const t0 = performance.now();
    const pub = startTs('bench/amqp/publisher.ts', [URL, exchange, String(n)]);
    const bareDone = run(bare, 'bare consumer').then(() => performance.now() - t0);
    const oursDone = run(ours, 'flowscope record').then(() => performance.now() - t0);
    await run(pub, 'publisher');
    const [bareMs, oursMs] = await Promise.all([bareDone, oursDone]);
    const perS = (ms: number): number => (n / ms) * 1000;
    return {
      figures: [
        {
          name: `RabbitMQ fanout, ${n.toLocaleString('en-US')} × 200 B messages, received side by side`,
          reference: `bare amqplib consumer ${rate(perS(bareMs))}`,
          ours: `\`record --amqp --exchange\` tap ${rate(perS(oursMs))}`,
          ratio: bareMs / oursMs,
          target: '≈ 1× (broker-bound)',
          command: 'npm run bench -- amqp',
        },
      ],
      notes: ['Both run until they exit after the Nth message; `record` also flushes and closes its session file in that time, which weighs more in quick mode\'s small N.'],
    };
  } finally {
    await ch.deleteExchange(exchange).catch(() => undefined);
    await conn.close();
  }
}

export const amqpSuite: Suite = { key: 'amqp', title: 'RabbitMQ fanout tap', run: amqpFigures };
