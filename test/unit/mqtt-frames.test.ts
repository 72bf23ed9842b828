import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'mqtt-packet';
import { PacketFramer } from '../../src/core/connectors/mqtt/frames.ts';

const packets = [
  generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'c', keepalive: 10 }),
  generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(200, 7), qos: 1, messageId: 1, retain: false, dup: false }),
  generate({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(70_000, 9), qos: 0, retain: false, dup: false }),
  generate({ cmd: 'pingreq' }),
];
const stream = Buffer.concat(packets);

test('the framer gives back whole packets, byte for byte, however the stream is cut', () => {
  for (const size of [1, 2, 3, 7, 127, 128, 129, 4096, stream.length]) {
    const f = new PacketFramer(1 << 20);
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length; at += size) {
      const r = f.push(stream.subarray(at, at + size));
      assert.equal(r.error, null);
      out.push(...r.packets.map((b) => Buffer.from(b)));
    }
    assert.deepEqual(out, packets, `cut every ${size} bytes`);
  }
});

test('the framer refuses a Remaining Length over four bytes and a packet over its limit', () => {
  assert.match(new PacketFramer(1 << 20).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])).error ?? '', /more than four bytes/);
  const r = new PacketFramer(1000).push(Buffer.concat([packets[0]!, packets[2]!.subarray(0, 10)]));
  assert.equal(r.packets.length, 1, 'what came before is still framed');
  assert.match(r.error ?? '', /over the proxy's limit of 1000/);
});
