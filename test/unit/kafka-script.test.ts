import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { kafkaStatus, killKafka, stopKafka } from '../../scripts/kafka/index.ts';
import { newClusterId, serverProperties, withNewIds } from '../../scripts/kafka/kraft.ts';
import { isAlive, procState } from '../../scripts/kafka/process.ts';
import { brokerPaths, resolvePorts } from '../../scripts/kafka/settings.ts';
import { tmpDir } from '../helpers/tmp.ts';

function properties(text: string): Map<string, string> {
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
  return new Map(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

test('server.properties: one node that is broker and controller on the given loopback ports', () => {
  const props = properties(serverProperties({ port: 19392, controllerPort: 19393, dataDir: '/tmp/run-19392/data' }));
  assert.equal(props.get('process.roles'), 'broker,controller');
  assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:19392,CONTROLLER://127.0.0.1:19393');
  assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:19392');
  assert.equal(props.get('controller.quorum.voters'), `${props.get('node.id')}@127.0.0.1:19393`);
  assert.equal(props.get('log.dirs'), '/tmp/run-19392/data');
  assert.equal(props.get('offsets.topic.replication.factor'), '1', 'a single broker can host the offsets topic');
});

test('ports: the caller, else KAFKA_PORT, else 9092; the controller beside it unless KAFKA_CONTROLLER_PORT pairs with KAFKA_PORT', () => {
  assert.deepEqual(resolvePorts({}, {}), { port: 9092, controllerPort: 9093 });
  assert.deepEqual(resolvePorts({}, { KAFKA_PORT: '29092', KAFKA_CONTROLLER_PORT: '29999' }), { port: 29092, controllerPort: 29999 });
  assert.deepEqual(resolvePorts({ port: 19392 }, { KAFKA_PORT: '29092', KAFKA_CONTROLLER_PORT: '29999' }), { port: 19392, controllerPort: 19393 });
  assert.deepEqual(resolvePorts({ port: 19392, controllerPort: 19500 }, {}), { port: 19392, controllerPort: 19500 });
  assert.deepEqual(resolvePorts({}, { KAFKA_PORT: '' }), { port: 9092, controllerPort: 9093 }, 'an empty variable is unset');
  assert.throws(() => resolvePorts({ port: 0 }, {}), /invalid Kafka port: 0/);
  assert.throws(() => resolvePorts({}, { KAFKA_PORT: 'kafka' }), /invalid Kafka port: kafka/);
  assert.throws(() => resolvePorts({ port: 65535 }, {}), /invalid Kafka controller port: 65536/);
  assert.throws(() => resolvePorts({ port: 9092, controllerPort: 9092 }, {}), /controller port: 9092 is the broker port/);
});

test('a fresh data dir gets its own cluster and directory ids, in the format Kafka writes', () => {
  const meta = 'version=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\nnode.id=1\ndirectory.id=BBBBBBBBBBBBBBBBBBBBBB\n';
  const ids = Array.from({ length: 200 }, newClusterId);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(withNewIds(meta, 'c1', 'd1'), 'version=1\ncluster.id=c1\nnode.id=1\ndirectory.id=d1\n');
  assert.throws(() => withNewIds('version=0\ncluster.id=x\n', 'c1', 'd1'), /unexpected meta.properties layout/);
});

test('the /proc state letter is read after the last parenthesis, whatever the command name holds', () => {
  assert.equal(procState('4242 (java) S 1 4242 4242 0 -1'), 'S');
  assert.equal(procState('4242 (odd) name) Z 1 4242'), 'Z');
});

test('stop, kill and status never signal a live process that is not this port’s broker', async () => {
  const cache = tmpDir('flowscope-kafka-cache-');
  const previous = process.env.KAFKA_CACHE_DIR;
  process.env.KAFKA_CACHE_DIR = cache;
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    const p = brokerPaths(19999);
    fs.mkdirSync(p.state, { recursive: true });
    for (const action of [stopKafka, killKafka]) {
      fs.writeFileSync(p.pidFile, `${other.pid}\n`); // a pid file left behind, its pid reused
      assert.equal((await kafkaStatus({ port: 19999 })).running, false);
      assert.deepEqual(await action({ port: 19999 }), { pid: other.pid, wasRunning: false });
      assert.ok(isAlive(other.pid!), 'the other process still runs');
      assert.equal(fs.existsSync(p.pidFile), false, 'the stale pid file is gone');
    }
    assert.deepEqual(await stopKafka({ port: 19999 }), { pid: null, wasRunning: false });
  } finally {
    other.kill('SIGKILL');
    if (previous === undefined) delete process.env.KAFKA_CACHE_DIR;
    else process.env.KAFKA_CACHE_DIR = previous;
  }
});

test('the command line reports a broker that is not running, and rejects bad input with usage', () => {
  const cache = tmpDir('flowscope-kafka-cli-');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join('scripts', 'kafka', 'cli.ts'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, KAFKA_CACHE_DIR: cache },
    });
  const status = cli('status', '--port', '19998');
  assert.equal(status.status, 1);
  assert.match(status.stdout, /kafka not running on 127\.0\.0\.1:19998; jars not fetched/);
  const bad = cli('start', '--port=70000');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /invalid Kafka port: 70000/);
  const unknown = cli('restart');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^usage: .*fetch\|start/);
});
