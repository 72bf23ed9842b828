import path from 'node:path';
import { UsageError, flag, parseArgs } from '../args.ts';
import { SessionStore, asSessionFileError } from '../../core/store/session-store.ts';
import { exportJsonl } from '../../core/io/jsonl.ts';
import { SessionDecoders } from '../../core/engine/session-decoders.ts';

/**
 * `flowscope export FILE --format jsonl [--out F] [--decoded]`: one JSON object per message;
 * with --decoded, each payload the session's decoders read also as its decoded form.
 */
export async function exportCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const file = args.positionals[0];
  if (!file) throw new UsageError('export needs a session FILE');
  const format = flag(args, 'format') ?? 'jsonl';
  if (format !== 'jsonl') throw new UsageError(`unknown export format "${format}" (supported: jsonl)`);
  const store = SessionStore.open(path.resolve(file), { readonly: true });
  try {
    const out = flag(args, 'out');
    // On a terminal, characters that would reorder or hide text are written as \u escapes.
    const decoders = args.flags.has('decoded') ? new SessionDecoders(store).registry : undefined;
    const count = await exportJsonl(store, out && out !== '-' ? path.resolve(out) : process.stdout, {}, {
      escapeInvisible: process.stdout.isTTY === true,
      ...(decoders ? { decoders } : {}),
    });
    if (out && out !== '-') console.error(`exported ${count} messages to ${out}`);
    return 0;
  } catch (err) {
    throw asSessionFileError(err, store.path);
  } finally {
    store.close();
  }
}
