import type { InspectorClient } from '../../../shared/api.ts';
import { bridgeToken, createBridgeClient } from './bridge-client.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the browser build. */
    flowscope?: InspectorClient;
  }
}

let client: InspectorClient | null = null;
const connectionListeners = new Set<(up: boolean, why?: string) => void>();

/** Listens for the bridge connection going up or down (the IPC client is always up). */
export function onConnection(fn: (up: boolean, why?: string) => void): () => void {
  connectionListeners.add(fn);
  return () => connectionListeners.delete(fn);
}

/** The one client the UI talks to; it does not know whether IPC or the bridge is behind it. */
export function getClient(): InspectorClient {
  if (client) return client;
  if (window.flowscope) {
    client = window.flowscope;
    return client;
  }
  const token = bridgeToken();
  if (!token) {
    throw new Error('No access token: open the URL that `flowscope serve` printed (it ends with ?token=…).');
  }
  client = createBridgeClient(token, (up, why) => {
    for (const fn of connectionListeners) fn(up, why);
  });
  return client;
}
