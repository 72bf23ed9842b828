/**
 * Two builds side by side on one steady tail: each build's `flowscope record` tails the same
 * topic while one producer fills it (as bench/kafka/soak.ts), and both recorders' RSS is
 * printed every 10 s, so a change and its base are compared under the same load and noise.
 *
 *   node --import tsx bench/kafka/soak-pair.ts BROKERS RATE SECONDS BASE_ROOT [OTHER_ROOT]
 *
 * BASE_ROOT and OTHER_ROOT (default: this checkout) are checkouts with `npm run build:cli` done.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { memory, run, sleep, start, startTs, stop, waitFor } from '../lib/proc.ts';
import { ROOT } from '../lib/proc.ts';
import { createTopic } from './produce.ts';

const [brokers, rateArg, secondsArg, baseRoot, otherRoot = ROOT] = process.argv.slice(2);
const seconds = Number(secondsArg);
const topic = `bench-soak-pair-${Date.now().toString(36)}`;
await createTopic(brokers!, topic);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-soak-pair-'));
const roots = { base: baseRoot!, other: otherRoot };
const recs = Object.entries(roots).map(([name, root]) => ({
  name,
  child: start(process.execPath, [path.join(root, 'bin/flowscope.mjs'), 'record', '--kafka', brokers!, '--topic', topic, '--out', path.join(dir, `${name}.flowscope`)]),
}));
try {
  for (const r of recs) await waitFor(r.child, /: recording/, 60_000);
  const producer = startTs('bench/kafka/steady-producer.ts', [brokers!, topic, rateArg!, String(seconds)]);
  const t0 = Date.now();
  const timer = setInterval(() => {
    const cells = recs.map((r) => {
      const m = memory(r.child.proc.pid!);
      return `${r.name} ${m ? m.rssMb.toFixed(0) : '-'} MB (peak ${m ? m.peakMb.toFixed(0) : '-'})`;
    });
    console.log(`${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${cells.join('  ')}`);
  }, 10_000);
  const { sent } = JSON.parse(await run(producer, 'steady producer')) as { sent: number };
  clearInterval(timer);
  await sleep(3000);
  for (const r of recs) {
    await stop(r.child, 'SIGINT');
    console.log(`${r.name}: ${r.child.err().match(/stopped \([^)]*\): ([\d,]+) messages/)?.[1] ?? '?'} of ${sent} records stored`);
  }
} finally {
  for (const r of recs) await stop(r.child, 'SIGINT');
  fs.rmSync(dir, { recursive: true, force: true });
}
