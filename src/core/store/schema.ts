import { ANALYSIS_SNAPSHOT_SQL } from './analysis-snapshot.ts';
import { KEY_REFS_SQL } from './key-refs.ts';
import { TIME_BLOCKS_SQL } from './time-blocks.ts';
import { NAME_COLUMNS, idOf, nameOf } from './name-ids.ts';

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
/**
 * 6: the six names a message repeats (event-time source, transport, endpoint, event,
 * destination kind, destination) are stored as small integer ids into `names`, in
 * `message_rows`; `messages` is a view with the same columns as before, so every query and
 * any `sqlite3` user reads it as they did (INSERT into it works too, through a trigger). A
 * text column cost SQLite a UTF-8 copy, a record and an index key several times the size
 * of an id: 15-30% less writer time a message (Kafka records, WebSocket frames; issue 12).
 * Files of versions 1-5 keep their layout (LEGACY_MESSAGES_SQL) and are read and recorded
 * into as before.
 */
export const SCHEMA_VERSION = 6;
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

/** The messages table of versions 1-5 (as version 5 creates it), and its indexes. */
export const LEGACY_MESSAGES_SQL = `
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
`;

/** The columns of a message row, in order (`messages` in every version; NAME_COLUMNS are ids in `message_rows`). */
export const MESSAGE_COLUMNS = [
  'seq', 'time', 'broker_time', 'event_time', 'event_time_source', 'transport', 'endpoint', 'event', 'dest_kind',
  'destination', 'partition', 'offset', 'routing_key', 'connection', 'key', 'headers', 'properties', 'payload', 'size',
  'correlation_id', 'message_id', 'reply_to', 'meta', 'key_hash', 'correlation_hash',
] as const;

const isName = (c: string): boolean => (NAME_COLUMNS as readonly string[]).includes(c);
const rowColumn = (c: string): string => (isName(c) ? `${c}_id` : c);

/**
 * Schema 6's messages: `message_rows` holds ids where `messages` had names; the view puts
 * the names back (and shows the ids, which filters use to reach the destination index); its
 * trigger gives an INSERT into `messages` ids for the names it brings.
 */
const MESSAGES_SQL = `
CREATE TABLE names (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
${LEGACY_MESSAGES_SQL
  .replace('CREATE TABLE messages (', 'CREATE TABLE message_rows (')
  .replace(new RegExp(`^(\\s+)(${NAME_COLUMNS.join('|')})(\\s+)TEXT(\\s+NOT NULL)`, 'gm'), '$1$2_id$3INTEGER$4')
  .replace('CREATE INDEX messages_destination ON messages (destination, seq)', 'CREATE INDEX message_rows_destination ON message_rows (destination_id, seq)')
  .replace('CREATE INDEX messages_correlation_hash ON messages', 'CREATE INDEX message_rows_correlation_hash ON message_rows')}
CREATE VIEW messages AS SELECT
  ${MESSAGE_COLUMNS.map((c) => (isName(c) ? `${nameOf(`${c}_id`)} AS ${c}` : c)).join(',\n  ')},
  ${NAME_COLUMNS.map((c) => `${c}_id`).join(', ')}
FROM message_rows;
CREATE TRIGGER messages_insert INSTEAD OF INSERT ON messages BEGIN
  INSERT OR IGNORE INTO names (name) VALUES ${NAME_COLUMNS.map((c) => `(NEW.${c})`).join(', ')};
  INSERT INTO message_rows (${MESSAGE_COLUMNS.map(rowColumn).join(', ')})
  VALUES (${MESSAGE_COLUMNS.map((c) => (isName(c) ? idOf(`NEW.${c}`) : `NEW.${c}`)).join(', ')});
END;
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
${MESSAGES_SQL}
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
