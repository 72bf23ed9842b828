import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startKafka } from '../../scripts/kafka/index.ts';

/**
 * Test helpers for real-broker Kafka tests. Brokers come from KAFKA_BROKERS (set by
 * scripts/test.ts); without it the shared dev broker on 9092 is started with
 * scripts/kafka (idempotent) and left running for the next test run.
 */
export async function kafkaBrokers(): Promise<string[]> {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS.split(',').map((b) => b.trim());
  const { brokers } = await startKafka({ port: 9092 });
  process.env.KAFKA_BROKERS = brokers;
  return [brokers];
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
}

/** A quiet kafkajs admin client, connected. */
export async function adminClient(brokers: string[]): Promise<Admin> {
  const admin = new Kafka({ brokers, clientId: 'flowscope-test', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return admin;
}

export async function createTopic(admin: Admin, topic: string, numPartitions = 1): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
}

export async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  await admin.deleteTopics({ topics }).catch(() => undefined);
}

/** Committed offsets of `groupId` on `topic`, partition → offset ('-1' when none). */
export async function committed(admin: Admin, groupId: string, topic: string): Promise<Record<number, string>> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Object.fromEntries((t?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

export interface KcatProduceOptions {
  brokers: string[];
  topic: string;
  /** File of newline-separated `key<delim>value` lines (or values, without `keyDelimiter`). */
  file: string;
  keyDelimiter?: string;
  /** Headers added to every message; a repeated name gives a repeated header. */
  headers?: [string, string][];
  compression?: 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'none';
  /** Fixed partition; by default the key decides (librdkafka's consistent_random partitioner). */
  partition?: number;
  /** Extra librdkafka properties (-X name=value). */
  props?: Record<string, string>;
}

/** Produces every line of a file with kcat (librdkafka) and resolves once all are acknowledged. */
export function kcatProduce(o: KcatProduceOptions): Promise<void> {
  const args = ['-P', '-b', o.brokers.join(','), '-t', o.topic, '-l', '-X', 'acks=all'];
  if (o.keyDelimiter) args.push('-K', o.keyDelimiter);
  for (const [k, v] of o.headers ?? []) args.push('-H', `${k}=${v}`);
  if (o.compression) args.push('-z', o.compression);
  if (o.partition !== undefined) args.push('-p', String(o.partition));
  for (const [k, v] of Object.entries(o.props ?? {})) args.push('-X', `${k}=${v}`);
  args.push(o.file);
  return run('kcat', args);
}

/** Starts kcat as a balanced consumer in `groupId` that commits what it reads. Stop it with SIGTERM. */
export function kcatGroupConsumer(brokers: string[], groupId: string, topic: string): ChildProcess {
  return spawn(
    'kcat',
    ['-b', brokers.join(','), '-G', groupId, '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=200', '-q', '-u', topic],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Writes `key:value` lines for `n` messages and returns the expected pairs. */
export function writeKeyedLines(file: string, n: number, make: (i: number) => [string, string]): Map<string, string> {
  const expected = new Map<string, string>();
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const [k, v] = make(i);
    expected.set(k, v);
    lines.push(`${k}:${v}`);
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return expected;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}
