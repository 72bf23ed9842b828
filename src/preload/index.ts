// The preload runs sandboxed with context isolation: it exposes named, allowlisted calls
// built from the contract, never ipcRenderer itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  isEventChannel,
  isRequestChannel,
  type EventChannel,
  type Events,
  type InspectorClient,
  type RequestChannel,
  type RequestInput,
  type RequestResult,
} from '../shared/api.ts';

type Envelope = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

const api: InspectorClient = {
  kind: 'ipc',
  async invoke<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestResult<C>> {
    if (!isRequestChannel(channel)) throw new Error(`Unknown channel ${String(channel)}`);
    const res = (await ipcRenderer.invoke(channel, input)) as Envelope;
    if (!res.ok) throw Object.assign(new Error(res.error.message), { code: res.error.code });
    return res.result as RequestResult<C>;
  },
  on<E extends EventChannel>(event: E, handler: (payload: Events[E]) => void): () => void {
    if (!isEventChannel(event)) throw new Error(`Unknown event ${String(event)}`);
    const listener = (_e: IpcRendererEvent, payload: Events[E]) => handler(payload);
    ipcRenderer.on(event, listener);
    return () => ipcRenderer.removeListener(event, listener);
  },
};

contextBridge.exposeInMainWorld('flowscope', api);
