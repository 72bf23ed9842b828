import path from 'node:path';
import { UsageError, parseArgs } from '../args.ts';
import { analysisOptions, createEngine, progressLine, schemaRegistryOption } from '../context.ts';
import type { Engine } from '../../core/engine/engine.ts';
import { asSessionFileError } from '../../core/store/session-store.ts';
import { forTerminal, jsonForTerminal } from '../terminal.ts';
import { GAP_REASON_TEXT, gapLostText, gapSeconds } from '../../shared/gaps.ts';

/**
 * `flowscope inspect FILE [--json] [--progress]`: what a session holds, its pairs,
 * undelivered and topology. The analysis of a big file takes a while: its progress goes to
 * stderr on a terminal (or with --progress), so stdout stays the report alone.
 */
export async function inspect(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const file = args.positionals[0];
  if (!file) throw new UsageError('inspect needs a session FILE');
  const engine = createEngine('bridge', false, analysisOptions(args));
  const showProgress = args.flags.has('progress') || (process.stderr.isTTY && !args.flags.has('quiet'));
  const stopProgress = showProgress ? reportProgress(engine) : (_complete: boolean) => undefined;
  try {
    const session = engine.openSession(path.resolve(file));
    // Correlation paths may read fields of payloads whose schemas are in the Schema Registry.
    const fetched = await session.fetchSchemas(schemaRegistryOption(args) ?? undefined);
    if (fetched.unreachable) console.error(forTerminal(`flowscope: ${fetched.unreachable}; correlation paths cannot read the fields of messages framed with its schema ids`));
    const analysis = await session.analysisRead();
    stopProgress(analysis.state === 'ready');
    if (analysis.state === 'failed') throw new Error(`the analysis of ${file} failed: ${analysis.message}`);
    const info = session.info();
    const destinations = session.destinations();
    const summary = await engine.call('renderer:analysis:summary', { sessionId: session.id });
    const report = {
      file: info.path,
      flowscopeVersion: info.flowscopeVersion,
      createdAt: info.createdAt,
      notes: info.notes,
      messages: info.messageCount,
      timeRange: {
        first: isoTime(info.firstTime),
        last: isoTime(info.lastTime),
      },
      endpoints: info.endpoints.map((e) => ({ id: e.id, transport: e.transport, label: e.label, lastStatus: e.detail })),
      destinations: destinations.map((d) => ({
        transport: d.transport,
        kind: d.destKind,
        destination: d.destination,
        count: d.count,
        bytes: d.bytes,
      })),
      gaps: session.store.gaps().map((g) => ({
        endpoint: g.endpoint,
        start: isoTime(g.start),
        end: isoTime(g.end),
        startMs: g.start,
        endMs: g.end,
        lost: g.lost,
        reason: g.reason,
        detail: g.detail,
      })),
      pairs: summary.pairs,
      undelivered: summary.undelivered,
      topology: summary.topology,
    };
    if (args.flags.has('json')) {
      console.log(jsonForTerminal(report));
      return 0;
    }
    const lines = [
      `${report.file}`,
      `  ${report.messages} messages, ${report.timeRange.first ?? '-'} → ${report.timeRange.last ?? '-'}`,
      `  endpoints: ${report.endpoints.map((e) => e.label).join('; ') || '-'}`,
      `  gaps: ${report.gaps.length ? '' : 'none'}`,
      ...session.store.gaps().map(
        (g) =>
          `    ${isoTime(g.start) ?? '-'} → ${isoTime(g.end) ?? '-'} (${gapSeconds(g)})  ${g.endpoint ?? 'session'}  ${GAP_REASON_TEXT[g.reason]}: ${gapLostText(g)}` +
          (g.detail ? ` (${g.detail})` : ''),
      ),
      '  destinations:',
      ...report.destinations.slice(0, 50).map((d) => `    ${String(d.count).padStart(8)}  ${d.transport}/${d.kind}  ${d.destination}`),
      `  request→reply: ${summary.pairs.matched} matched, ${summary.pairs.unanswered} unanswered, ${summary.pairs.orphans} orphan replies` +
        (summary.pairs.latencyMs.count
          ? `; latency p50 ${fmt(summary.pairs.latencyMs.p50)} p95 ${fmt(summary.pairs.latencyMs.p95)} p99 ${fmt(summary.pairs.latencyMs.p99)} max ${fmt(summary.pairs.latencyMs.max)}`
          : ''),
      `  undelivered: ${summary.undelivered.total}` +
        (summary.undelivered.total
          ? ` (${Object.entries(summary.undelivered.byReason).map(([r, n]) => `${r} ${n}`).join(', ')})`
          : ''),
      `  topology: ${summary.topology.nodes.length} nodes, ${summary.topology.edges.length} edges`,
    ];
    console.log(forTerminal(lines.join('\n')));
    return 0;
  } catch (err) {
    throw asSessionFileError(err, path.resolve(file));
  } finally {
    stopProgress(false);
    await engine.shutdown();
  }
}

/** ISO 8601, or the raw number for a time no calendar shows (a session from an unvalidated import). */
function isoTime(ms: number | null): string | null {
  if (ms === null) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms} (not a valid time)` : d.toISOString();
}

/** Prints the analysis progress events on stderr until the returned function is called. */
function reportProgress(engine: Engine): (complete: boolean) => void {
  const line = progressLine();
  const start = Date.now();
  let total: number | null = null;
  const off = engine.onEvent((msg) => {
    if (msg.event !== 'main:analysis:progress') return;
    const status = msg.payload.analysis;
    if (status.state !== 'running') return;
    total = status.total;
    const pct = status.total > 0 ? Math.floor((status.done / status.total) * 100) : 100;
    line.update(`analysing… ${count(status.done)} of ${count(status.total)} messages (${pct}%)`);
  });
  let stopped = false;
  return (complete) => {
    if (stopped) return;
    stopped = true;
    off();
    if (total === null) return;
    if (!complete) line.done();
    else line.done(`analysed ${count(total)} messages in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  };
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function fmt(ms: number | null): string {
  return ms === null ? '-' : `${ms.toFixed(1)}ms`;
}
