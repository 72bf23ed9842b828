import { FifoMap } from './fifo-map.ts';

const MAX_REPLY_NAMES = 10_000;
const MAX_CLOSED_CONNECTIONS = 10_000;

/** Names replies have been addressed to (a queue or topic a request named, or a reply used), bounded. */
export class ReplyNames {
  private readonly names = new FifoMap<string, number>();
  private stamp = 0;

  add(name: string | null): void {
    if (!name || this.names.has(name)) return;
    if (this.names.size >= MAX_REPLY_NAMES) this.names.shift();
    this.names.set(name, ++this.stamp);
  }

  has(name: string | null): boolean {
    return name !== null && this.names.has(name);
  }
}

/** Which WebSocket connections hold which open requests, and which connections have closed (bounded). */
export class Connections {
  private readonly open = new Map<string, Set<string>>();
  private readonly closed = new FifoMap<string, number>();
  private stamp = 0;

  hold(connKey: string, key: string): void {
    let set = this.open.get(connKey);
    if (!set) this.open.set(connKey, (set = new Set()));
    set.add(key);
  }

  release(connKey: string, key: string): void {
    const set = this.open.get(connKey);
    set?.delete(key);
    if (set && set.size === 0) this.open.delete(connKey);
  }

  opened(connKey: string): void {
    this.closed.delete(connKey);
  }

  isClosed(connKey: string): boolean {
    return this.closed.has(connKey);
  }

  /** Marks the connection closed and hands back the keys of the requests it held. */
  close(connKey: string): string[] {
    if (this.closed.size >= MAX_CLOSED_CONNECTIONS) this.closed.shift();
    this.closed.set(connKey, ++this.stamp);
    const keys = this.open.get(connKey);
    this.open.delete(connKey);
    return keys ? [...keys] : [];
  }
}
