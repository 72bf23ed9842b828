import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineHost } from '../core/host/parent.ts';
import { forkEngine, type NodeEngineEntry } from '../core/host/node-process.ts';
import type { AnalysisConfigInput } from '../core/analysis/config.ts';
import { engineOptions } from './context.ts';

/**
 * The engine process's entry: beside this file in the build (out/cli/node-child.js), or the
 * TypeScript source run through tsx in a development checkout.
 */
export function engineEntry(): NodeEngineEntry {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return { file: path.join(path.dirname(here), 'node-child.js') };
  return { file: path.resolve(path.dirname(here), '../core/host/node-child.ts'), execArgv: ['--import', import.meta.resolve('tsx')] };
}

/** An engine in its own Node process, as `flowscope serve` runs it. */
export function startEngineHost(transport: 'ipc' | 'bridge', demo: boolean, analysis: AnalysisConfigInput): Promise<EngineHost> {
  const entry = engineEntry();
  return EngineHost.start({ spawn: () => forkEngine(entry), engine: engineOptions(transport, demo, analysis) });
}
