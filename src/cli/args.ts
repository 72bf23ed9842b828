import type { EndpointSpec } from '../shared/specs.ts';
import { hideUserinfo } from '../core/common/redact.ts';

/** Thrown for bad command lines; the CLI prints the message and the usage, exit 2. */
export class UsageError extends Error {}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
  /** Options in command-line order, for those whose meaning depends on what came before. */
  ordered: [string, string | true][];
}

const BOOLEAN = new Set(['json', 'firehose', 'amqp-durable-tap', 'from-beginning', 'dry-run', 'serve', 'help', 'demo', 'quiet', 'progress', 'dead-letters-to-origin', 'jetstream', 'decoded']);

/** A small, strict argument parser: `--name value`, `--name=value`, boolean flags. */
export function parseArgs(argv: string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const ordered: [string, string | true][] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h') {
      ordered.push(['help', true]);
      flags.set('help', ['true']);
      continue;
    }
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    let value: string | true;
    if (eq > 0) value = a.slice(eq + 1);
    else if (BOOLEAN.has(name)) value = true;
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    ordered.push([name, value]);
    flags.set(name, [...(flags.get(name) ?? []), value === true ? 'true' : value]);
  }
  return { positionals, flags, ordered };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v?.[v.length - 1];
}

export function numberFlag(args: ParsedArgs, name: string): number | undefined {
  const v = flag(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got "${v}"`);
  return n;
}

/**
 * Endpoint options in order: `--topic` belongs to the `--kafka` before it, `--exchange`,
 * `--queue` and `--firehose` to the `--amqp` before them, `--mqtt-topic` and `--mqtt-version`
 * to the `--mqtt`, `--subject` to the `--nats`.
 */
export function endpointSpecs(args: ParsedArgs): EndpointSpec[] {
  const specs: EndpointSpec[] = [];
  let current: EndpointSpec | null = null;
  for (const [name, value] of args.ordered) {
    const v = value === true ? '' : value;
    switch (name) {
      case 'ws-proxy': {
        const m = /^(\d{1,5})=(wss?:\/\/.+)$/i.exec(v);
        if (!m) throw new UsageError(`--ws-proxy takes LISTEN_PORT=ws://target, got "${hideUserinfo(v)}"`);
        specs.push((current = { kind: 'ws-proxy', listenPort: Number(m[1]), target: m[2]! }));
        break;
      }
      case 'mqtt-proxy': {
        const m = /^(\d{1,5})=(mqtts?:\/\/.+)$/i.exec(v);
        if (!m) throw new UsageError(`--mqtt-proxy takes LISTEN_PORT=mqtt://broker:1883, got "${hideUserinfo(v)}"`);
        specs.push((current = { kind: 'mqtt-proxy', listenPort: Number(m[1]), target: m[2]! }));
        break;
      }
      case 'nats-proxy': {
        const m = /^(\d{1,5})=(nats:\/\/.+)$/i.exec(v);
        if (!m) throw new UsageError(`--nats-proxy takes LISTEN_PORT=nats://host:4222, got "${hideUserinfo(v)}"`);
        specs.push((current = { kind: 'nats-proxy', listenPort: Number(m[1]), target: m[2]! }));
        break;
      }
      case 'ws':
        specs.push((current = { kind: 'ws-tap', url: v }));
        break;
      case 'kafka':
        specs.push((current = { kind: 'kafka', brokers: v.split(',').map((s) => s.trim()).filter(Boolean), topics: [] }));
        break;
      case 'topic':
        if (current?.kind !== 'kafka') throw new UsageError('--topic must follow --kafka BROKERS');
        current.topics.push(v);
        break;
      case 'from-beginning':
        if (current?.kind !== 'kafka') throw new UsageError('--from-beginning must follow --kafka BROKERS');
        current.fromBeginning = true;
        break;
      case 'amqp':
        specs.push((current = { kind: 'amqp', url: v, exchanges: [] }));
        break;
      case 'exchange':
        if (current?.kind !== 'amqp') throw new UsageError('--exchange must follow --amqp URL');
        current.exchanges.push(v);
        break;
      case 'queue':
        if (current?.kind !== 'amqp') throw new UsageError('--queue must follow --amqp URL');
        current.queues = [...(current.queues ?? []), v];
        break;
      case 'firehose':
        if (current?.kind !== 'amqp') throw new UsageError('--firehose must follow --amqp URL');
        current.firehose = true;
        break;
      case 'amqp-durable-tap':
        if (current?.kind !== 'amqp') throw new UsageError('--amqp-durable-tap must follow --amqp URL');
        current.durableTap = true;
        break;
      case 'management':
        if (current?.kind !== 'amqp') throw new UsageError('--management must follow --amqp URL');
        current.managementUrl = v === 'off' ? false : v;
        break;
      case 'mqtt':
        specs.push((current = { kind: 'mqtt', url: v, topics: [] }));
        break;
      case 'mqtt-topic':
        if (current?.kind !== 'mqtt') throw new UsageError('--mqtt-topic must follow --mqtt URL');
        current.topics.push(v);
        break;
      case 'mqtt-version':
        if (current?.kind !== 'mqtt') throw new UsageError('--mqtt-version must follow --mqtt URL');
        if (v !== '3.1.1' && v !== '5') throw new UsageError(`--mqtt-version is 3.1.1 or 5, got "${v}"`);
        current.protocolVersion = v === '5' ? 5 : 4;
        break;
      case 'nats':
        specs.push((current = { kind: 'nats', url: v, subjects: [] }));
        break;
      case 'subject':
        if (current?.kind !== 'nats') throw new UsageError('--subject must follow --nats URL');
        current.subjects.push(v);
        break;
      case 'jetstream':
        if (current?.kind !== 'nats') throw new UsageError('--jetstream must follow --nats URL');
        current.jetstream = true;
        break;
      default:
        break;
    }
  }
  for (const s of specs) {
    if (s.kind === 'kafka' && s.topics.length === 0) throw new UsageError('--kafka needs at least one --topic NAME_OR_PATTERN');
    if (s.kind === 'mqtt' && s.topics.length === 0) throw new UsageError("--mqtt needs at least one --mqtt-topic FILTER (e.g. '#')");
    if (s.kind === 'nats' && s.subjects.length === 0) throw new UsageError("--nats needs at least one --subject SUBJECT (e.g. '>')");
  }
  return specs;
}
