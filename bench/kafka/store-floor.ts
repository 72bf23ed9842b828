/**
 * The store's own floor, its own process: the rows of a recorded catch-up inserted again
 * into a new session file (Flowscope's schema, its writer settings and multi-row inserts,
 * 5,000-row transactions) on one thread, with nothing else running: no Kafka, no decoding, no analysis. It is the
 * most one core can write, so it bounds any recording rate from above: a recording at R
 * msg/s needs R / floor cores for its inserts alone.
 *
 *   node --import tsx bench/kafka/store-floor.ts SESSION_FILE [ROWS]
 *
 * Prints one JSON line: { rows, insertMs, cpuMs }, the time spent in the transactions only
 * (reading the source rows is not counted).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { tuneForWriting } from '../../src/core/store/open.ts';
import { RowInserter } from '../../src/core/store/row-inserter.ts';
import { NameIds } from '../../src/core/store/name-ids.ts';
import { INSERT_SQL_IDS } from '../../src/core/store/rows.ts';
import { MESSAGE_COLUMNS } from '../../src/core/store/schema.ts';

const [source, rowsArg] = process.argv.slice(2);
const limit = Number(rowsArg ?? 300_000);
const BATCH = 5_000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-floor-'));
const target = path.join(dir, 'floor.flowscope');
SessionStore.create(target).close();

const src = new Database(source!, { readonly: true });
// The columns in INSERT_SQL_IDS's order (toParams's), the names as text.
const read = src.prepare(`SELECT ${MESSAGE_COLUMNS.join(', ')} FROM messages WHERE seq > ? ORDER BY seq LIMIT ${BATCH}`).raw(true);

const db = new Database(target);
tuneForWriting(db);
// Many rows to a statement and the names as ids, as the writer thread inserts them (row-inserter.ts, name-ids.ts).
const insert = new RowInserter(db, INSERT_SQL_IDS);
const names = new NameIds(db);
const payloadAt = MESSAGE_COLUMNS.indexOf('payload');
const write = db.transaction((rows: unknown[][]) => {
  for (const r of rows) {
    names.toIds(r);
    insert.add(r, (r[payloadAt] as Buffer).byteLength);
  }
  insert.flush();
});

let rows = 0;
let insertMs = 0;
let cpuUs = 0;
for (let seq = 0; rows < limit; ) {
  const page = read.all(seq) as unknown[][];
  if (page.length === 0) break;
  seq = page[page.length - 1]![0] as number;
  const cpu = process.cpuUsage();
  const t = performance.now();
  write(page);
  insertMs += performance.now() - t;
  const used = process.cpuUsage(cpu);
  cpuUs += used.user + used.system;
  rows += page.length;
}
db.close();
src.close();
fs.rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ rows, insertMs, cpuMs: cpuUs / 1000 })}\n`);
