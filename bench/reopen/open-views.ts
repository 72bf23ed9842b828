/**
 * Reopens a session in a fresh engine (its own process, from the sources main holds) and
 * times what a window does: `renderer:session:open`, then the calls the Messages, Flow,
 * Conversations and Undelivered views make, repeated until the analysis they show is ready.
 *
 *   node --import tsx bench/reopen/open-views.ts FILE
 *
 * Prints one JSON line: { openMs, readyMs, calls: { channel: ms } } (each call's time once ready).
 */
import { createEngine } from '../../src/cli/context.ts';

const file = process.argv[2]!;
const engine = createEngine('bridge');
const t0 = performance.now();
const info = await engine.call('renderer:session:open', { path: file });
const openMs = performance.now() - t0;
const sessionId = info.id;

/** The first screen of each view, as the renderer asks for it. */
const views = {
  'renderer:messages:query': () => engine.call('renderer:messages:query', { sessionId, filter: {}, offset: 0, limit: 200, withTotal: true }),
  'renderer:analysis:summary': () => engine.call('renderer:analysis:summary', { sessionId }),
  'renderer:analysis:topology': () => engine.call('renderer:analysis:topology', { sessionId }),
  'renderer:analysis:pairs': () => engine.call('renderer:analysis:pairs', { sessionId, offset: 0, limit: 200 }),
  'renderer:analysis:undelivered': () => engine.call('renderer:analysis:undelivered', { sessionId }),
  'renderer:analysis:timeline': () => engine.call('renderer:analysis:timeline', { sessionId, buckets: 300 }),
};

let readyMs = 0;
for (;;) {
  const summary = await engine.call('renderer:analysis:summary', { sessionId });
  if (summary.analysis.state === 'ready') {
    readyMs = performance.now() - t0;
    break;
  }
  if (summary.analysis.state === 'failed') throw new Error(`analysis failed: ${summary.analysis.message}`);
  await new Promise((r) => setTimeout(r, 20));
}
const calls: Record<string, number> = {};
for (const [channel, call] of Object.entries(views)) {
  const t = performance.now();
  await call();
  calls[channel] = performance.now() - t;
}
process.stdout.write(`${JSON.stringify({ openMs, readyMs, calls })}\n`);
await engine.closeSession(sessionId);
process.exit(0);
