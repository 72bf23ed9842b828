import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closingLine, storageNote } from '../../src/cli/storage-lines.ts';
import { pauseAdvice } from '../../src/shared/gaps.ts';
import type { StorageStatus } from '../../src/shared/views.ts';

// What `record` says when its writes pause must fit the cause: a full disk needs space, a
// write that failed for another reason (a read-only remount, an I/O error) needs the file
// to be writable again. Every pause used to say "Free space on that disk; nothing else is
// needed", which sends a user with free space looking for the wrong thing.

const FILE = '/data/run.flowscope';
const ok: StorageStatus = { state: 'ok', reason: null, message: null, since: null, captured: 10, stored: 10, held: 0, heldBytes: 0, budgetBytes: 1, dropped: 0, resumed: 0, resumedReason: null };
const paused = (reason: StorageStatus['reason'], message: string): StorageStatus => ({ ...ok, state: 'paused', reason, message, since: Date.now() });

test('a full disk asks for space on the disk holding the file', () => {
  const line = storageNote(ok, paused('disk-full', `The disk holding ${FILE} is full (SQLITE_FULL).`), FILE);
  assert.match(line ?? '', /is full \(SQLITE_FULL\)\. Free space on the disk holding \/data\/run\.flowscope: recording resumes by itself/);
});

test('any other write failure names the error and asks for the file to be writable, not for space', () => {
  const line = storageNote(ok, paused('write-failed', `Writing to ${FILE} failed (attempt to write a readonly database).`), FILE) ?? '';
  assert.match(line, /failed \(attempt to write a readonly database\)\. The write is retried/);
  assert.match(line, /check that \/data\/run\.flowscope can still be written/);
  assert.doesNotMatch(line, /free space/i);
  assert.equal(pauseAdvice('write-failed', FILE), pauseAdvice(null, FILE));
});

test('the closing line after resumed pauses and after a pause that never ended fits the cause', () => {
  assert.equal(
    closingLine('stopped', FILE, 10, { ...ok, resumed: 2, resumedReason: 'write-failed' }).line,
    `stopped: 10 messages in ${FILE}; writing paused 2 time(s) (writes failed), no message lost, the gap(s) are recorded`,
  );
  const full = closingLine('stopped', FILE, 7, { ...paused('disk-full', 'full'), captured: 10, stored: 7, dropped: 3 });
  assert.equal(full.code, 1);
  assert.match(full.line, /3 NOT STORED \(the disk was full\); the disk is still full/);
  const failed = closingLine('stopped', FILE, 7, { ...paused('write-failed', 'io'), captured: 10, stored: 7, dropped: 3 });
  assert.match(failed.line, /3 NOT STORED \(writes failed\); the file still cannot be written/);
  assert.doesNotMatch(failed.line, /disk/);
});
