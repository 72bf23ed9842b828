/** CLI start-up: `flowscope --help` (the built CLI) beside `node -e 0`, median of several runs. */
import { BIN, run, start } from './lib/proc.ts';
import type { Figure, FigureContext } from './lib/report.ts';
import type { Suite } from './lib/suite.ts';

async function median(times: number, cmd: string, args: string[]): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await run(start(cmd, args), cmd);
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
}

async function startupFigures(ctx: FigureContext): Promise<{ figures: Figure[] }> {
  const times = ctx.quick ? 3 : 9;
  const node = await median(times, process.execPath, ['-e', '0']);
  const help = await median(times, process.execPath, [BIN, '--help']);
  return {
    figures: [
      {
        name: `\`flowscope --help\` start to exit (median of ${times})`,
        reference: `\`node -e 0\` ${node.toFixed(0)} ms`,
        ours: `\`node bin/flowscope.mjs --help\` ${help.toFixed(0)} ms`,
        ratio: help / node,
        target: '< 0.3 s',
        command: 'npm run bench -- startup',
      },
    ],
  };
}

export const startupSuite: Suite = { key: 'startup', title: 'CLI start-up', run: startupFigures };
