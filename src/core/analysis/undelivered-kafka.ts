import type { CapturedMessage, GroupOffset } from '../../shared/model.ts';
import { eventTimeOf } from '../common/event-time.ts';
import type { UndeliveredConfig } from './config.ts';
import { formatDuration, isOwnName } from './identity.ts';
import { NumberColumn } from './number-column.ts';
import { ids } from './topology-ids.ts';
import type { EdgeHint, UndeliveredSink } from './undelivered-sink.ts';

/** Distinct producer node ids remembered for edge attribution. */
const MAX_PRODUCERS = 10_000;
/**
 * Time a record is watched at least after Flowscope saw it, whatever its timestamp says: a
 * producer may stamp records in the past (Kafka Streams and MirrorMaker keep their input's
 * timestamp), and a group commits on its own interval.
 */
const CAPTURE_GRACE_MS = 10_000;
/**
 * The poller hands only what changed, so a topic nobody reads, or whose groups are idle,
 * brings no poll at all: past its window and this much more, message time judges a record
 * with the commits known by then, rather than holding it until a commit moves or the
 * recording ends (issue 12: a ten-minute tail of an unread topic held every record).
 * Longer than a few poll intervals (KAFKA_GROUPS_POLL_MS) and group commit intervals, so
 * where groups commit, the first poll after the window still judges, as it always did.
 */
const QUIET_POLLS_MS = 10_000;
/** Message time judges at most this often (a pass over every partition), not at every message. */
const CLOCK_STEP_MS = 1000;

/**
 * Records of one partition waiting for their window to pass, as parallel number columns
 * (a record costs 40 bytes outside the V8 heap, not an object).
 */
export class PartitionQueue {
  offsets = new NumberColumn();
  seqs = new NumberColumn();
  /** Event time of each record. */
  times = new NumberColumn();
  /** When its window starts (see KafkaUndelivered.ingest). */
  since = new NumberColumn();
  producers = new NumberColumn();
  head = 0;
  /**
   * The furthest commit any group (not Flowscope's own) has made on this partition so far:
   * a record below it was read, and commits only move on, so it is decided consumed as it
   * arrives instead of waiting for its window (issue 12: a catch-up of a topic its groups
   * had read held every record; absent from snapshots of an older build: nothing is skipped).
   */
  covered = -1;
  /** The topic's node id and its "nothing reads it" sentence, made once per partition rather than per record. */
  private names: { node: string; noGroup: string } | null = null;

  constructor(
    readonly endpoint: string,
    readonly topic: string,
    readonly partition: number,
  ) {}

  get size(): number {
    return this.offsets.length - this.head;
  }

  get topicNames(): { node: string; noGroup: string } {
    this.names ??= {
      node: ids.topic(this.endpoint, this.topic),
      noGroup: `No consumer group committed offsets for topic "${this.topic}" during the recording: nothing reads it.`,
    };
    return this.names;
  }

  push(offset: number, seq: number, time: number, since: number, producer: number): void {
    this.offsets.push(offset);
    this.seqs.push(seq);
    this.times.push(time);
    this.since.push(since);
    this.producers.push(producer);
  }

  /** Drops consumed head entries once they are a large share of the arrays. */
  compact(): void {
    if (this.head < 4096 || this.head * 2 < this.offsets.length) return;
    for (const c of [this.offsets, this.seqs, this.times, this.since, this.producers]) c.dropFirst(this.head);
    this.head = 0;
  }
}

/**
 * Kafka: a record is undelivered when, past the window, no consumer group had committed an
 * offset beyond it on its partition, or its topic has no consumer group at all. Committed
 * offsets come from the polls stored in the session (group_offsets); a record is judged at
 * the first poll at least `kafkaWindowMs` after it was written (its event time, or its
 * capture if that came first) and at least CAPTURE_GRACE_MS after it was captured, with the
 * latest commit of every group. So a history read judges old records with the commits of
 * now, as a live recording judged them when their window passed. A record no such poll
 * comes for (nothing reads the topic, or its groups stopped committing: the poller hands
 * only changes) is judged once message time is QUIET_POLLS_MS past its window, with the
 * commits known then. Flowscope's own groups are ignored.
 */
export class KafkaUndelivered {
  private readonly partitions = new Map<string, PartitionQueue>();
  /** endpoint\0topic → partition → group → committed (next offset to read). */
  private readonly committed = new Map<string, Map<number, Map<string, number>>>();
  private readonly producerNames: string[] = [];
  private readonly producerIndex = new Map<string, number>();
  private pollClock = -Infinity;
  /** The queue the last record went to (absent from snapshots of an older build: read as null). */
  private lastQueue: PartitionQueue | null = null;
  /** The message time waiting records were last judged at (see QUIET_POLLS_MS). */
  private clockJudged = -Infinity;
  /** The last producer interned and its index (absent from snapshots of an older build: read as none). */
  private lastProducer: { name: string; index: number } | null = null;

  constructor(
    private readonly cfg: UndeliveredConfig,
    private readonly sink: UndeliveredSink,
  ) {}

  get waiting(): number {
    let n = 0;
    for (const q of this.partitions.values()) n += q.size;
    return n;
  }

  ingest(m: CapturedMessage & { seq: number }, producer: string | null): void {
    if (m.event !== 'publish' || m.destKind !== 'topic' || m.offset === null || m.offset === undefined) return;
    const partition = m.partition ?? 0;
    // A catch-up reads a partition's records one after another: the last queue is most often this one.
    let q: PartitionQueue | null | undefined = this.lastQueue;
    if (!q || q.partition !== partition || q.topic !== m.destination || q.endpoint !== m.endpoint) {
      const key = `${m.endpoint}\0${m.destination}\0${partition}`;
      q = this.partitions.get(key);
      if (!q) {
        this.partitions.set(key, (q = new PartitionQueue(m.endpoint, m.destination, partition)));
        for (const o of this.committed.get(`${m.endpoint}\0${m.destination}`)?.get(partition)?.values() ?? []) q.covered = Math.max(q.covered, o);
      }
      this.lastQueue = q;
    }
    const offset = Number(m.offset);
    // Judged now as it would be at its window: the furthest commit then is at least this one.
    if (offset < q.covered) return;
    const time = eventTimeOf(m);
    const grace = Math.min(this.cfg.kafkaWindowMs, CAPTURE_GRACE_MS);
    const since = Math.max(Math.min(time, m.time), m.time + grace - this.cfg.kafkaWindowMs);
    q.push(offset, m.seq, time, since, this.intern(producer));
  }

  addOffsets(rows: readonly GroupOffset[]): void {
    for (const r of rows) {
      if (r.time > this.pollClock) this.pollClock = r.time;
      if (isOwnName(r.groupId, this.cfg.ownPrefixes)) continue;
      const key = `${r.endpoint}\0${r.topic}`;
      let parts = this.committed.get(key);
      if (!parts) this.committed.set(key, (parts = new Map()));
      let groups = parts.get(r.partition);
      if (!groups) parts.set(r.partition, (groups = new Map()));
      const offset = Number(r.offset);
      // -1: the group knows the topic but has no commit on this partition yet.
      groups.set(r.groupId, Math.max(groups.get(r.groupId) ?? -1, offset));
      const q = this.partitions.get(`${key}\0${r.partition}`);
      if (q) q.covered = Math.max(q.covered ?? -1, offset);
    }
    this.judgeUpTo(this.pollClock - this.cfg.kafkaWindowMs, false, this.pollClock);
  }

  /**
   * Message time reached `time` (messages in seq order, live or read from the file, never
   * the wall clock: the answer must not depend on when a view was read). Records past their
   * window by QUIET_POLLS_MS are judged with the commits known now, so the queue holds a
   * window's worth of records, not the recording.
   */
  passed(time: number): void {
    if (time < this.clockJudged + CLOCK_STEP_MS) return;
    this.clockJudged = time;
    this.judgeUpTo(time - this.cfg.kafkaWindowMs - QUIET_POLLS_MS, false, time);
  }

  /** The recording ended: judge every waiting record with the commits known now. */
  finish(end: number): void {
    const last = Math.max(end, this.pollClock);
    this.judgeUpTo(Infinity, true, last);
  }

  private judgeUpTo(cutoff: number, atEnd: boolean, now: number): void {
    for (const q of this.partitions.values()) {
      if (q.head >= q.offsets.length || q.since.at(q.head) > cutoff) continue;
      const parts = this.committed.get(`${q.endpoint}\0${q.topic}`);
      const edges = new EdgesOf(q, this.producerNames);
      while (q.head < q.offsets.length && q.since.at(q.head) <= cutoff) {
        const h = q.head;
        const since = q.since.at(h);
        this.judge(q, parts, edges, q.offsets.at(h), q.seqs.at(h), q.times.at(h), since, q.producers.at(h), atEnd && now - since < this.cfg.kafkaWindowMs, now);
        q.head += 1;
      }
      q.compact();
    }
  }

  private judge(
    q: PartitionQueue,
    parts: Map<number, Map<string, number>> | undefined,
    edgesOf: EdgesOf,
    offset: number,
    seq: number,
    time: number,
    since: number,
    producer: number,
    atEnd: boolean,
    now: number,
  ): void {
    const groups = parts?.get(q.partition);
    const names = q.topicNames;
    const edges = edgesOf.of(producer);
    if (!parts || parts.size === 0) {
      // Every record of a catch-up on a topic nobody reads comes here: one literal, no spread.
      this.sink.add(
        { seq, time, transport: 'kafka', endpoint: q.endpoint, destination: q.topic, atEnd, reason: 'no-consumer-group', explanation: names.noGroup },
        edges,
      );
      return;
    }
    const base = { seq, time, transport: 'kafka' as const, endpoint: q.endpoint, destination: q.topic, atEnd };
    let best = -1;
    let bestGroup: string | null = null;
    for (const [g, o] of groups ?? []) {
      if (o > best) {
        best = o;
        bestGroup = g;
      }
    }
    if (best > offset) return;
    const when = atEnd ? `by the end of the recording (${formatDuration(Math.max(0, now - since))} later)` : `within ${formatDuration(this.cfg.kafkaWindowMs)}`;
    const furthest =
      bestGroup === null
        ? `no group has committed anything on partition ${q.partition}`
        : best < 0
          ? `group "${bestGroup}" has not committed on partition ${q.partition}`
          : `the furthest group, "${bestGroup}", had committed offset ${best} on partition ${q.partition} (the next it would read)`;
    this.sink.add({ ...base, reason: 'not-consumed', explanation: `No consumer group read offset ${offset} ${when}: ${furthest}.` }, edges);
  }

  private intern(name: string | null): number {
    if (name === null) return -1;
    // A partition's records mostly share their producer: the same name as the last record's is its index.
    const last = this.lastProducer;
    if (last != null && last.name === name) return last.index;
    let i = this.producerIndex.get(name);
    if (i === undefined) {
      if (this.producerNames.length >= MAX_PRODUCERS) return -1;
      i = this.producerNames.length;
      this.producerNames.push(name);
      this.producerIndex.set(name, i);
    }
    this.lastProducer = { name, index: i };
    return i;
  }
}

/**
 * The topology edge hints of one partition's judged records, one array per producer: a
 * partition's records mostly share their producer, and the sink only reads the hints.
 */
class EdgesOf {
  private producer = -2;
  private edges: EdgeHint[] = [];

  constructor(
    private readonly q: PartitionQueue,
    private readonly names: readonly string[],
  ) {}

  of(producer: number): EdgeHint[] {
    if (producer !== this.producer) {
      this.producer = producer;
      this.edges = producer >= 0 ? [[this.names[producer]!, this.q.topicNames.node]] : [];
    }
    return this.edges;
  }
}
