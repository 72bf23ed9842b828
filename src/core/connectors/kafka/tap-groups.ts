import crypto from 'node:crypto';
import type { Admin } from 'kafkajs';
import { deleteTapGroup, TAP_GROUP_PREFIX } from './cluster.ts';

/**
 * The throwaway consumer groups one tap reads through. Each consumer the tap builds gets a
 * fresh group: after a crash the old member lingers in its group until its session times
 * out, and a new member joining that group would wait for it. Every group is deleted: the
 * superseded ones as soon as a newer consumer has joined, the rest on stop.
 */
export class TapGroups {
  private readonly base: string;
  private readonly used: string[] = [];
  private readonly retiring = new Map<string, Promise<void>>();
  private readonly deleted = new Set<string>();

  constructor(endpointId: string) {
    this.base = `${TAP_GROUP_PREFIX}${endpointId}-${crypto.randomBytes(4).toString('hex')}`;
  }

  get current(): string | null {
    return this.used.at(-1) ?? null;
  }

  get all(): readonly string[] {
    return this.used;
  }

  next(): string {
    const id = `${this.base}-${this.used.length + 1}`;
    this.used.push(id);
    return id;
  }

  /** Starts deleting every group but the current one, in the background. */
  retireOld(admin: Admin): void {
    for (const g of this.used.slice(0, -1)) {
      if (this.retiring.has(g) || this.deleted.has(g)) continue;
      const done = deleteTapGroup(admin, g).then(
        () => void this.deleted.add(g),
        () => void this.retiring.delete(g), // deleteAll tries again
      );
      this.retiring.set(g, done);
    }
  }

  /** Deletes every group not deleted yet; gives up after `timeoutMs`. */
  async deleteAll(admin: Admin, timeoutMs: number): Promise<void> {
    const run = async (): Promise<void> => {
      await Promise.all(this.retiring.values());
      const left = this.used.filter((g) => !this.deleted.has(g));
      await Promise.all(left.map((g) => deleteTapGroup(admin, g).then(() => void this.deleted.add(g))));
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`gave up after ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      await Promise.race([run(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
