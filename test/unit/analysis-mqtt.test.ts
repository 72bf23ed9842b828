import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnalysisState } from '../../src/core/analysis/analysis-state.ts';
import { filterMatches } from '../../src/core/analysis/mqtt-filter.ts';
import type { JsonValue, MessageEventKind, StoredMessage } from '../../src/shared/model.ts';

test('MQTT topic filters match as MQTT 5 §4.7 says', () => {
  const cases: [string, string, boolean][] = [
    ['sport/#', 'sport', true],
    ['sport/#', 'sport/tennis/player1', true],
    ['#', 'a/b', true],
    ['#', '$SYS/broker', false],
    ['+/monitor', '$SYS/monitor', false],
    ['$SYS/#', '$SYS/broker', true],
    ['sport/+', 'sport/', true],
    ['sport/+', 'sport', false],
    ['sport/+/player1', 'sport/tennis/player1', true],
    ['sport/+/player1', 'sport/tennis/x/player1', false],
    ['+', '/finance', false],
    ['+/+', '/finance', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['$share/g1/a/+', 'a/x', true],
    ['$share/g1/a/+', 'b/x', false],
  ];
  for (const [filter, topic, want] of cases) assert.equal(filterMatches(filter, topic), want, `${filter} ~ ${topic}`);
});

/** What the recording proxy records, built by hand: one client connection per `link`. */
class ProxyTraffic {
  messages: StoredMessage[] = [];
  time = 1_760_000_000_000;
  private seq = 0;

  wait(ms: number): this {
    this.time += ms;
    return this;
  }

  private add(event: MessageEventKind, link: string, client: string, destination: string | null, meta: Record<string, JsonValue>, payload = '', properties: Record<string, JsonValue> | null = null): StoredMessage {
    const bytes = Buffer.from(payload);
    const m: StoredMessage = {
      seq: ++this.seq,
      size: bytes.length,
      time: this.time,
      eventTime: this.time,
      eventTimeSource: 'capture',
      transport: 'mqtt',
      endpoint: 'px',
      event,
      destKind: destination === null ? 'socket' : 'topic',
      destination: destination ?? '127.0.0.1:1883',
      connection: client,
      payload: new Uint8Array(bytes),
      properties,
      meta: { via: 'proxy', link, ...meta },
    };
    this.messages.push(m);
    this.time += 1;
    return m;
  }

  open(link: string, client: string, version: '5' | '3.1.1' = '5'): void {
    this.add('open', link, client, null, { clientId: client, clean: true, protocolVersion: version });
  }
  subscribe(link: string, client: string, filter: string): void {
    this.add('subscribe', link, client, filter, { granted: true, reasonCode: 1, qos: 1 });
  }
  publish(link: string, client: string, topic: string, body: string, qos: number, packetId?: number, props: Record<string, JsonValue> | null = null): StoredMessage {
    return this.add('publish', link, client, topic, { qos, retain: false, dup: false, ...(packetId !== undefined ? { packetId } : {}) }, body, props);
  }
  deliver(link: string, client: string, topic: string, body: string, qos: number, packetId?: number): StoredMessage {
    return this.add('deliver', link, client, topic, { qos, retain: false, dup: false, ...(packetId !== undefined ? { packetId } : {}) }, body);
  }
  ack(link: string, client: string, topic: string, packet: string, from: 'broker' | 'client', packetId: number, ackFor: 'publish' | 'deliver', reasonCode?: number): void {
    this.add('ack', link, client, topic, { packet, from, packetId, ackFor, ...(reasonCode !== undefined ? { reasonCode } : {}) });
  }
  close(link: string, client: string): void {
    this.add('close', link, client, null, { by: 'client', sessionEnds: true });
  }
}

/** Known traffic: which seq ends undelivered, for which reason. */
function scenario(): { t: ProxyTraffic; truth: [number, string][] } {
  const t = new ProxyTraffic();
  const truth: [number, string][] = [];
  t.open('c1', 'sub');
  t.subscribe('c1', 'sub', 'a/#');
  t.open('c2', 'pub');
  // Matched and delivered, both acknowledged.
  t.publish('c2', 'pub', 'a/x', 'one', 1, 1);
  t.deliver('c1', 'sub', 'a/x', 'one', 1, 7);
  t.ack('c2', 'pub', 'a/x', 'puback', 'broker', 1, 'publish', 0);
  t.ack('c1', 'sub', 'a/x', 'puback', 'client', 7, 'deliver', 0);
  // MQTT 5 says no subscriber.
  truth.push([t.publish('c2', 'pub', 'c', 'nobody', 1, 2).seq, 'no-subscribers']);
  t.ack('c2', 'pub', 'c', 'puback', 'broker', 2, 'publish', 0x10);
  // 3.1.1 (no reason code): nothing the proxy saw matched.
  t.open('c3', 'old', '3.1.1');
  truth.push([t.publish('c3', 'old', 'b/y', 'unheard', 1, 1).seq, 'no-subscribers']);
  t.ack('c3', 'old', 'b/y', 'puback', 'broker', 1, 'publish');
  // A delivery never acknowledged, on a connection that stays.
  t.publish('c2', 'pub', 'a/z', 'stuck', 1, 3);
  t.ack('c2', 'pub', 'a/z', 'puback', 'broker', 3, 'publish', 0);
  truth.push([t.deliver('c1', 'sub', 'a/z', 'stuck', 1, 8).seq, 'qos-incomplete']);
  // Published with a one-second expiry while the subscriber's delivery never came.
  const exp = t.publish('c2', 'pub', 'a/e', 'fleeting', 0, undefined, { messageExpiryInterval: 1 });
  truth.push([exp.seq, 'expired']);
  t.wait(40_000);
  // Later traffic moves the clock past every window.
  t.publish('c2', 'pub', 'a/x', 'two', 0);
  t.deliver('c1', 'sub', 'a/x', 'two', 0);
  t.close('c2', 'pub');
  truth.sort((a, b) => a[0] - b[0]);
  return { t, truth };
}

function figures(s: AnalysisState) {
  return { summary: s.snapshot(), groups: s.undeliveredGroups(), topology: s.topologyGraph() };
}

test('MQTT proxy traffic: each reason decided once, on the right message; a state saved midway and restored decides the same', () => {
  const { t, truth } = scenario();
  const whole = new AnalysisState();
  whole.ingest(t.messages);
  const end = t.time + 1000;
  const r = whole.finish(end);
  assert.deepEqual(r.undelivered.items.map((i) => [i.seq, i.reason]).sort((a, b) => (a[0] as number) - (b[0] as number)), truth);
  assert.deepEqual(r.undelivered.byReason, { 'no-subscribers': 2, 'qos-incomplete': 1, expired: 1 });
  const sub = r.topology.nodes.find((n) => n.kind === 'consumer' && n.label === 'sub')!;
  assert.equal(sub.connection, 'sub');
  assert.equal(r.topology.edges.filter((e) => e.target === sub.id).reduce((n, e) => n + e.undelivered, 0), 1, 'the unacknowledged delivery counts on its topic → subscriber edge');

  // Cut between every pair of messages: save, restore, feed the rest.
  for (const cut of [3, 9, 14, t.messages.length - 2]) {
    const first = new AnalysisState();
    first.ingest(t.messages.slice(0, cut));
    const restored = AnalysisState.restore(first.save());
    restored.ingest(t.messages.slice(cut));
    restored.finish(end);
    assert.deepEqual(figures(restored), figures(whole), `cut at ${cut}`);
  }
});

test('MQTT proxy: a subscription to one topic is an edge before anything is delivered; a wildcard one waits for its deliveries', () => {
  const t = new ProxyTraffic();
  t.open('c1', 'panel');
  t.subscribe('c1', 'panel', 'home/door');
  t.subscribe('c1', 'panel', 'home/+/temp');
  const s = new AnalysisState();
  s.ingest(t.messages);
  const g = s.topologyGraph();
  const label = (id: string) => g.nodes.find((n) => n.id === id)!.label;
  assert.deepEqual(g.edges.map((e) => [label(e.source), label(e.target), e.count]), [['home/door', 'panel', 0]]);
});
