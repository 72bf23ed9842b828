import crypto from 'node:crypto';
import v8 from 'node:v8';
import zlib from 'node:zlib';
import type { AnalysisConfig } from './config.ts';
import { DeadlineHeap } from './deadline-heap.ts';
import { DestinationTally } from './destination-tally.ts';
import { TimelineTally } from './timeline-tally.ts';
import { FifoMap } from './fifo-map.ts';
import { LatencyHistogram } from './histogram.ts';
import { NumberColumn, usedPart } from './number-column.ts';
import { PairBook } from './pair-book.ts';
import { Connections, ReplyNames } from './pair-names.ts';
import { PairOutcomes } from './pair-outcomes.ts';
import { Interner } from './pair-seen.ts';
import { DestinationTable, PairStore } from './pair-store.ts';
import { PairTracker } from './pairing.ts';
import { RateMeter } from './rate.ts';
import { TopologyBuilder } from './topology.ts';
import { NodeRegistry } from './topology-nodes.ts';
import { AmqpUndelivered } from './undelivered-amqp.ts';
import { KafkaUndelivered, PartitionQueue } from './undelivered-kafka.ts';
import { UndeliveredSink } from './undelivered-sink.ts';
import { NatsUndelivered } from './undelivered-nats.ts';
import { UndeliveredTracker } from './undelivered.ts';
import { WsUndelivered } from './undelivered-ws.ts';
import { MqttUndelivered } from './undelivered-mqtt.ts';

/**
 * The analysis state as bytes, so a session file can keep the analysis its recording
 * computed and a reopen resumes it instead of reading every message again (issue 12).
 *
 * The whole object graph goes through one `v8.serialize`, which keeps shared references
 * shared (a waiting request is at once in the open map, the deadline heap and the queue of
 * provisional decisions; pairing compares them by identity) and every raw field as it is
 * (FifoMap queues with their stale slots, heaps, typed arrays, ±Infinity). Only two things
 * do not survive: functions (the parts' callbacks, detached while serialising and wired
 * again by AnalysisState) and class prototypes, which `revive` sets again along the known
 * shape of the state. A new class-valued field in any part must be added there and bump
 * ANALYSIS_FORMAT; test/unit/analysis-snapshot.test.ts walks a revived state and fails on
 * any object whose prototype differs from the original's.
 */

/** Bump whenever a part of the analysis state changes shape or meaning: older snapshots are then recomputed. */
export const ANALYSIS_FORMAT = 6;

/** Identifies the settings a snapshot was computed with: another config means recomputing. */
export function configDigest(config: AnalysisConfig): string {
  return crypto.createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 32);
}

/** Serialises `graph` (the state's fields, callbacks detached by the caller) into compressed bytes. */
export function encodeGraph(graph: unknown): Buffer {
  // Level 1: the snapshot is written at checkpoints while recording, so speed beats size.
  // The zlib wrapper, not raw deflate: its Adler-32 of the serialised bytes makes a damaged
  // snapshot fail to inflate. Raw deflate has no check, and a flipped byte could inflate to
  // bytes v8 still deserialises (a state whose MQTT part moved the test's flip there did).
  const out = new SnapshotSerializer();
  out.writeHeader();
  out.writeValue(graph);
  return zlib.deflateSync(out.releaseBuffer(), { level: 1 });
}

/**
 * `v8.serialize`'s own serializer (Node's DefaultSerializer, which writes a typed array as
 * its view's bytes, not its whole buffer), given only the used part of each NumberColumn.
 * What it writes reads back with `v8.deserialize` like any typed array, so snapshots from
 * before it still open and need no new ANALYSIS_FORMAT.
 */
class SnapshotSerializer extends v8.DefaultSerializer {
  _writeHostObject(view: NodeJS.ArrayBufferView): void {
    writeView.call(this, usedPart(view));
  }
}

/** Node's own `_writeHostObject` (not in @types/node, which leaves it to subclasses). */
const writeView = (v8.DefaultSerializer.prototype as unknown as { _writeHostObject(this: v8.Serializer, view: NodeJS.ArrayBufferView): void })._writeHostObject;

/** The plain graph back from `encodeGraph`; throws on damaged bytes. */
export function decodeGraph(bytes: Uint8Array): unknown {
  return v8.deserialize(zlib.inflateSync(bytes));
}

type Obj = Record<string, unknown>;

function as<T extends object>(o: unknown, cls: { prototype: T }): Obj {
  if (o === null || typeof o !== 'object') throw new Error('analysis snapshot: a part is missing');
  Object.setPrototypeOf(o, cls.prototype);
  return o as Obj;
}

function mapValues(m: unknown): Iterable<unknown> {
  if (!(m instanceof Map)) throw new Error('analysis snapshot: a map is missing');
  return m.values();
}

/**
 * Gives the parts of a deserialised state (`fields`: the AnalysisState's own fields) their
 * classes again. Throws when the shape is not the expected one (a damaged or foreign snapshot).
 */
export function revive(fields: Obj): void {
  as(fields.destinations, DestinationTally);
  as(fields.timeline, TimelineTally);
  const pairs = as(fields.pairs, PairTracker);
  reviveOutcomes(book(pairs).out);
  const und = as(fields.undelivered, UndeliveredTracker);
  as(und.sink, UndeliveredSink);
  const amqp = as(und.amqp, AmqpUndelivered);
  for (const k of ['pending', 'returned', 'unroutable', 'deaths', 'deliveredFrom', 'verdicts']) as(amqp[k], FifoMap);
  const kafka = as(und.kafka, KafkaUndelivered);
  for (const q of mapValues(kafka.partitions)) {
    const queue = as(q, PartitionQueue);
    for (const k of ['offsets', 'seqs', 'times', 'since', 'producers']) as(queue[k], NumberColumn);
  }
  as(as(und.ws, WsUndelivered).closed, FifoMap);
  as(und.mqtt, MqttUndelivered);
  const nats = as(und.nats, NatsUndelivered);
  for (const k of ['requests', 'stored']) as(nats[k], FifoMap);
  reviveTopology(fields.topology);
}

/** The same for kept results (AnalysisState.saveResults): what the views read, nothing else. */
export function reviveResults(fields: Obj): void {
  as(fields.destinations, DestinationTally);
  as(fields.timeline, TimelineTally);
  reviveOutcomes(fields.outcomes);
  as(fields.sink, UndeliveredSink);
  reviveTopology(fields.topology);
}

function book(pairs: Obj): Obj {
  as(pairs.names, Interner);
  const book = as(pairs.book, PairBook);
  for (const k of ['open', 'early', 'closed', 'decidedFirst']) as(book[k], FifoMap);
  as(book.deadlines, DeadlineHeap);
  as(as(book.connections, Connections).closed, FifoMap);
  as(as(book.replyNames, ReplyNames).names, FifoMap);
  return book;
}

function reviveOutcomes(o: unknown): void {
  const out = as(o, PairOutcomes);
  as(out.overall, LatencyHistogram);
  as(out.list, PairStore);
  const dests = as(out.dests, DestinationTable);
  for (const d of mapValues(dests.rows)) as((d as Obj).hist, LatencyHistogram);
}

function reviveTopology(t: unknown): void {
  const topo = as(t, TopologyBuilder);
  const reg = as(topo.reg, NodeRegistry);
  as(reg.alias, FifoMap);
  for (const sc of mapValues(reg.scopes)) as((sc as Obj).clients, FifoMap);
  for (const e of mapValues(topo.edges)) as((e as Obj).rate, RateMeter);
}
