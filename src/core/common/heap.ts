import v8 from 'node:v8';
import { HEAP_GROWING_PERCENT } from './constants.ts';

let applied = false;

/**
 * Keeps the engine's heap close to what it holds alive (HEAP_GROWING_PERCENT): a recording
 * allocates at message rate, and V8's default growth turned that garbage into RSS (issue 12).
 * Process-wide, so it is set once by the process that runs the engine (the CLI, the engine
 * child); a `--heap-growing-percent` given to Node itself wins.
 */
export function keepHeapTight(): void {
  if (applied) return;
  applied = true;
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('heap-growing-percent'));
  if (!given) v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
