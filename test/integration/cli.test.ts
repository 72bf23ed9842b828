import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { freePort, runPythonClient, startPythonServer } from '../fixtures/ws_python.ts';
import { writeRpcSession } from '../helpers/rpc-session.ts';

const BIN = path.resolve('bin/flowscope.mjs');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number>;
}

function flowscope(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 0))));
  return { child, stdout: () => out, stderr: () => err, exit };
}

test('record through the WebSocket proxy, stop with SIGTERM, then inspect and export the session', async () => {
  const dir = tmpDir();
  const server = await startPythonServer('ws_echo_server.py');
  try {
    const port = await freePort();
    const file = path.join(dir, 'ws.flowscope');
    const rec = flowscope(['record', '--ws-proxy', `${port}=ws://127.0.0.1:${server.port}`, '--out', file], {
      FLOWSCOPE_DATA_DIR: dir,
    });
    await waitFor('the proxy to record', () => /: recording/.test(rec.stderr()), 30_000);
    const lines = await runPythonClient('ws_client.py', [`ws://127.0.0.1:${port}`]);
    assert.ok(lines.length > 10, 'the python client exchanged frames through the proxy');
    // Piped, the live line is written every 2 s at most, yet it always ends on the latest
    // count, even when the traffic stops between two lines.
    const exchanged = lines.filter((l) => l.includes('"dir": "sent"')).length * 2;
    await waitFor('the live count to reach every frame', () => {
      const last = [...rec.stderr().matchAll(/recording: (\d+) messages/g)].pop();
      return last !== undefined && Number(last[1]) >= exchanged;
    });
    rec.child.kill('SIGTERM');
    assert.equal(await rec.exit, 0, rec.stderr());
    assert.match(rec.stderr(), /stopped \(SIGTERM\): [\d,]+ messages/);

    const inspect = flowscope(['inspect', file, '--json'], { FLOWSCOPE_DATA_DIR: dir });
    assert.equal(await inspect.exit, 0, inspect.stderr());
    const report = JSON.parse(inspect.stdout()) as {
      messages: number;
      destinations: { destination: string; count: number }[];
      endpoints: { label: string }[];
    };
    const sent = lines.filter((l) => l.includes('"dir": "sent"')).length;
    assert.ok(report.messages >= sent * 2, `session holds both directions (${report.messages} ≥ ${sent * 2})`);
    assert.ok(report.destinations.some((d) => d.destination === '/echo'));
    assert.ok(report.endpoints[0]?.label.includes(`:${port}`));

    const jsonl = path.join(dir, 'ws.jsonl');
    const exp = flowscope(['export', file, '--format', 'jsonl', '--out', jsonl], { FLOWSCOPE_DATA_DIR: dir });
    assert.equal(await exp.exit, 0, exp.stderr());
    const rows = fs
      .readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rows.length, report.messages);
    assert.ok(rows.every((r) => typeof r.seq === 'number' && typeof r.time === 'string' && !Number.isNaN(Date.parse(r.time as string))));
    assert.ok(rows.some((r) => r.payload === 'hello'), 'text frames export as text');
    const invalid = rows.find((r) => typeof r.payloadBase64 === 'string' && Buffer.from(r.payloadBase64, 'base64').subarray(0, 2).equals(Buffer.from([0xff, 0xfe])));
    assert.ok(invalid, 'invalid UTF-8 exports as base64');
    assert.ok(!fs.readFileSync(jsonl, 'utf8').includes('s3cret-token-value'), 'the client’s Authorization header is not in the session');
  } finally {
    await server.stop();
  }
});

test('record stops by itself after --max-messages', async () => {
  const dir = tmpDir();
  const server = await startPythonServer('ws_echo_server.py');
  try {
    const port = await freePort();
    const file = path.join(dir, 'max.flowscope');
    const rec = flowscope(['record', '--ws-proxy', `${port}=ws://127.0.0.1:${server.port}`, '--out', file, '--max-messages', '5'], {
      FLOWSCOPE_DATA_DIR: dir,
    });
    await waitFor('the proxy to record', () => /: recording/.test(rec.stderr()), 30_000);
    // The proxy goes away once the cap is reached, so the client may be cut off mid-run.
    await runPythonClient('ws_client.py', [`ws://127.0.0.1:${port}`]).catch(() => undefined);
    assert.equal(await rec.exit, 0);
    assert.match(rec.stderr(), /stopped \(reached 5 messages\)/);
  } finally {
    await server.stop();
  }
});

test('inspect on a large session: progress on stderr when asked, the report alone on stdout', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'rpc.flowscope');
  const truth = writeRpcSession(file, { requests: 100_000 });

  const inspect = flowscope(['inspect', file, '--json', '--progress'], { FLOWSCOPE_DATA_DIR: dir });
  assert.equal(await inspect.exit, 0, inspect.stderr());
  const report = JSON.parse(inspect.stdout()) as {
    messages: number;
    pairs: { matched: number; unanswered: number; orphans: number; latencyMs: { p50: number; max: number } };
  };
  assert.equal(report.messages, truth.messages);
  assert.equal(report.pairs.matched, truth.matched);
  assert.equal(report.pairs.unanswered, truth.unanswered);
  assert.equal(report.pairs.orphans, 0);
  assert.equal(report.pairs.latencyMs.max, truth.latencyMs);

  // Progress counts up to the session's size, then says it is done.
  const total = truth.messages.toLocaleString('en-US');
  const progress = [...inspect.stderr().matchAll(/analysing… ([\d,]+) of ([\d,]+) messages/g)];
  assert.ok(progress.length >= 1, inspect.stderr());
  assert.ok(progress.every((m) => m[2] === total), inspect.stderr());
  const done = progress.map((m) => Number(m[1]!.replace(/,/g, '')));
  assert.deepEqual(done, [...done].sort((a, b) => a - b), 'done only grows');
  assert.match(inspect.stderr(), new RegExp(`analysed ${total} messages in [\\d.]+ s`));

  // Without a terminal or the flag, stderr stays quiet.
  const quiet = flowscope(['inspect', file, '--json'], { FLOWSCOPE_DATA_DIR: dir });
  assert.equal(await quiet.exit, 0, quiet.stderr());
  assert.equal(quiet.stderr(), '');
  assert.equal((JSON.parse(quiet.stdout()) as typeof report).pairs.matched, truth.matched);
});

test('the CLI explains bad usage and refuses a file that is not a session', async () => {
  const dir = tmpDir();
  const unknown = flowscope(['frobnicate']);
  assert.equal(await unknown.exit, 2);
  assert.match(unknown.stderr(), /unknown command "frobnicate"/);

  const noOut = flowscope(['record', '--ws', 'ws://127.0.0.1:1']);
  assert.equal(await noOut.exit, 2);
  assert.match(noOut.stderr(), /record needs --out FILE/);

  const foreign = path.join(dir, 'notes.txt');
  fs.writeFileSync(foreign, 'just some text, not a session\n');
  const before = fs.readFileSync(foreign);
  const inspect = flowscope(['inspect', foreign], { FLOWSCOPE_DATA_DIR: dir });
  assert.equal(await inspect.exit, 1);
  assert.match(inspect.stderr(), /is not a Flowscope session/);
  assert.deepEqual(fs.readFileSync(foreign), before, 'the file is left untouched');
});
