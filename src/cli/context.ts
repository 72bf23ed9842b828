import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Engine, type EngineOptions } from '../core/engine/engine.ts';
import { SessionStore } from '../core/store/session-store.ts';
import { analysisConfigSchema, type AnalysisConfigInput } from '../core/analysis/config.ts';
import { UsageError, numberFlag, type ParsedArgs } from './args.ts';
import { forTerminal } from './terminal.ts';
import { SpecError, decoderSettingsFromSpecs } from '../core/decode/spec.ts';
import { splitRegistryUrl, type DecoderSettings } from '../shared/decoders.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function engineOptions(transport: 'ipc' | 'bridge' = 'bridge', demo = false, analysis: AnalysisConfigInput = {}): EngineOptions {
  const dataDir = process.env.FLOWSCOPE_DATA_DIR || path.join(os.homedir(), '.flowscope', 'sessions');
  return { dataDir, version: version(), transport, demo, analysis };
}

export function createEngine(transport: 'ipc' | 'bridge' = 'bridge', demo = false, analysis: AnalysisConfigInput = {}): Engine {
  return new Engine(engineOptions(transport, demo, analysis));
}

/**
 * Analysis options shared by `record`, `inspect` and `serve`: --reply-timeout MS,
 * --correlation-header NAME…, --json-path PATH…, --window MS (undelivered windows).
 */
export function analysisOptions(args: ParsedArgs): AnalysisConfigInput {
  const input: AnalysisConfigInput = {};
  const timeout = numberFlag(args, 'reply-timeout');
  if (timeout !== undefined) input.pairing = { timeoutMs: timeout };
  const headers = args.flags.get('correlation-header');
  const paths = args.flags.get('json-path');
  if (headers || paths) input.correlation = { ...(headers ? { headerNames: headers } : {}), ...(paths ? { jsonPaths: paths } : {}) };
  const windowMs = numberFlag(args, 'window');
  if (windowMs !== undefined) input.undelivered = { amqpWindowMs: windowMs, kafkaWindowMs: windowMs, mqttWindowMs: windowMs };
  const r = analysisConfigSchema.safeParse(input);
  if (!r.success) throw new UsageError(`bad analysis option: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

/**
 * Decoder options of `record`: --decode PATTERN=FORMAT[:FILE[#Type]]…, --schema-id ID=FILE…
 * and --schema-registry URL, with every schema file read and embedded in the settings the
 * session keeps. User info in the registry URL becomes `authorization`, for this process only.
 */
export function decoderOptions(args: ParsedArgs): { settings: DecoderSettings; authorization: string | null } | null {
  const decodes = args.flags.get('decode') ?? [];
  const ids = args.flags.get('schema-id') ?? [];
  const registry = schemaRegistryOption(args);
  if (decodes.length === 0 && ids.length === 0 && !registry) return null;
  try {
    // With a registry, a Protobuf or Avro rule may name no file: the frames' ids say the schema.
    const settings = decoderSettingsFromSpecs(decodes, ids, process.cwd(), registry !== null);
    return { settings: registry ? { ...settings, registryUrl: registry.url } : settings, authorization: registry?.authorization ?? null };
  } catch (err) {
    if (err instanceof SpecError) throw new UsageError(err.message);
    throw err;
  }
}

/** `--schema-registry URL` (http or https; user:password@ in it is used, never saved), or null. */
export function schemaRegistryOption(args: ParsedArgs): { url: string; authorization: string | null } | null {
  const raw = args.flags.get('schema-registry')?.at(-1);
  if (raw === undefined) return null;
  try {
    return splitRegistryUrl(raw);
  } catch (err) {
    throw new UsageError(`--schema-registry: ${(err as Error).message}`);
  }
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
export function untilSignal(): { promise: Promise<string>; dispose: () => void } {
  let resolveFn: (s: string) => void = () => undefined;
  let seen = false;
  const handler = (sig: NodeJS.Signals) => {
    if (seen) process.exit(130);
    seen = true;
    resolveFn(sig);
  };
  const promise = new Promise<string>((r) => {
    resolveFn = r;
  });
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/**
 * A live one-line status on a terminal, or a line every few seconds when piped. Piped, the
 * latest state is always written within that interval, even when nothing changes after it
 * (a catch-up that ends between two lines would otherwise leave a log at its middle).
 */
export function progressLine(): { update: (text: string) => void; note: (text: string) => void; done: (text?: string) => void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  let current = '';
  let written = '';
  let trailing: NodeJS.Timeout | null = null;
  const writePiped = () => {
    trailing = null;
    if (current === written) return;
    process.stderr.write(`${current}\n`);
    written = current;
    last = Date.now();
  };
  return {
    update(line: string) {
      const text = forTerminal(line);
      current = text;
      if (tty) {
        process.stderr.write(`\r\x1b[2K${text}`);
        return;
      }
      const wait = last + PIPED_LINE_MS - Date.now();
      if (wait <= 0) writePiped();
      else if (!trailing) {
        trailing = setTimeout(writePiped, wait);
        trailing.unref();
      }
    },
    /** A line that stays (a status change), printed above the live line. */
    note(line: string) {
      const text = forTerminal(line);
      if (tty) process.stderr.write(`\r\x1b[2K${text}\n${current}`);
      else process.stderr.write(`${text}\n`);
    },
    /** Ends the live line, replacing it with `text` when given. */
    done(text?: string) {
      if (trailing) clearTimeout(trailing);
      trailing = null;
      if (text !== undefined) process.stderr.write(tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
      else if (tty) process.stderr.write('\n');
    },
  };
}

/** How often a piped progress line is written at most. */
const PIPED_LINE_MS = 2000;

/**
 * Messages in a session file this command has just written and closed: the count after the
 * last flush. Without the damage check an open runs (a quick_check or a walk of every page:
 * 0.1-0.4 s at the end of a 300,000-message recording), since this process wrote every page.
 */
export function countMessages(file: string): number {
  const store = SessionStore.open(file, { readonly: true, quickCheckMaxBytes: 0, deferWalk: true });
  try {
    return store.count();
  } finally {
    store.close();
  }
}

export function rendererDir(): string | undefined {
  const dir = path.join(ROOT, 'out', 'renderer');
  return fs.existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}
