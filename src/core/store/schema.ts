import { ANALYSIS_SNAPSHOT_SQL } from './analysis-snapshot.ts';
import { KEY_REFS_SQL } from './key-refs.ts';
import { TIME_BLOCKS_SQL } from './time-blocks.ts';

/**
 * The session file format. A session is one SQLite file; this schema is documented in
 * README.md ("The session file") so users can open it with `sqlite3`.
 */

/** `PRAGMA application_id` of every Flowscope session: 'FSCP'. */
export const APPLICATION_ID = 0x46534350;
export const FORMAT_NAME = 'flowscope-session';
/**
 * 2: `event_time` and `event_time_source` (the time the system gave a message, see
 * core/common/event-time.ts), indexed. Files of version 1 still open: read-only they are
 * read with event time = capture time; the first recording into one adds the columns
 * (MIGRATE_V1_SQL).
 */
/**
 * 3: keys and correlation ids are indexed by a 32-bit hash (`key_hash`, `correlation_hash`,
 * see ref-hash.ts) instead of by their value, which halves the insert cost of a keyed Kafka
 * record (issue 12); lookups match the hash, then the value. Files of versions 1 and 2 keep
 * their layout: they are read and recorded into as before (a version-1 file still becomes
 * version 2 when recorded into).
 */
/**
 * 4: keys are indexed in a side table filled in bulk (`key_refs`, see key-refs.ts) instead of
 * by an index on `messages.key_hash`, which cost a random B-tree insert per record (a third
 * of the writer thread in a catch-up, issue 12). `key_hash` is still stored. Files of
 * versions 1-3 keep their layout and are read and recorded into as before.
 */
/**
 * 5: capture time and event time are found through `time_blocks` (see time-blocks.ts), a
 * row per 1,024 messages, instead of an index each on `messages`, and pages are 8 KiB: 21%
 * less writer time a record (issue 12). Files of versions 1-4 keep their layout and are read
 * and recorded into as before.
 */
export const SCHEMA_VERSION = 5;
/**
 * The page size of a new file. Alone, 8 KiB pages saved 2% of the store floor's CPU a
 * record; without the two time indexes they took the saving from 12% to 21% (fewer page
 * splits and page writes for the rows and the remaining indexes).
 */
export const PAGE_SIZE = 8192;
export const SESSION_EXTENSION = '.flowscope';

/**
 * Spans of a recording whose traffic was not (all) stored (shared/model.ts Gap). Additive:
 * it needs no schema version, and a file written before it gets the table the first time a
 * gap is written into it (`IF NOT EXISTS`); readers treat a file without it as gap-free.
 */
export const GAPS_SQL = `
CREATE TABLE IF NOT EXISTS gaps (
  endpoint TEXT,
  start    REAL NOT NULL,
  end      REAL NOT NULL,
  lost     INTEGER,
  reason   TEXT NOT NULL,
  detail   TEXT
);
`;

export const SCHEMA_SQL = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE endpoints (
  id         TEXT PRIMARY KEY,
  transport  TEXT NOT NULL,
  label      TEXT NOT NULL,
  config     TEXT NOT NULL,
  created_at REAL NOT NULL
);
CREATE TABLE messages (
  seq            INTEGER PRIMARY KEY,
  time           REAL    NOT NULL,
  broker_time    REAL,
  event_time     REAL    NOT NULL,
  event_time_source TEXT NOT NULL,
  transport      TEXT    NOT NULL,
  endpoint       TEXT    NOT NULL,
  event          TEXT    NOT NULL,
  dest_kind      TEXT    NOT NULL,
  destination    TEXT    NOT NULL,
  partition      INTEGER,
  offset         INTEGER,
  routing_key    TEXT,
  connection     TEXT,
  key            BLOB,
  headers        TEXT,
  properties     TEXT,
  payload        BLOB    NOT NULL,
  size           INTEGER NOT NULL,
  correlation_id TEXT,
  message_id     TEXT,
  reply_to       TEXT,
  meta           TEXT,
  key_hash       INTEGER,
  correlation_hash INTEGER
);
CREATE INDEX messages_destination ON messages (destination, seq);
CREATE INDEX messages_correlation_hash ON messages (correlation_hash) WHERE correlation_hash IS NOT NULL;
CREATE TABLE group_offsets (
  time      REAL    NOT NULL,
  endpoint  TEXT    NOT NULL,
  group_id  TEXT    NOT NULL,
  topic     TEXT    NOT NULL,
  partition INTEGER NOT NULL,
  offset    INTEGER NOT NULL
);
CREATE INDEX group_offsets_topic ON group_offsets (topic, partition, time);
CREATE TABLE discovery (
  time     REAL NOT NULL,
  endpoint TEXT NOT NULL,
  source   TEXT NOT NULL,
  facts    TEXT NOT NULL
);
CREATE TABLE endpoint_log (
  time     REAL NOT NULL,
  endpoint TEXT NOT NULL,
  status   TEXT NOT NULL,
  detail   TEXT
);
${GAPS_SQL}
${ANALYSIS_SNAPSHOT_SQL}`;

/** What a new file holds once its meta rows are in (the key refs' mark is a meta row). */
export const SCHEMA_AFTER_META_SQL = `${KEY_REFS_SQL}${TIME_BLOCKS_SQL}`;

/** Brings a version-1 file to version 2: its messages' event time is their capture time. */
export const MIGRATE_V1_SQL = `
ALTER TABLE messages ADD COLUMN event_time REAL;
ALTER TABLE messages ADD COLUMN event_time_source TEXT;
UPDATE messages SET event_time = time, event_time_source = 'capture';
CREATE INDEX messages_event_time ON messages (event_time);
UPDATE meta SET value = '2' WHERE key = 'schema_version';
`;
