import type { Admin } from 'kafkajs';
import type { GroupOffset } from '../../../shared/model.ts';
import type { DiscoveredGroup, DiscoveredTopic, Discovery } from '../../../shared/discovery.ts';

/** Every consumer group a Flowscope tap creates starts with this. */
export const TAP_GROUP_PREFIX = 'flowscope-tap-';
/** Groups Flowscope itself owns; discovery, offset polling and analysis leave them out. */
export const OWN_GROUP_PREFIX = 'flowscope-';

/** Discovery visits at most this many topics, so a huge cluster cannot stall a recording. */
const MAX_TOPICS = 500;

/** Runs `fn` over `items`, at most `limit` at a time. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function userTopics(admin: Admin): Promise<string[]> {
  return (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
}

/** Topics with watermarks, and consumer groups with state and committed offsets. */
export async function discoverCluster(admin: Admin, endpoint: string): Promise<Discovery> {
  const names = (await userTopics(admin)).slice(0, MAX_TOPICS);
  const topics: DiscoveredTopic[] = (
    await mapLimit(names, 8, async (name): Promise<DiscoveredTopic | null> => {
      try {
        const parts = await admin.fetchTopicOffsets(name);
        return {
          name,
          partitions: parts
            .map((p) => ({ partition: p.partition, highWatermark: p.high, lowWatermark: p.low }))
            .sort((a, b) => a.partition - b.partition),
        };
      } catch {
        return null; // deleted between list and fetch
      }
    })
  ).filter((t): t is DiscoveredTopic => t !== null);

  const { groups: listed } = await admin.listGroups();
  const ids = listed.map((g) => g.groupId).filter((id) => !id.startsWith(OWN_GROUP_PREFIX));
  const states = new Map<string, string>();
  if (ids.length > 0) {
    for (const g of (await admin.describeGroups(ids)).groups) states.set(g.groupId, g.state);
  }
  const groups: DiscoveredGroup[] = await mapLimit(ids, 8, async (groupId) => {
    const offsets: DiscoveredGroup['offsets'] = [];
    try {
      for (const t of await admin.fetchOffsets({ groupId })) {
        for (const p of t.partitions) offsets.push({ topic: t.topic, partition: p.partition, offset: p.offset });
      }
    } catch {
      // A group can vanish between list and fetch; report it without offsets.
    }
    const state = states.get(groupId);
    return { groupId, ...(state ? { state } : {}), offsets };
  });
  return { endpoint, time: Date.now(), source: 'admin', topics, groups };
}

/**
 * Committed offsets of every application group on `topics`, keyed group/topic/partition.
 * A topic appears for a group only if the group committed on at least one of its
 * partitions (else every group would list every tapped topic at -1).
 */
export async function fetchGroupOffsets(
  admin: Admin,
  topics: readonly string[],
): Promise<Map<string, Omit<GroupOffset, 'time' | 'endpoint'>>> {
  const out = new Map<string, Omit<GroupOffset, 'time' | 'endpoint'>>();
  if (topics.length === 0) return out;
  const { groups } = await admin.listGroups();
  const ids = groups.map((g) => g.groupId).filter((id) => !id.startsWith(OWN_GROUP_PREFIX));
  await mapLimit(ids, 8, async (groupId) => {
    let res: Awaited<ReturnType<Admin['fetchOffsets']>>;
    try {
      res = await admin.fetchOffsets({ groupId, topics: [...topics] });
    } catch {
      return; // deleted meanwhile
    }
    for (const t of res) {
      if (!t.partitions.some((p) => Number(p.offset) >= 0)) continue;
      for (const p of t.partitions) {
        out.set(`${groupId}\u0000${t.topic}\u0000${p.partition}`, {
          groupId,
          topic: t.topic,
          partition: p.partition,
          offset: p.offset,
        });
      }
    }
  });
  return out;
}

/**
 * Where a "from now" tap starts in each partition of `topics`. With `sinceMs`, the first
 * record stamped at or after that time (the user pressed start while the broker was still
 * unreachable, and records produced since then belong to the recording); without, the
 * high watermark.
 */
export async function startOffsets(
  admin: Admin,
  topics: readonly string[],
  sinceMs: number | null,
): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  await mapLimit(topics, 8, async (topic) => {
    const parts =
      sinceMs === null
        ? (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high }))
        : await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs);
    for (const p of parts) out.set(partitionKey(topic, p.partition), BigInt(p.offset));
  });
  return out;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Removes a tap's own group; a group that is already gone is fine. */
export async function deleteTapGroup(admin: Admin, groupId: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.deleteGroups([groupId]);
      return;
    } catch (err) {
      // KafkaJSDeleteGroupsError lists each group's protocol error; other failures carry their own type.
      const e = err as { type?: string; groups?: { error?: { type?: string } }[] };
      const types = new Set([e.type, ...(e.groups ?? []).map((g) => g.error?.type)]);
      if (types.has('GROUP_ID_NOT_FOUND')) return;
      // The member's LeaveGroup may still be in flight, or a member orphaned by a crash is
      // waiting for its session timeout (TapConsumer's, 6 s): the group is not empty yet.
      if (!types.has('NON_EMPTY_GROUP') || attempt >= 60) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
