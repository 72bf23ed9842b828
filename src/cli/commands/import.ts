import path from 'node:path';
import { UsageError, flag, parseArgs } from '../args.ts';
import { importJsonl } from '../../core/io/jsonl.ts';
import { importKcat } from '../../core/io/kcat.ts';
import { version } from '../context.ts';
import { SessionStore } from '../../core/store/session-store.ts';
import { keepAnalysis } from '../../core/engine/session-analysis.ts';

/** `flowscope import FILE --format jsonl|kcat --out SESSION`. */
export async function importCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const file = args.positionals[0];
  const out = flag(args, 'out');
  if (!file) throw new UsageError('import needs an input FILE');
  if (!out) throw new UsageError('import needs --out SESSION');
  const format = flag(args, 'format') ?? 'jsonl';
  const meta = { flowscope_version: version() };
  let result: { count: number };
  if (format === 'jsonl') result = await importJsonl(path.resolve(file), path.resolve(out), meta);
  else if (format === 'kcat') result = await importKcat(path.resolve(file), path.resolve(out), meta);
  else throw new UsageError(`unknown import format "${format}" (supported: jsonl, kcat)`);
  // The new file is Flowscope's own: analysing it once here means every later open (the
  // app, inspect, serve) shows its figures at once instead of reading it all again.
  const store = SessionStore.open(path.resolve(out));
  try {
    const read = await keepAnalysis(store, {}, version());
    if (read.state === 'failed') console.error(`flowscope: the analysis of ${out} could not be kept (${read.message}); it will be computed when the session is opened`);
  } finally {
    store.close();
  }
  console.error(`imported ${result.count} messages into ${out}`);
  return 0;
}
