// The preload runs sandboxed with context isolation: it exposes named, allowlisted calls
// built from the contract, never ipcRenderer itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  ApiError,
  isEventChannel,
  isRequestChannel,
  type EventChannel,
  type Events,
  type InspectorClient,
  type RequestChannel,
  type RequestInput,
  type RequestResult,
} from '../shared/api.ts';
import { decodeEvent, decodeReply, encodeRequest, payloadFor, resultOf } from '../shared/envelope.ts';

let nextId = 1;

const api: InspectorClient = {
  kind: 'ipc',
  async call<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestResult<C>> {
    if (!isRequestChannel(channel)) throw new ApiError('bad-request', `Unknown channel ${String(channel)}`);
    const reply = decodeReply(await ipcRenderer.invoke(channel, encodeRequest(nextId++, channel, input)));
    return resultOf(channel, reply);
  },
  on<E extends EventChannel>(event: E, handler: (payload: Events[E]) => void): () => void {
    if (!isEventChannel(event)) throw new ApiError('bad-request', `Unknown event ${String(event)}`);
    const listener = (_e: IpcRendererEvent, raw: unknown) => {
      const msg = decodeEvent(raw);
      const payload = msg && payloadFor(event, msg);
      if (payload) handler(payload);
    };
    ipcRenderer.on(event, listener);
    return () => ipcRenderer.removeListener(event, listener);
  },
};

contextBridge.exposeInMainWorld('flowscope', api);
