/**
 * The engine's tuning values in one place, each with the reason for its size, so a
 * maintainer can see and change them together (the model is ws's lib/constants.js).
 * Protocol facts (ports, close codes, limits the specs set) stay where they are used;
 * analysis settings a user can change live in analysis/config.ts.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

// ── Recording ────────────────────────────────────────────────────────────────────────────

/** Longest a captured message waits before it is written: one transaction per flush, not per message. */
export const FLUSH_INTERVAL_MS = 100;
/** Flush early past this many waiting messages, so a burst never holds much in memory. */
export const MAX_PENDING_MESSAGES = 20_000;
/**
 * Batches on the writer thread: each commit rewrites every index page it touched, so a
 * larger batch spreads the random key-hash index's pages over more rows (a 1M catch-up:
 * 5000 per batch 39k/s at 518 MB peak RSS, 20,000 per batch 49k/s at 579 MB, back to back).
 * 10,000 with a 30,000-message backlog (below) kept the rate of 20,000 with 60,000 in the same
 * run (35.7k/s against 33.6k/s) at 451 MB instead of 539 MB, with the 16 MiB page cache.
 * Since the writer thread puts batches that queue up behind each other in one transaction
 * (WRITER_GROUP_MESSAGES), a smaller batch no longer costs commits when it is behind: 5,000
 * with a 20,000-message backlog kept the CPU time of 10,000 with 30,000 (300k catch-up,
 * back to back) and holds fewer captured messages (issue 12).
 */
export const MAX_PENDING_MESSAGES_THREADED = 5_000;
/** Flush early past this many waiting payload bytes (large payloads fill memory before the count does). */
export const MAX_PENDING_BYTES = 32 * MiB;
/**
 * Captured payload bytes not yet committed by the store's writer thread (waiting or in
 * flight) past which a connector that can wait (Kafka) stops fetching until the writer has
 * caught up to half of it: a catch-up runs at the store's pace without buffering the topic
 * in memory (issue 12).
 */
export const WRITER_BACKLOG_BYTES = 16 * MiB;
/**
 * The same budget in messages: small messages cost their objects, not their bytes. Four
 * writer batches: the ones being written in one transaction, one filling (issue 12).
 */
export const WRITER_BACKLOG_MESSAGES = 20_000;
/**
 * The most messages the store's writer thread puts in one transaction when batches queue up
 * behind the one it is writing (writer-worker.ts): fewer commits, each writing the index
 * pages it dirtied once. A writer micro-bench (300k Kafka rows, schema 3): 60k rows/s with a
 * commit per 10,000, 82k-93k/s with one per 50,000-100,000 (issue 12).
 */
export const WRITER_GROUP_MESSAGES = 60_000;
/**
 * While the session file cannot be written (a full disk), captures are held in memory up to
 * this many bytes, then dropped and counted (engine/write-guard.ts): the RSS of a recording
 * stays bounded however long the disk is full.
 */
export const HELD_BYTES_BUDGET = 64 * MiB;
/** What a held message costs besides its payload and key (the object, headers, strings). */
export const HELD_MESSAGE_OVERHEAD = 512;
/** Retrying a failed write: soon at first (someone frees space), then every few seconds. */
export const STORAGE_RETRY = { initialMs: 250, maxMs: 4000 };
/** The storage status is announced at most this often while counts change during a pause. */
export const STORAGE_STATUS_INTERVAL_MS = 250;

// ── Live views ───────────────────────────────────────────────────────────────────────────

/** At most ten traffic events a second reach the renderer, however fast the broker is. */
export const TRAFFIC_EVENT_INTERVAL_MS = 100;
/** Newest rows sent with each traffic event: enough to fill the tail of a list. */
export const NEWEST_ROWS = 200;
/** Payload bytes shown in a list row's preview (and all the store reads for it). */
export const PREVIEW_BYTES = 160;
/** Key bytes shown in a list row: keys are short, but some are whole documents. */
export const KEY_PREVIEW_BYTES = 256;
/** Playback moves its playhead ten times a second: smooth enough, cheap enough. */
export const PLAYBACK_TICK_MS = 100;
/** Messages fed per tick at `max` speed: fast, yet the UI still sees the flow unfold. */
export const PLAYBACK_MAX_PER_TICK = 20_000;
/** Rows read from the store per query while playback catches up to the playhead. */
export const PLAYBACK_PAGE = 5000;

// ── Reading a saved session into the analysis ───────────────────────────────────────────

/** Read before the session opens: a small session is analysed by the time it is on screen. */
export const ANALYSIS_FIRST_PAGE = 5000;
/** Messages per read after the first page. */
export const ANALYSIS_PAGE = 1000;
/**
 * More messages than this left to read, and a thread of its own reads them while the
 * analysis runs (store/analysis-read-ahead.ts): starting one costs a few tens of ms of
 * CPU, what reading ~10k messages costs, and the pages before it is up are read inline.
 */
export const ANALYSIS_THREAD_MIN = 50_000;
/**
 * Threads that read a recompute's pages, each every n-th page: reading a page costs about
 * twice what analysing it does (SQLite's side alone, ~4.6 µs a plain Kafka record), so
 * with one the analysis waited on it half the time (issue 12).
 */
export const ANALYSIS_READ_THREADS = 2;
/** Pages each reading thread reads beyond those the analysis has taken (~60 KB each). */
export const ANALYSIS_READ_AHEAD = 8;
/** Work between two yields to the event loop, so requests and events still flow while it reads. */
export const ANALYSIS_SLICE_MS = 40;
/** Progress events at most ten a second: the UI redraws its bar on each one. */
export const ANALYSIS_PROGRESS_MS = 100;
/**
 * A recording keeps its analysis in the session file at stop and at most this often while
 * it records (and once enough has been analysed since): a crash loses only the tail after
 * the last one, which the next open reads. Saving costs a few ms per 10k waiting entries.
 */
export const ANALYSIS_CHECKPOINT_MS = 30_000;
/** Fewer new messages than this since the last checkpoint are not worth one while recording. */
export const ANALYSIS_CHECKPOINT_MIN = 10_000;
/** Largest payload sent whole to the detail pane; bigger ones show a bounded text and hex head. */
export const DETAIL_PAYLOAD_LIMIT = 2 * MiB;
/** Other messages with the same correlation id listed beside one in the detail pane. */
export const DETAIL_RELATED_LIMIT = 50;

// ── Decoding (see core/decode/registry.ts) ──────────────────────────────────────────────

/** Largest output of one decompressed payload: a 1 KB gzip bomb must not take gigabytes. */
export const DECODE_MAX_OUTPUT_BYTES = 64 * MiB;
/** Schema text a session keeps at most, all files together (it is read at every open). */
export const DECODER_SCHEMAS_MAX_BYTES = 16 * MiB;
/** Payloads larger than this are not decoded for filters, correlation or export (the detail pane still shows them raw). */
export const DECODE_MAX_INPUT_BYTES = 16 * MiB;
/**
 * How long after a Schema Registry answer the analysis reads the file again (correlation
 * paths may read the fields it decodes): answers arriving together cost one re-read.
 */
export const SCHEMA_REANALYSIS_DELAY_MS = 250;

// ── Reconnecting (see backoff.ts) ───────────────────────────────────────────────────────

/** Each reconnect delay is spread by ±20 % so taps that lost the same broker do not return in lockstep. */
export const RECONNECT_JITTER = 0.2;
/** RabbitMQ: a restarting broker is back within seconds; a stopped one is still tried four times a minute. */
export const AMQP_RECONNECT = { initialMs: 500, maxMs: 15_000 } as const;
/** Kafka: a lower ceiling, since each attempt already spends seconds in kafkajs's own connect retries. */
export const KAFKA_RECONNECT = { initialMs: 500, maxMs: 10_000 } as const;
/** WebSocket: a tap may point at someone else's public server, which should not see a reconnect storm. */
export const WS_RECONNECT = { initialMs: 500, maxMs: 30_000 } as const;
/** MQTT and NATS brokers restart in well under a second; a stopped one is still tried twice a minute. */
export const MQTT_RECONNECT = { initialMs: 500, maxMs: 30_000 } as const;
export const NATS_RECONNECT = { initialMs: 500, maxMs: 30_000 } as const;
/** How many NATS reply subjects a tap remembers to recognise replies (one inbox per request). */
export const NATS_MAX_PENDING_INBOXES = 100_000;

// ── Timeouts ─────────────────────────────────────────────────────────────────────────────

/** AMQP connect and handshake: a remote broker over a slow link still answers within 10 s. */
export const AMQP_CONNECT_TIMEOUT_MS = 10_000;
/** AMQP heartbeat (s): a dead TCP connection is noticed within two beats. */
export const AMQP_HEARTBEAT_S = 15;
/** The RabbitMQ management API is optional: a slow one must not hold up recording. */
export const MANAGEMENT_TIMEOUT_MS = 5000;
/** Kafka TCP connect: kafkajs retries on its own, so each attempt may be short. */
export const KAFKA_CONNECT_TIMEOUT_MS = 3000;
/** How long stop() keeps trying to delete the tap's throwaway groups (members must leave or expire first). */
export const KAFKA_GROUP_DELETE_TIMEOUT_MS = 20_000;
/** WebSocket opening handshake (tap, proxy's target leg, replay). */
export const WS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long a WebSocket leg may take to finish its closing handshake before it is cut. */
export const WS_CLOSE_GRACE_MS = 3000;

// ── Polling ──────────────────────────────────────────────────────────────────────────────

/** Application consumer groups' committed offsets: often enough to show lag as it moves. */
export const KAFKA_GROUPS_POLL_MS = 2000;
/** The topic list is re-read this often, to follow topics created during a recording. */
export const KAFKA_TOPIC_REFRESH_MS = 5000;
/** A full cluster snapshot (topics, partitions, groups) is costly on big clusters. */
export const KAFKA_DISCOVERY_MS = 30_000;
/** The tap's consumer lag is announced at most this often: a catch-up fetches many batches a second (issue 12). */
export const KAFKA_LAG_REPORT_MS = 1000;
/** Observed RabbitMQ topology is cheap (in memory), so it is emitted often. */
export const AMQP_DISCOVERY_MS = 2000;
/**
 * The management API is read again this often while recording, so dead-letter exchanges of
 * queues declared meanwhile get tapped: three small HTTP reads per vhost.
 */
export const AMQP_MANAGEMENT_REFRESH_MS = 10_000;
/** How often tap copies are checked against firehose events (see TapReconciler). */
export const AMQP_RECONCILE_SWEEP_MS = 500;
/**
 * How long the firehose may be silent before tap copies are recorded on their own (tracing
 * is off): short, so a vhost without tracing loses little. Lag under load does not count
 * against it (see TapReconciler).
 */
export const AMQP_RECONCILE_MS = 2000;

// ── Capture buffers and fetch sizes ──────────────────────────────────────────────────────

/** Kafka long-poll: short, so stop() and rebuilds are quick; a fetch still returns at once when data is there. */
export const KAFKA_MAX_WAIT_MS = 500;
/**
 * Bigger fetches: capture throughput is bound by round trips, not memory (measured in bench/run.ts).
 * Every captured record's payload is a slice of its fetch response, so a response lives as
 * long as the last of its records waits for the writer thread: 2 MiB (512 KiB a partition)
 * held less than 4 MiB in a 1M catch-up at the same CPU time (issue 12).
 */
export const KAFKA_MAX_BYTES_PER_PARTITION = 512 * KiB;
export const KAFKA_MAX_BYTES = 2 * MiB;
/**
 * A member left behind by a crash keeps its throwaway group non-empty this long, which
 * delays deleting the group; 6 s is the broker's default minimum (group.min.session.timeout.ms).
 */
export const KAFKA_SESSION_TIMEOUT_MS = 6000;
/** A tap held back by the store's backlog heartbeats this often, well inside the session timeout. */
export const KAFKA_HEARTBEAT_WAIT_MS = 1000;
/** Our RabbitMQ queues are bounded so a stalled Flowscope never fills the broker's memory (x-max-length, drop-head). */
export const AMQP_OWN_QUEUE_MAX_LENGTH = 1_000_000;
/**
 * A durable tap queue (opt-in) outlives its connection so a reconnect loses nothing; if
 * Flowscope never comes back (killed, the machine off), the broker deletes it after it has
 * had no consumer this long (x-expires), so it does not fill the broker for ever.
 */
export const AMQP_DURABLE_TAP_EXPIRES_MS = 30 * 60_000;
/** Unacknowledged tap messages on a durable tap: what a dropped connection has the broker redeliver. */
export const AMQP_DURABLE_TAP_PREFETCH = 500;
/** Unacked deliveries in flight per consumed application queue. */
export const AMQP_CONSUMER_PREFETCH = 500;
/** Tap copies held for their firehose twin at most; beyond, the oldest are recorded on their own. */
export const AMQP_RECONCILE_MAX_HELD = 200_000;
/** Largest WebSocket frame relayed or recorded; ws's own default (100 MiB) is too tight for dumps. */
export const WS_MAX_PAYLOAD = 256 * MiB;
/**
 * Bytes buffered towards one proxy leg (ws `bufferedAmount`) before the other leg stops being
 * read; reading resumes when that socket has written its buffer out ('drain').
 */
export const WS_HIGH_WATER = 8 * MiB;
/**
 * Captured bytes the proxy's thread may have handed to the recording thread and not yet seen
 * acknowledged before it stops reading its connections; it reads again below the low mark.
 * Large enough that a burst is relayed at full speed while the recorder catches up.
 */
export const WS_RECORD_HIGH_WATER = 32 * MiB;
export const WS_RECORD_LOW_WATER = 8 * MiB;
/** Longest a capture waits on the relay thread before its batch goes to the recording thread. */
export const RELAY_BATCH_MS = 10;
/** A batch this large goes at once (after the current burst of reads). */
export const RELAY_BATCH_BYTES = 4 * MiB;

// ── Replay ───────────────────────────────────────────────────────────────────────────────

/** Messages in flight before reading the session waits for the target. */
export const REPLAY_MAX_IN_FLIGHT = 5000;
/** Payload bytes in flight, likewise. */
export const REPLAY_MAX_IN_FLIGHT_BYTES = 64 * MiB;
/** Replay progress reaches the UI ten times a second. */
export const REPLAY_PROGRESS_MS = 100;
/** How long a cancelled or finished replay waits for confirmations of what is on the wire. */
export const REPLAY_SETTLE_TIMEOUT_MS = 10_000;
/** Records per Kafka produce request. */
export const REPLAY_KAFKA_BATCH_COUNT = 5000;
/** A record batch above the broker's message.max.bytes (1 MiB by default) is refused whole. */
export const REPLAY_KAFKA_BATCH_BYTES = 900 * KiB;

// ── Session files ────────────────────────────────────────────────────────────────────────

/** Messages written per transaction while importing a file: large enough to amortise the commit. */
export const IMPORT_BATCH = 5000;
/**
 * Largest HAR file imported. A HAR is one JSON document, parsed whole: the text must fit in
 * one string (V8's limit is 512 MiB) and the parsed tree takes several times its size.
 */
export const HAR_MAX_BYTES = 256 * MiB;
/**
 * SQLite page cache (KiB), per connection (the engine's and the writer thread's): rarer
 * checkpoints and a page cache larger than SQLite's 2 MiB roughly double the insert rate
 * with four indexes. 64 MiB per connection cost RSS for no rate in a 1M catch-up with the
 * hashed indexes of schema 3 (issue 12: 16 MiB measured as fast, 50-90 MB less peak RSS).
 */
export const SQLITE_CACHE_KIB = 16 * KiB;
/** WAL pages between automatic checkpoints (SQLite's default is 1000). */
export const SQLITE_WAL_AUTOCHECKPOINT_PAGES = 8192;
/**
 * Files up to this size get SQLite's full `quick_check` when opened (about 5 ms per MiB, so
 * at most about 0.3 s); larger ones a walk of every b-tree page (about 1 ms per MiB). See
 * store/integrity.ts.
 */
export const QUICK_CHECK_MAX_BYTES = 64 * MiB;
/**
 * Deepest nesting an import accepts in headers, properties, meta and JSON payload objects
 * (serde_json's default): deeper JSON cannot be stored or shown without running out of
 * stack. Also the deepest payload JSON that is pretty-printed; deeper is shown as sent.
 */
export const MAX_JSON_DEPTH = 128;

// ── Logging ──────────────────────────────────────────────────────────────────────────────

/** The desktop app's log file is rotated (one previous generation kept) past this size. */
export const LOG_FILE_MAX_BYTES = 5 * MiB;

// ── The engine process ───────────────────────────────────────────────────────────────────

/** How long a new engine process may take to say it is ready (a cold start loads SQLite and the connectors). */
export const ENGINE_START_TIMEOUT_MS = 30_000;
/**
 * How long a stopping engine may take to flush and close its sessions before it is ended.
 * Closing flushes one last batch and checkpoints the WAL: seconds at most, even for a big file.
 */
export const ENGINE_STOP_TIMEOUT_MS = 20_000;
/** How often the desktop app's engine process checks that the app is still there. */
export const ENGINE_PARENT_CHECK_MS = 1000;
/** Crashes in one minute after which the engine is not restarted (it would only crash again). */
export const ENGINE_RESTARTS_PER_MINUTE = 3;

// ── Memory ───────────────────────────────────────────────────────────────────────────────

/**
 * V8's old generation may grow to (1 + this/100) × what survived the last full GC before
 * the next one (heap.ts). V8's own factor (up to 4×) let a 1M Kafka catch-up's heap reach
 * 166 MB over ~45 MB alive, because every message outlives a scavenge while it waits for
 * the writer thread: 50 cut the catch-up's peak RSS from 351 MB to 287 MB for ~3% more
 * CPU time (back to back, issue 12).
 */
export const HEAP_GROWING_PERCENT = 50;
