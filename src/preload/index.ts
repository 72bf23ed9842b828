// The preload runs sandboxed with context isolation: it exposes named, allowlisted calls
// built from the contract, never ipcRenderer itself.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import {
  ApiError,
  isDesktopChannel,
  isEventChannel,
  isRequestChannel,
  type EventChannel,
  type Events,
  type DesktopApi,
  type DesktopChannel,
  type DesktopInput,
  type DesktopResults,
  type InspectorClient,
  type RequestChannel,
  type RequestInput,
  type RequestResult,
} from '../shared/api.ts';
import { decodeEvent, decodeReply, encodeRequest, payloadFor, resultOf } from '../shared/envelope.ts';

let nextId = 1;

/** The shell's own requests (native dialogs, dropped files): the same envelope, other channels. */
const desktop: DesktopApi = {
  async call<C extends DesktopChannel>(channel: C, input: DesktopInput<C>): Promise<DesktopResults[C]> {
    if (!isDesktopChannel(channel)) throw new ApiError('bad-request', `Unknown channel ${String(channel)}`);
    const reply = decodeReply(await ipcRenderer.invoke(channel, { id: nextId++, channel, input }));
    if (!reply.ok) throw new ApiError(reply.error.code, reply.error.message);
    return reply.result as DesktopResults[C];
  },
  pathForFile(file: unknown): string {
    // Only a File the page really holds (a drop) has a path; anything else has none.
    try {
      return webUtils.getPathForFile(file as File);
    } catch {
      return '';
    }
  },
};

const api: InspectorClient = {
  kind: 'ipc',
  desktop,
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
