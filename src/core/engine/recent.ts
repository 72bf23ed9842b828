import fs from 'node:fs';
import { getLogger } from '../common/logger.ts';

const log = getLogger('engine');

const MAX_RECENT = 20;

/** The recent-sessions list, kept as a small JSON file in the data folder. */
export class RecentSessions {
  constructor(private readonly file: string) {}

  list(): { path: string; openedAt: string }[] {
    try {
      const raw = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      if (!Array.isArray(raw)) return [];
      return raw
        .filter((e): e is { path: string; openedAt: string } => typeof e?.path === 'string' && typeof e?.openedAt === 'string')
        .filter((e) => fs.existsSync(e.path));
    } catch {
      // No list yet (first start), or one a user edited into nonsense: start a new one.
      return [];
    }
  }

  add(path: string): void {
    const next = [{ path, openedAt: new Date().toISOString() }, ...this.list().filter((e) => e.path !== path)].slice(0, MAX_RECENT);
    try {
      fs.writeFileSync(this.file, JSON.stringify(next, null, 2));
    } catch (err) {
      // The recent list is a convenience; failing to write it must not fail the open.
      log.debug(`cannot write the recent-sessions list ${this.file}`, err);
    }
  }
}
