import type { EventChannel, Events, InspectorClient, RequestChannel, RequestInput, RequestResult } from '../../../shared/api.ts';
import {
  decodeServerMessage,
  encodeRequest,
  fromText,
  payloadFor,
  resultOf,
  toText,
  type EventEnvelope,
  type ReplyEnvelope,
} from '../../../shared/envelope.ts';

const TOKEN_KEY = 'flowscope.bridge.token';

/** Takes the token from the page URL once, keeps it for this tab, and removes it from the URL. */
export function bridgeToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.toString());
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

type Pending = { settle: (reply: ReplyEnvelope) => void; reject: (e: Error) => void };

/** The InspectorApi over the WebSocket bridge (browser build and `flowscope serve`). */
export function createBridgeClient(token: string, onConnection?: (up: boolean, why?: string) => void): InspectorClient {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const handlers = new Map<EventChannel, Set<(msg: EventEnvelope) => void>>();
  let socket: WebSocket | null = null;
  let ready: Promise<WebSocket> | null = null;
  let retryMs = 250;

  const connect = (): Promise<WebSocket> => {
    ready ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://${window.location.host}/bridge?token=${encodeURIComponent(token)}`);
      ws.onopen = () => {
        socket = ws;
        retryMs = 250;
        onConnection?.(true);
        resolve(ws);
      };
      ws.onmessage = (ev) => {
        const msg = decodeServerMessage(fromText(String(ev.data)));
        if (!msg) return;
        if ('event' in msg) {
          for (const h of handlers.get(msg.event) ?? []) h(msg);
          return;
        }
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        p.settle(msg);
      };
      ws.onclose = () => {
        const wasUp = socket === ws;
        socket = null;
        ready = null;
        for (const p of pending.values()) p.reject(new Error('Lost the connection to the Flowscope engine.'));
        pending.clear();
        onConnection?.(false, wasUp ? 'Lost the connection to the Flowscope engine; reconnecting…' : 'Cannot reach the Flowscope engine.');
        if (!wasUp) reject(new Error('Cannot reach the Flowscope engine (is `flowscope serve` running, and is the token right?).'));
        setTimeout(() => void connect().catch(() => undefined), retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      };
    });
    return ready;
  };
  void connect().catch(() => undefined);

  return {
    kind: 'bridge',
    async call<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestResult<C>> {
      const ws = socket ?? (await connect());
      const id = nextId++;
      return new Promise<RequestResult<C>>((resolve, reject) => {
        const settle = (reply: ReplyEnvelope) => {
          try {
            resolve(resultOf(channel, reply));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        };
        pending.set(id, { settle, reject });
        ws.send(toText(encodeRequest(id, channel, input)));
      });
    },
    on<E extends EventChannel>(event: E, handler: (payload: Events[E]) => void): () => void {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      const h = (msg: EventEnvelope) => {
        const payload = payloadFor(event, msg);
        if (payload) handler(payload);
      };
      set.add(h);
      return () => set.delete(h);
    },
  };
}
