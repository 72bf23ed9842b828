import path from 'node:path';
import { UsageError, flag, parseArgs } from '../args.ts';
import { importJsonl } from '../../core/io/jsonl.ts';
import { importKcat } from '../../core/io/kcat.ts';
import { importHar } from '../../core/io/har-import.ts';
import { version } from '../context.ts';
import { SessionStore } from '../../core/store/session-store.ts';
import { keepAnalysis } from '../../core/engine/session-analysis.ts';

const FORMATS = ['jsonl', 'kcat', 'har'] as const;

/**
 * `flowscope import FILE [--format jsonl|kcat|har] [--out SESSION]`. The format defaults
 * from the name (`.har` is HAR, anything else JSON Lines); the session from the input's
 * name beside it (capture.har → capture.flowscope), never over an existing file.
 */
export async function importCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const file = args.positionals[0];
  if (!file) throw new UsageError('import needs an input FILE');
  const format = flag(args, 'format') ?? (/\.har$/i.test(file) ? 'har' : 'jsonl');
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown import format "${format}" (supported: ${FORMATS.join(', ')})`);
  const out = path.resolve(flag(args, 'out') ?? file.replace(/(\.[^./\\]*)?$/, '.flowscope'));
  const input = path.resolve(file);
  const meta = { flowscope_version: version() };
  let count: number;
  let note = '';
  if (format === 'har') {
    const r = await importHar(input, out, meta);
    count = r.count;
    note = ` (${r.connections} WebSocket connection${r.connections === 1 ? '' : 's'}${r.skipped ? `; ${r.skipped} other HTTP entr${r.skipped === 1 ? 'y' : 'ies'} left out` : ''})`;
  } else {
    count = (format === 'kcat' ? await importKcat(input, out, meta) : await importJsonl(input, out, meta)).count;
  }
  // The new file is Flowscope's own: analysing it once here means every later open (the
  // app, inspect, serve) shows its figures at once instead of reading it all again.
  const store = SessionStore.open(out);
  try {
    const read = await keepAnalysis(store, {}, version());
    if (read.state === 'failed') console.error(`flowscope: the analysis of ${out} could not be kept (${read.message}); it will be computed when the session is opened`);
  } finally {
    store.close();
  }
  console.error(`imported ${count} messages into ${out}${note}`);
  return 0;
}
