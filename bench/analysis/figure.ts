/** Analysis recompute rate over the recorded catch-up, beside a plain read of the same pages. */
import { run, startTs } from '../lib/proc.ts';
import type { Figure, FigureContext } from '../lib/report.ts';
import { rate } from '../lib/report.ts';
import type { Suite } from '../lib/suite.ts';
import { kafkaN } from '../kafka/figure.ts';
import { catchUpSession } from '../reopen/sessions.ts';

async function analysisFigures(ctx: FigureContext): Promise<{ figures: Figure[] }> {
  const n = kafkaN(ctx.quick);
  const file = await catchUpSession(ctx, n);
  const r = JSON.parse(await run(startTs('bench/analysis/recompute.ts', [file]), 'recompute')) as { messages: number; scanMs: number; feedMs: number };
  const perS = (ms: number): number => (r.messages / ms) * 1000;
  return {
    figures: [
      {
        name: `Analysis recomputed from scratch over a ${r.messages.toLocaleString('en-US')}-message session`,
        reference: `reading the same pages without analysis ${rate(perS(r.scanMs))}`,
        ours: `feedSession (read + pairing, undelivered, topology) ${rate(perS(r.feedMs))}`,
        ratio: r.scanMs / r.feedMs,
        target: '≥ 200k msg/s',
        command: `BENCH_KAFKA_N=${n} npm run bench -- analysis`,
      },
    ],
  };
}

export const analysisSuite: Suite = { key: 'analysis', title: 'Analysis recompute', run: analysisFigures };
