import path from 'node:path';
import { UsageError, flag, parseArgs } from '../args.ts';
import { SessionStore, asSessionFileError } from '../../core/store/session-store.ts';
import { exportJsonl } from '../../core/io/jsonl.ts';
import { exportHar } from '../../core/io/har-export.ts';
import { exportAsyncApi } from '../../core/io/asyncapi/export.ts';
import { SessionDecoders } from '../../core/engine/session-decoders.ts';
import { schemaRegistryOption, version } from '../context.ts';
import { forTerminal } from '../terminal.ts';

const FORMATS = ['jsonl', 'har', 'asyncapi'] as const;

/**
 * `flowscope export FILE [--format jsonl|har|asyncapi] [--out F] [--decoded]`: JSON Lines (one
 * object per message; with --decoded, each payload the session's decoders read also as its
 * decoded form), HAR (the WebSocket connections, as Chrome DevTools loads them), or an
 * AsyncAPI 3.0 document of what was observed (YAML, or JSON for a `.json` --out). The format
 * defaults from the --out name (`.har`), else JSON Lines.
 */
export async function exportCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const file = args.positionals[0];
  if (!file) throw new UsageError('export needs a session FILE');
  const out = flag(args, 'out');
  const toFile = out !== undefined && out !== '-';
  const format = flag(args, 'format') ?? (toFile && /\.har$/i.test(out) ? 'har' : 'jsonl');
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown export format "${format}" (supported: ${FORMATS.join(', ')})`);
  const store = SessionStore.open(path.resolve(file), { readonly: true });
  try {
    const target = toFile ? path.resolve(out) : process.stdout;
    if (format === 'asyncapi') {
      const r = await exportAsyncApi(store, target, { version: version() });
      if (toFile) console.error(`exported an AsyncAPI 3.0 document (${r.channels} channels, ${r.operations} operations) to ${out}`);
    } else if (format === 'har') {
      const r = await exportHar(store, target, { version: version() });
      if (toFile) console.error(`exported ${r.connections} WebSocket connection${r.connections === 1 ? '' : 's'} (${r.frames} frames) to ${out}`);
    } else {
      // On a terminal, characters that would reorder or hide text are written as \u escapes.
      let decoders;
      if (args.flags.has('decoded')) {
        const session = new SessionDecoders(store);
        const registry = schemaRegistryOption(args);
        if (registry) session.useRegistry(registry);
        // The schemas the payloads name are fetched before the first line is written, so none says "pending".
        const fetched = await session.fetchSchemas();
        if (fetched.unreachable) console.error(forTerminal(`flowscope: ${fetched.unreachable}; the messages framed with its schema ids are written with that reason, undecoded`));
        decoders = session.registry;
      }
      const count = await exportJsonl(store, target, {}, { escapeInvisible: process.stdout.isTTY === true, ...(decoders ? { decoders } : {}) });
      if (toFile) console.error(`exported ${count} messages to ${out}`);
    }
    return 0;
  } catch (err) {
    throw asSessionFileError(err, store.path);
  } finally {
    store.close();
  }
}
