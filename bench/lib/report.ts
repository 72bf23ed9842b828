/**
 * What a figure reports and how BENCHMARKS.md is written. Each figure owns one section of
 * the file, between markers, so running one figure alone (`npm run bench -- ws`) replaces its
 * own section and keeps the others from their last run; every section names the machine,
 * the date and the mode it was measured with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './proc.ts';

export interface FigureContext {
  /** BENCH_QUICK=1: small N, short soak, to check the harness end to end. */
  quick: boolean;
  /** A scratch directory, removed after the run. */
  dir: string;
}

export interface Figure {
  name: string;
  /** The reference measured in the same run, with its number. */
  reference: string;
  /** Flowscope's number. */
  ours: string;
  /** Ours relative to the reference (>1 is better for rates); null when it has no meaning. */
  ratio: number | null;
  /** What the issue asks for, when it asks for something. */
  target?: string;
  command: string;
}

export function rate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}

export function machine(): string {
  const cpus = os.cpus();
  const ram = (os.totalmem() / 1024 ** 3).toFixed(1);
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), ${ram} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function table(figures: Figure[]): string {
  const rows = figures.map(
    (f) =>
      `| ${f.name} | ${f.reference} | ${f.ours} | ${f.ratio === null ? '–' : `${f.ratio.toFixed(2)}×`} | ${f.target ?? '–'} | \`${f.command}\` |`,
  );
  return ['| figure | reference (same run) | Flowscope | ratio | target | reproduce |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

const FILE = path.join(ROOT, 'BENCHMARKS.md');

const HEADER = `# Flowscope benchmarks

Written by \`npm run bench\` (all figures) or \`npm run bench -- NAME\` (one figure; the
others keep their last run). Each figure is measured beside a reference in the same run and
reported as a ratio, because absolute numbers on a shared machine mean little.
\`BENCH_QUICK=1\` runs every figure small (a harness check, not a measurement).

## Before (issue 12's baseline, 2-core machine, 200-byte records, 3 partitions)

| figure | reference | Flowscope then |
|---|---|---|
| Kafka catch-up, 200,000 records | kcat -C to /dev/null ~300k/s; bare kafkajs \`eachBatch\` that counts 220k–350k/s | \`record --from-beginning\` 27k–37k/s (0.09–0.16× kcat) |
| peak RSS, recording a 990,000-record catch-up | – | 1.5 GB |
| reopening that session: pairs on screen / \`inspect --json\` | – | 29 s / 34 s, the analysis is redone at every open |
| WebSocket proxy, 60,000 echo round trips, 256 in flight, client, proxy and server in separate processes | direct 55k–77k/s | 13k–20k/s (0.22–0.29×) |
| \`flowscope --help\` (TypeScript compiled by tsx at every start) | – | 0.85 s, plus 0.85 s for npx |
| RabbitMQ fanout tap vs bare amqplib consumer, 50,000 messages | ~6k/s (broker-bound) | 0.98–1.06× (holds) |
`;

/**
 * Replaces (or adds) the section of one figure group in BENCHMARKS.md; sections are kept in
 * `order` (the run's order of figures), whichever ran last.
 */
export function writeSection(key: string, title: string, figures: Figure[], notes: string[], quick: boolean, order: string[]): void {
  const old = fs.existsSync(FILE) ? fs.readFileSync(FILE, 'utf8') : HEADER;
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const body = [
    `<!-- figure:${key} -->`,
    `## ${title}`,
    '',
    `Measured ${when}${quick ? ' in quick mode (BENCH_QUICK=1: small N, not a measurement)' : ''} on ${machine()}.`,
    '',
    table(figures),
    ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
    `<!-- /figure:${key} -->`,
  ].join('\n');
  const sections = new Map<string, string>();
  const re = /<!-- figure:([\w-]+) -->[\s\S]*?<!-- \/figure:\1 -->/g;
  for (const m of old.matchAll(re)) sections.set(m[1]!, m[0]);
  sections.set(key, body);
  const first = old.search(/<!-- figure:/);
  const head = (first >= 0 ? old.slice(0, first) : old).trimEnd();
  const rank = (k: string): number => (order.includes(k) ? order.indexOf(k) : order.length);
  const keys = [...sections.keys()].sort((a, b) => rank(a) - rank(b));
  fs.writeFileSync(FILE, `${head}\n\n${keys.map((k) => sections.get(k)).join('\n\n')}\n`);
}
