import type { RequestChannel, RequestInput, RequestResult } from '../../../shared/api.ts';
import type { SessionInfo } from '../../../shared/views.ts';
import { getClient } from '../api/client.ts';
import { removeSession, toast, upsertSession } from '../state/app.ts';
import { errorMessage } from './format.ts';

/** Runs a request; on failure shows its message as a toast and resolves to null. */
export async function tryCall<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestResult<C> | null> {
  try {
    return await getClient().call(channel, input);
  } catch (err) {
    toast(errorMessage(err));
    return null;
  }
}

export async function startDemo(sessionId?: string): Promise<SessionInfo | null> {
  const info = await tryCall('renderer:demo:start', sessionId ? { sessionId } : {});
  if (info) upsertSession(info, true);
  return info;
}

export async function newSession(): Promise<SessionInfo | null> {
  const info = await tryCall('renderer:session:new', {});
  if (info) upsertSession(info, true);
  return info;
}

export async function closeSession(id: string): Promise<void> {
  const r = await tryCall('renderer:session:close', { sessionId: id });
  if (r) removeSession(id);
}

export async function refreshSession(id: string): Promise<void> {
  const info = await getClient()
    .call('renderer:session:info', { sessionId: id })
    .catch(() => null);
  if (info) upsertSession(info, false);
}
