import { connect } from 'nats';
import type { ConnectionOptions, NatsConnection } from 'nats';
import type { CaptureSink, Connector } from '../types.ts';
import type { Discovery } from '../../../shared/discovery.ts';
import { Backoff } from '../../common/backoff.ts';
import { NATS_MAX_PENDING_INBOXES, NATS_RECONNECT } from '../../common/constants.ts';
import { BadInputError, type FlowscopeError } from '../../common/errors.ts';
import { hideUserinfo, maskPassword } from '../../common/redact.ts';
import { natsError } from './errors.ts';
import { InboxBook, natsFields, natsRecord } from './record.ts';
import { EarlyAcks } from './early-acks.ts';
import { TapReconnect } from '../reconnect.ts';
import { endpointUrl } from '../endpoint-url.ts';

export interface NatsTapOptions {
  id: string;
  /** nats://[user:pass@|token@]host:4222, or tls://… */
  url: string;
  /** Subjects, `*` and `>` allowed. */
  subjects: string[];
  /** Also record the JetStream advisories of messages that will never be processed (max deliveries, terminated). */
  jetstream?: boolean;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * A NATS subscriber that records every message published on its subjects, with headers and
 * reply subjects. Core NATS delivers to every matching subscription, so the tap sees what
 * other clients publish without changing it — with one exception worth knowing: while the
 * tap listens on a request's subject, the server counts it as a responder and never sends
 * that requester a 503 "no responders". Reconnects itself with backoff.
 */
export class NatsTapConnector implements Connector {
  readonly transport = 'nats' as const;
  readonly id: string;
  private nc: NatsConnection | null = null;
  private stopped = true;
  private readonly backoff: Backoff;
  private readonly reconnect: TapReconnect;
  private connections = 0;
  private readonly where: string;
  private readonly secrets: (string | null)[];
  private readonly options: ConnectionOptions;
  private readonly inboxes = new InboxBook(NATS_MAX_PENDING_INBOXES);
  /** PubAcks waiting for the publish they answer, on the current connection (early-acks.ts). */
  private early: EarlyAcks | null = null;

  constructor(
    private readonly opts: NatsTapOptions,
    private readonly sink: CaptureSink,
  ) {
    this.id = opts.id;
    const u = endpointUrl(opts.url, 'NATS URL', 'nats://host:4222');
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:') throw new BadInputError(`NATS URL "${hideUserinfo(opts.url)}" must start with nats:// or tls://`);
    if (opts.subjects.length === 0) throw new BadInputError('a NATS tap needs at least one subject (e.g. > for every subject)');
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    this.where = maskPassword(opts.url);
    this.secrets = [pass || null, !pass && user ? user : null];
    this.options = {
      servers: `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || '4222'}`,
      name: 'flowscope-tap',
      reconnect: false,
      ...(u.protocol === 'tls:' ? { tls: {} } : {}),
      // nats://token@host carries a token; nats://user:pass@host a user and password.
      ...(user && pass ? { user, pass } : user ? { token: user } : {}),
    };
    this.backoff = new Backoff({ initialMs: opts.minBackoffMs ?? NATS_RECONNECT.initialMs, maxMs: opts.maxBackoffMs ?? NATS_RECONNECT.maxMs });
    // Core NATS keeps nothing for a subscriber that is away.
    this.reconnect = new TapReconnect(this.backoff, sink, 'messages published on its subjects');
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.backoff.reset();
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reconnect.cancel();
    this.reconnect.recovered();
    const nc = this.nc;
    this.nc = null;
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
    // A PubAck still waiting for its publish is recorded before the tap says it stopped.
    this.early?.flush();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const connection = `c${++this.connections}`;
    if (this.backoff.attempts === 0) this.sink.status('connecting', `connecting to ${this.where}`);
    let nc: NatsConnection;
    try {
      nc = await connect(this.options);
    } catch (err) {
      this.onFailure(natsError(err, this.where, this.secrets), false);
      return;
    }
    if (this.stopped) {
      await nc.close().catch(() => undefined);
      return;
    }
    this.nc = nc;
    let failure: FlowscopeError | null = null;
    let recording = false;
    const early = new EarlyAcks(this.inboxes, (f) => this.sink.message(natsRecord(this.id, connection, f, this.inboxes)));
    this.early = early;
    try {
      for (const subject of [...this.opts.subjects, ...(this.opts.jetstream ? advisoriesToAdd(this.opts.subjects) : [])]) {
        nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err) failure = natsError(err, this.where, this.secrets);
            else early.receive(natsFields(msg));
          },
        });
      }
      // The server has the subscriptions once it answers the PING that flush sends.
      await nc.flush();
    } catch (err) {
      failure = natsError(err, this.where, this.secrets);
    }
    void nc.closed().then((err) => {
      early.flush();
      if (this.nc === nc) this.nc = null;
      if (this.stopped) return;
      const why = err ? natsError(err, this.where, this.secrets) : (failure ?? null);
      if (recording) this.reconnect.lost(why?.message ?? 'the server closed the connection');
      this.onFailure(why, true);
    });
    if (failure && !nc.isClosed()) {
      await nc.close().catch(() => undefined);
      return;
    }
    this.backoff.reset();
    recording = true;
    this.reconnect.recovered();
    this.sink.status('recording', `subscribed to ${this.opts.subjects.join(', ')} on ${this.where}`);
    if (this.opts.jetstream) void this.discover().then((d) => this.sink.discovery?.(d), () => undefined);
  }

  /** The JetStream streams and their consumers (none when JetStream is off or not allowed). */
  async discover(): Promise<Discovery> {
    const nc = this.nc;
    const facts: Discovery = { endpoint: this.id, time: Date.now(), source: 'jetstream', streams: [] };
    if (!nc) return facts;
    const jsm = await nc.jetstreamManager();
    for await (const si of jsm.streams.list()) {
      const consumers = [];
      for await (const ci of jsm.consumers.list(si.config.name)) {
        consumers.push({ name: ci.name, maxDeliver: ci.config.max_deliver ?? -1, pending: ci.num_pending, ackPending: ci.num_ack_pending, redelivered: ci.num_redelivered });
      }
      facts.streams!.push({ name: si.config.name, subjects: si.config.subjects ?? [], messages: si.state.messages, firstSeq: si.state.first_seq, lastSeq: si.state.last_seq, consumers });
    }
    return facts;
  }

  private onFailure(failure: FlowscopeError | null, hadRecorded: boolean): void {
    if (this.stopped) return;
    if (failure && !failure.retriable && !hadRecorded) {
      this.stopped = true;
      this.sink.status('failed', failure.message);
      return;
    }
    this.reconnect.schedule(failure?.message ?? 'the server closed the connection', () => void this.connect());
  }
}

/**
 * What JetStream publishes about stored messages (issue 16): the advisories that say one
 * will never be processed (published by the server whenever JetStream is on) and the acks
 * consumers send back (+ACK, -NAK, +TERM on `$JS.ACK.…`, which name stream, consumer,
 * delivery count and stream sequence). The tap listens to them besides the user's
 * subjects, unless one of those already covers them (a second subscription would record
 * each message twice).
 */
export const JS_SUBJECTS = ['$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>', '$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.>', '$JS.ACK.>'];

function advisoriesToAdd(subjects: readonly string[]): string[] {
  return JS_SUBJECTS.filter((a) => !subjects.some((s) => covers(s, a)));
}

/** Whether every subject `inner` matches is matched by `outer` (both may hold wildcards). */
function covers(outer: string, inner: string): boolean {
  const o = outer.split('.');
  const i = inner.split('.');
  for (let k = 0; k < o.length; k++) {
    if (o[k] === '>') return i.length > k;
    if (k >= i.length || i[k] === '>') return false;
    if (o[k] !== '*' && o[k] !== i[k]) return false;
  }
  return o.length === i.length;
}
