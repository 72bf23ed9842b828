import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LagMeter, partitionLag } from '../../src/core/connectors/kafka/lag.ts';
import { LagLine, lagText } from '../../src/cli/lag-line.ts';

test("a partition's lag is the high watermark less one less the last captured offset, never below 0", () => {
  // Captured offsets 0..99 (next = 100); the broker holds 0..149 (high watermark 150).
  assert.equal(partitionLag('150', 100n), 50n);
  assert.equal(partitionLag('100', 100n), 0n, 'the last record captured: caught up');
  assert.equal(partitionLag('99', 100n), 0n, 'a high watermark trailing the batch is not a negative lag');
  assert.equal(partitionLag('9007199254740993', 1n), 9007199254740992n, 'offsets past 2^53 stay exact');
  assert.equal(partitionLag(10n, 0n), 10n, 'nothing captured yet: every record is behind');
});

test('the meter sums the partitions of the endpoint, announces at most once per interval and its last change', async () => {
  let clock = 0;
  const seen: number[] = [];
  const meter = new LagMeter(1000, (n) => seen.push(n), () => clock);
  meter.update('orders', 0, '1000', 100n); // 900 behind
  assert.deepEqual(seen, [900], 'the first figure at once');
  meter.update('orders', 1, '500', 0n); // +500
  meter.update('payments', 0, '20', 20n); // +0, another topic
  assert.equal(meter.total, 1400);
  assert.deepEqual(seen, [900], 'throttled within the interval');
  clock = 1000;
  meter.update('orders', 0, '1000', 1000n); // partition 0 caught up
  assert.deepEqual(seen, [900, 500], 'the next interval announces the sum');
  clock = 1001;
  meter.update('orders', 1, '500', 500n);
  assert.equal(meter.total, 0);
  // The trailing announcement: a catch-up that ends inside an interval still says 0.
  clock = 2000;
  await new Promise((r) => setTimeout(r, 1100));
  assert.deepEqual(seen, [900, 500, 0]);
  clock = 5000;
  meter.update('orders', 1, '500', 500n);
  assert.deepEqual(seen, [900, 500, 0], 'an unchanged figure is not announced again');
  meter.stop();
});

test('the CLI writes the lag with separators and says when an endpoint has caught up', () => {
  assert.equal(lagText(12345), 'lag 12,345 records');
  assert.equal(lagText(1), 'lag 1 record');
  assert.equal(lagText(0), 'lag 0');
  const line = new LagLine();
  const view = { id: 'kafka-1', transport: 'kafka' as const, label: 'k', status: 'recording' as const, detail: null, since: 0 };
  assert.equal(line.update({ ...view }), false, 'no lag reported: nothing to show');
  assert.equal(line.text, '');
  assert.equal(line.update({ ...view, lag: 0 }), false, 'a tap that starts caught up has not "caught up"');
  assert.equal(line.update({ ...view, lag: 12345 }), false);
  assert.equal(line.text, 'kafka-1: lag 12,345 records');
  assert.equal(line.update({ ...view, lag: 0 }), true, 'from behind to 0: caught up');
  assert.equal(line.text, 'kafka-1: lag 0');
});

test('one partition caught up is not the tap caught up while another has no figure yet', () => {
  const seen: number[] = [];
  const meter = new LagMeter(0, (n) => seen.push(n), () => 0);
  meter.assigned({ orders: [0, 1, 2] });
  meter.update('orders', 0, '10', 10n);
  assert.equal(seen.length, 0, 'partitions 1 and 2 not fetched yet: nothing announced');
  meter.seed('orders', 1, 7n); // from the broker's offsets, before its first batch
  meter.update('orders', 2, '30', 25n);
  assert.deepEqual(seen, [12], 'all three known: 0 + 7 + 5');
  meter.seed('orders', 2, 999n);
  assert.equal(meter.total, 12, "a batch's figure is newer than a seed");
  const held = new LagMeter(0, (n) => seen.push(n), () => 0);
  held.assigned({ orders: [0, 1] });
  held.update('orders', 0, '5', 5n);
  held.settle(); // the offsets could not be read
  assert.deepEqual(seen, [12, 0], 'then the batches alone decide');
});
