import path from 'node:path';
import { UsageError, flag, parseArgs } from '../args.ts';
import { SessionStore } from '../../core/store/session-store.ts';
import { Replayer, targetLabel } from '../../core/replay/index.ts';
import { createProgressPrinter, formatPlan, formatReport, parseMapArgs, parseSpeed } from '../replay-format.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import type { DeadLetterNarrowing } from '../../core/replay/types.ts';
import { forTerminal } from '../terminal.ts';

/**
 * `flowscope replay FILE --to URL [--speed N|max] [--map FROM=TO]… [--destination NAME]…
 * [--from ISO] [--to-time ISO] [--dry-run]`: re-publishes a saved session onto a broker.
 * With `--dead-letters-to-origin [--dead-letter-queue Q] [--dead-letter-reason R]` it sends
 * the dead-lettered AMQP copies back where they were first published (as fast as the broker
 * takes them unless --speed says otherwise).
 */
export async function replay(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const file = args.positionals[0];
  const to = flag(args, 'to');
  if (!file) throw new UsageError('replay needs a session FILE');
  if (!to) throw new UsageError('replay needs --to URL (kafka://, amqp(s)://, ws(s)://, mqtt(s)://, nats://)');
  const toOrigin = args.flags.has('dead-letters-to-origin');
  const deadLetters = toOrigin ? deadLetterNarrowing(args) : undefined;
  if (!toOrigin && (args.flags.has('dead-letter-queue') || args.flags.has('dead-letter-reason'))) {
    throw new UsageError('--dead-letter-queue and --dead-letter-reason go with --dead-letters-to-origin');
  }
  let speed;
  let map;
  try {
    speed = toOrigin && !args.flags.has('speed') ? 'max' : parseSpeed(flag(args, 'speed'));
    map = parseMapArgs(args.flags.get('map') ?? []);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const filter: MessageFilter = {};
  const destinations = args.flags.get('destination');
  if (destinations?.length) filter.destinations = destinations;
  const from = flag(args, 'from');
  const until = flag(args, 'until');
  if (from) filter.fromTime = parseTime(from, '--from');
  if (until) filter.toTime = parseTime(until, '--until');
  const dryRun = args.flags.has('dry-run');

  const store = SessionStore.open(path.resolve(file), { readonly: true });
  const label = targetLabel(to);
  const printer = createProgressPrinter(label);
  const replayer = new Replayer(store, {
    to,
    speed,
    map,
    filter,
    dryRun,
    ...(deadLetters ? { deadLettersToOrigin: deadLetters } : {}),
    onProgress: (p) => printer.update(p),
    ...(dryRun ? { onPlan: (p) => console.log(forTerminal(formatPlan(p))) } : {}),
  });
  const onSignal = () => replayer.cancel();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await replayer.run();
    printer.end();
    console.error(forTerminal(formatReport(report, '')));
    return report.state === 'done' ? 0 : report.state === 'cancelled' ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    store.close();
  }
}

const REASONS = ['expired', 'rejected', 'maxlen', 'delivery_limit'];

function deadLetterNarrowing(args: ReturnType<typeof parseArgs>): DeadLetterNarrowing {
  const queue = flag(args, 'dead-letter-queue');
  const reason = flag(args, 'dead-letter-reason');
  if (reason !== undefined && !REASONS.includes(reason)) {
    throw new UsageError(`--dead-letter-reason is one of ${REASONS.join(', ')} (RabbitMQ's x-death reasons), not "${reason}"`);
  }
  return { ...(queue ? { queue } : {}), ...(reason ? { reason } : {}) };
}

function parseTime(text: string, name: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${name} takes an ISO 8601 time, got "${text}"`);
  return t;
}
