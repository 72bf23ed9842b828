import type { Admin } from 'kafkajs';
import type { GroupOffset } from '../../../shared/model.ts';
import type { CaptureSink } from '../types.ts';
import { fetchGroupOffsets } from './cluster.ts';

/**
 * Polls the committed offsets of application consumer groups on the tapped topics and hands
 * the sink only what changed since the last poll (the first poll hands everything), so a
 * long idle recording does not fill the session with identical rows. Flowscope's own tap
 * groups are left out (cluster.ts OWN_GROUP_PREFIX).
 */
export class GroupOffsetsPoller {
  private readonly last = new Map<string, string>();
  private running = false;

  constructor(
    private readonly endpoint: string,
    private readonly sink: CaptureSink,
  ) {}

  async poll(admin: Admin, topics: readonly string[]): Promise<void> {
    if (this.running || !this.sink.offsets) return;
    this.running = true;
    try {
      const now = await fetchGroupOffsets(admin, topics);
      const time = Date.now();
      const rows: GroupOffset[] = [];
      for (const [key, o] of now) {
        if (this.last.get(key) === o.offset) continue;
        this.last.set(key, o.offset);
        rows.push({ time, endpoint: this.endpoint, ...o });
      }
      if (rows.length > 0) this.sink.offsets(rows);
    } finally {
      this.running = false;
    }
  }
}
