import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SessionStore } from '../../src/core/store/session-store.ts';
import fs from 'node:fs';
import { AnalysisState } from '../../src/core/analysis/analysis-state.ts';
import { feedSession } from '../../src/core/engine/feed-session.ts';
import { decodeGraph } from '../../src/core/analysis/analysis-snapshot.ts';
import { asSessionFileError } from '../../src/core/store/errors.ts';
import Database from 'better-sqlite3';
import { classifyMessage } from '../../src/core/analysis/correlation.ts';
import type { CapturedMessage, StoredMessage } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { fields } from '../helpers/stored-fields.ts';
import { makeSchema5 } from '../helpers/old-schemas.ts';
import { MixedTraffic } from './analysis-traffic.ts';

/** Every field the analysis may read, as plain data (a reader's row may make its payload on demand). */

/**
 * Plain Kafka records (no headers or ids) with the payloads the reader's text path must get
 * right: JSON-RPC with and without a byte-order mark, escaped keys, binary and invalid
 * UTF-8 between braces, an encoded U+FFFD, NUL bytes, emoji, empty and long bodies.
 */
function trickyKafka(count: number): CapturedMessage[] {
  const bodies: Buffer[] = [
    Buffer.from('{"jsonrpc":"2.0","id":7,"method":"sum","params":[1,2]}'),
    Buffer.from('{"jsonrpc":"2.0","id":7,"result":3}'),
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"id":"b1","method":"bom"}')]),
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), Buffer.from('{"id":"b2","method":"two boms"}')]),
    Buffer.concat([Buffer.from('{"id":"t1","method":"trailing bom"}'), Buffer.from([0xef, 0xbb, 0xbf])]),
    Buffer.from('{"\\u0069d":"esc","\\u006dethod":"escaped"}'),
    Buffer.from('{"kind":"no keys","pad":"xxxxxxxxxxxxxxxx"}'),
    Buffer.from('{"kind":"id as a value","v":"\\"id\\""}'),
    Buffer.from('  \n{"correlationId":"c-1"}\t '),
    Buffer.from('{"requestId":42}'),
    Buffer.concat([Buffer.from('{"id":"bad'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","method":"m"}')]),
    Buffer.concat([Buffer.from('{"id":"fffd'), Buffer.from([0xef, 0xbf, 0xbd]), Buffer.from('","method":"m"}')]),
    Buffer.from('{"id":"nul\u0000","method":"m"}'),
    Buffer.from('{"id":"😀","method":"emoji"}'),
    Buffer.from([0x7b, 0x00, 0x01, 0x02, 0xfe, 0x7d]),
    Buffer.from([0xbb, 0x7b, 0x7d]),
    Buffer.alloc(0),
    Buffer.from('[1,2,3]'),
    Buffer.from(`{"id":"long","method":"m","pad":"${'y'.repeat(5000)}"}`),
  ];
  let rnd = 12345;
  const out: CapturedMessage[] = [];
  for (let i = 0; i < count; i++) {
    rnd = (rnd * 16807) % 2147483647;
    const binary = Buffer.alloc(rnd % 40);
    for (let j = 0; j < binary.length; j++) binary[j] = (rnd >>> (j % 24)) & 0xff;
    const payload = i % 3 === 0 ? binary : bodies[i % bodies.length]!;
    out.push({
      time: 1_700_000_000_000 + i,
      eventTime: 1_700_000_000_000 + i,
      eventTimeSource: 'kafka-create',
      brokerTime: 1_700_000_000_000 + i,
      transport: 'kafka',
      endpoint: 'k1',
      event: 'publish',
      destKind: 'topic',
      destination: i % 5 === 0 ? 'rpc.replies' : 'rpc',
      partition: i % 3,
      offset: String(i),
      payload,
      meta: { timestampType: 'CreateTime' },
    });
  }
  return out;
}

function fill(store: SessionStore): void {
  const gen = new MixedTraffic(31);
  let n = 0;
  for (const part of [gen.take(12_000), gen.end()]) {
    store.insertBatch(part.messages.map(({ seq, size: _z, ...m }) => ({ ...m, key: seq % 7 === 0 ? Buffer.from(`k${seq}`) : null })));
    // Runs of plain records between the mixed traffic: the reader switches between its page shapes.
    store.insertBatch(trickyKafka(3000 + 1000 * n++));
  }
  // Names that never repeat (a topic per record): the reader falls back to reading every column.
  store.insertBatch(trickyKafka(4000).map((m, i) => ({ ...m, destination: `t-${i}` })));
  store.insertBatch(trickyKafka(2000));
}

test("the analysis's page reader gives exactly the messages `page` gives, without the record key it never reads, in a file of schema 6 and of schema 5", () => {
  for (const schema of [6, 5]) {
    const file = path.join(tmpDir(), `reader-${schema}.flowscope`);
    if (schema === 5) makeSchema5(file);
    readsAsPage(schema === 5 ? SessionStore.open(file) : SessionStore.create(file));
  }
});

function readsAsPage(store: SessionStore): void {
  try {
    fill(store);
    let seq = 0;
    let n = 0;
    for (;;) {
      const fast = store.pageForAnalysis(seq, 2500);
      for (const m of fast) assert.equal('key' in m, false);
      assert.deepEqual(fast.map(fields), store.page(seq, 2500).map(fields));
      if (fast.length === 0) break;
      n += fast.length;
      seq = fast[fast.length - 1]!.seq;
    }
    assert.equal(n, store.lastSeq);
  } finally {
    store.close();
  }
}

test('a reader row reads the same correlation from its text as from its bytes, and analyses the same', () => {
  const store = SessionStore.create(path.join(tmpDir(), 'reader-text.flowscope'));
  try {
    fill(store);
    const fromText = new AnalysisState();
    const fromBytes = new AnalysisState();
    let seq = 0;
    let pairs = 0;
    for (;;) {
      const fast = store.pageForAnalysis(seq, 1000);
      const slow = store.page(seq, 1000);
      if (fast.length === 0) break;
      for (let i = 0; i < fast.length; i++) {
        const c = classifyMessage(fast[i]!);
        assert.deepEqual(c, classifyMessage(slow[i]!), `message ${fast[i]!.seq}`);
        if (c.role !== null) pairs++;
      }
      fromText.ingest(fast);
      fromBytes.ingest(slow);
      seq = fast[fast.length - 1]!.seq;
    }
    assert.ok(pairs > 1000);
    const end = store.recordingEnd();
    // Nothing of a reader's row is kept in the state: it saves, and goes on the same, as one fed from full rows.
    assert.deepEqual(AnalysisState.restore(fromText.save()).finish(end), fromBytes.finish(end));
    fromText.finish(end);
    assert.deepEqual(fromText.pairsPage({ offset: 0, limit: 10_000 }), fromBytes.pairsPage({ offset: 0, limit: 10_000 }));
    assert.deepEqual(fromText.destinationList(), fromBytes.destinationList());
  } finally {
    store.close();
  }
});

/** Reads every page of `store` through AnalysisPages on the reading thread, once it is up. */
async function threadPages(store: SessionStore, page: number): Promise<{ pages: StoredMessage[][]; fromThread: number }> {
  const reader = store.analysisPages(0, page, page, true);
  try {
    const pages: StoredMessage[][] = [];
    const first = reader.next();
    pages.push(Array.isArray(first) ? first : await first);
    assert.equal(await reader.threadUp(), true, 'the reading thread starts');
    for (;;) {
      const next = reader.next();
      const p = Array.isArray(next) ? next : await next;
      pages.push(p);
      if (reader.ended) return { pages, fromThread: reader.fromThread };
    }
  } finally {
    reader.close();
  }
}

test('pages read on their own thread are the messages `page` gives, each once and in order, and analyse the same', async () => {
  const store = SessionStore.create(path.join(tmpDir(), 'reader-thread.flowscope'));
  try {
    fill(store);
    // Small pages: dozens cross the thread, read ahead of what is taken.
    const { pages, fromThread } = await threadPages(store, 700);
    assert.ok(fromThread > 20, `${fromThread} pages came from the thread`);
    const all = pages.flat();
    assert.equal(all.length, store.lastSeq);
    let seq = 0;
    for (const p of pages) {
      assert.deepEqual(p.map(fields), store.page(seq, 700).map(fields), `the page after ${seq}`);
      if (p.length > 0) seq = p[p.length - 1]!.seq;
    }
    const inline = new AnalysisState();
    await feedSession(store, inline, { thread: false });
    const threaded = new AnalysisState();
    await feedSession(store, threaded, { thread: true });
    // The whole state as saved (its bytes may differ where V8 laid an array out otherwise).
    assert.deepEqual(decodeGraph(threaded.save()), decodeGraph(inline.save()));
    const end = store.recordingEnd();
    assert.deepEqual(threaded.finish(end), inline.finish(end));
    assert.deepEqual(threaded.saveResults(), inline.saveResults());
    assert.deepEqual(threaded.pairsPage({ offset: 0, limit: 10_000 }), inline.pairsPage({ offset: 0, limit: 10_000 }));
  } finally {
    store.close();
  }
});

test('pages read by two threads over gaps in the seqs give every message once, in order, and analyse the same', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'reader-gaps.flowscope');
  const made = SessionStore.create(file);
  fill(made);
  made.close();
  // Gaps shorter than a page, of a page and a half, and of many pages (the threads read a grid of pages).
  const db = new Database(file);
  db.prepare('DELETE FROM message_rows WHERE (seq > 3000 AND seq <= 3040) OR (seq > 9000 AND seq <= 9600) OR (seq > 20000 AND seq <= 29000)').run();
  db.prepare('UPDATE message_rows SET seq = seq + 1000000 WHERE seq > 40000').run();
  db.close();
  const store = SessionStore.open(file, { readonly: true });
  try {
    const { pages, fromThread } = await threadPages(store, 400);
    assert.ok(fromThread > 20, `${fromThread} pages came from the threads`);
    const all: StoredMessage[] = [];
    for (let seq = 0; ; ) {
      const p = store.page(seq, 5000);
      if (p.length === 0) break;
      all.push(...p);
      seq = p[p.length - 1]!.seq;
    }
    assert.deepEqual(pages.flat().map(fields), all.map(fields));
    const inline = new AnalysisState();
    await feedSession(store, inline, { thread: false });
    const threaded = new AnalysisState();
    await feedSession(store, threaded, { thread: true, page: 400 });
    assert.equal(threaded.messages, all.length);
    const end = store.recordingEnd();
    assert.deepEqual(threaded.finish(end), inline.finish(end));
    assert.deepEqual(threaded.saveResults(), inline.saveResults());
  } finally {
    store.close();
  }
});

test('damage the reading thread reaches is named in the words every read uses', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'damaged.flowscope');
  const store = SessionStore.create(file);
  store.insertBatch(trickyKafka(20_000));
  store.close();
  // A leaf page well past the first pages, overwritten with garbage.
  const db = new Database(file);
  const leaves = (db.prepare("SELECT pageno FROM dbstat WHERE name = 'message_rows' AND pagetype = 'leaf' ORDER BY pageno").all() as { pageno: number }[]).map((r) => r.pageno);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(pageSize, 0xab), 0, pageSize, (leaves[Math.floor(leaves.length * 0.7)]! - 1) * pageSize);
  fs.closeSync(fd);
  const damaged = SessionStore.open(file, { readonly: true, quickCheckMaxBytes: 0, deferWalk: true });
  try {
    const reader = damaged.analysisPages(0, 1000, 1000, true);
    let err: unknown = null;
    try {
      reader.next();
      assert.equal(await reader.threadUp(), true);
      for (;;) {
        const next = reader.next();
        if ((Array.isArray(next) ? next : await next).length < 1000) break;
      }
    } catch (e) {
      err = e;
    } finally {
      reader.close();
    }
    assert.ok(reader.fromThread > 0, 'the thread read pages before the damage');
    assert.equal((asSessionFileError(err, file) as Error).message, `${file} is damaged (database disk image is malformed); Flowscope does not read damaged sessions and left the file as it is.`);
  } finally {
    damaged.close();
  }
});

test('closing mid-read ends the reading thread and the feed', async () => {
  const store = SessionStore.create(path.join(tmpDir(), 'reader-abort.flowscope'));
  try {
    store.insertBatch(trickyKafka(30_000));
    const abort = new AbortController();
    let pages = 0;
    const state = new AnalysisState();
    await assert.rejects(
      feedSession(store, state, {
        thread: true,
        page: 500,
        signal: abort.signal,
        onProgress: () => {
          if (++pages === 3) abort.abort();
        },
      }),
      { name: 'AbortError' },
    );
    assert.equal(pages, 3);
  } finally {
    store.close();
  }
});

test('closing while both reading threads are mid-page stops them without taking the process down', async () => {
  // A thread terminated inside an SQLite call aborted the whole process (seen in CI); each
  // thread is now told to stop and ends after its page. Many closes, at many points of a read.
  const store = SessionStore.create(path.join(tmpDir(), 'reader-close.flowscope'));
  try {
    const all = trickyKafka(60_000);
    store.insertBatch(all);
    for (let round = 0; round < 20; round++) {
      const reader = store.analysisPages(0, 1500, 1500, true);
      const first = reader.next();
      if (!Array.isArray(first)) await first;
      assert.equal(await reader.threadUp(), true);
      for (let i = 0; i < round % 4; i++) {
        const next = reader.next();
        if (!Array.isArray(next)) await next;
      }
      reader.close();
      await new Promise((r) => setTimeout(r, round % 3));
    }
    // And a whole read after them all still gives every message once.
    const { pages } = await threadPages(store, 1500);
    assert.equal(pages.flat().length, all.length);
  } finally {
    store.close();
  }
});
