import Database from 'better-sqlite3';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { LEGACY_MESSAGES_SQL } from '../../src/core/store/schema.ts';

/** A fresh file as Flowscope wrote it at schema 5: names stored as text in the messages table itself. */
export function makeSchema5(file: string): void {
  SessionStore.create(file).close();
  const db = new Database(file);
  db.exec(`DROP VIEW messages; DROP TABLE message_rows; DROP TABLE names; ${LEGACY_MESSAGES_SQL}
    UPDATE meta SET value = '5' WHERE key = 'schema_version';`);
  db.close();
}

/** Turns a fresh file into what Flowscope wrote at schema 3: keys indexed on messages.key_hash, no key_refs. */
export function makeSchema3(file: string): void {
  makeSchema5(file);
  const db = new Database(file);
  db.exec(`DROP TABLE key_refs; DELETE FROM meta WHERE key = 'key_refs_seq'; DROP TABLE time_blocks;
    CREATE INDEX messages_time ON messages (time);
    CREATE INDEX messages_event_time ON messages (event_time);
    CREATE INDEX messages_key_hash ON messages (key_hash) WHERE key_hash IS NOT NULL;
    UPDATE meta SET value = '3' WHERE key = 'schema_version';`);
  db.close();
}

/** Turns a fresh file into what Flowscope wrote at schema 4: time indexes on messages, no time_blocks. */
export function makeSchema4(file: string): void {
  makeSchema5(file);
  const db = new Database(file);
  db.exec(`DROP TABLE time_blocks;
    CREATE INDEX messages_time ON messages (time);
    CREATE INDEX messages_event_time ON messages (event_time);
    UPDATE meta SET value = '4' WHERE key = 'schema_version';`);
  db.close();
}
