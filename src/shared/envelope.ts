/**
 * The one wire format of the InspectorApi, shared by both transports: the WebSocket bridge
 * (core/bridge and the renderer's bridge client) and Electron IPC (main/ipc and the preload).
 * A request carries an id that its reply repeats; an event carries its channel and payload.
 * Decoding never throws: a malformed request becomes an error reply, a malformed reply an
 * error, a malformed event nothing. No Node imports, so the renderer and the sandboxed
 * preload use it as it is.
 */
import {
  ApiError,
  isEventChannel,
  isRequestChannel,
  type ApiErrorCode,
  type EventChannel,
  type Events,
  type RequestChannel,
  type RequestInput,
  type RequestResult,
} from './api.ts';

/** The id of a reply to a request that had no usable id of its own. */
export const NO_ID = -1;

export interface RequestEnvelope<C extends RequestChannel = RequestChannel> {
  id: number;
  channel: C;
  input: unknown;
}

export interface WireError {
  code: ApiErrorCode;
  message: string;
}

export type ReplyEnvelope = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError };

/** The envelope of event `E`; over every channel it is a union that narrows on `event`. */
export type EventOf<E extends EventChannel> = { [K in EventChannel]: { event: K; payload: Events[K] } }[E];
export type EventEnvelope = EventOf<EventChannel>;

/** What the engine's side sends: replies and events. */
export type ServerMessage = ReplyEnvelope | EventEnvelope;

const ERROR_CODES: readonly ApiErrorCode[] = ['bad-request', 'not-found', 'failed', 'unauthorized'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

export function encodeRequest<C extends RequestChannel>(id: number, channel: C, input: RequestInput<C>): RequestEnvelope<C> {
  return { id, channel, input };
}

export type DecodedRequest = { ok: true; request: RequestEnvelope } | { ok: false; reply: ReplyEnvelope };

/** Checks a request's envelope (its input is the engine's to validate). */
export function decodeRequest(raw: unknown): DecodedRequest {
  const bad = (id: number, message: string): DecodedRequest => ({ ok: false, reply: errorReply(id, new ApiError('bad-request', message)) });
  if (!isRecord(raw)) return bad(NO_ID, `A request is an object with id, channel and input, not ${kindOf(raw)}.`);
  if (!isId(raw.id)) return bad(NO_ID, 'A request needs an integer id.');
  if (!isRequestChannel(raw.channel)) return bad(raw.id, `Unknown channel ${String(raw.channel).slice(0, 80)}`);
  return { ok: true, request: { id: raw.id, channel: raw.channel, input: raw.input } };
}

export function okReply(id: number, result: unknown): ReplyEnvelope {
  return { id, ok: true, result: result ?? null };
}

/** An error reply; anything but an ApiError counts as `failed`, with its message. */
export function errorReply(id: number, err: unknown): ReplyEnvelope {
  const e = err instanceof ApiError ? err : new ApiError('failed', err instanceof Error ? err.message : String(err));
  return { id, ok: false, error: { code: e.code, message: e.message } };
}

/**
 * Decodes one request and runs it, always resolving to its reply: a malformed request, or a
 * `run` that throws, gives an error reply.
 */
export async function answer(raw: unknown, run: (channel: RequestChannel, input: unknown) => Promise<unknown>): Promise<ReplyEnvelope> {
  const decoded = decodeRequest(raw);
  if (!decoded.ok) return decoded.reply;
  const { id, channel, input } = decoded.request;
  try {
    return okReply(id, await run(channel, input));
  } catch (err) {
    return errorReply(id, err);
  }
}

function decodeWireError(v: unknown): WireError | null {
  if (!isRecord(v) || typeof v.message !== 'string') return null;
  const code = ERROR_CODES.find((c) => c === v.code) ?? 'failed';
  return { code, message: v.message };
}

function asReply(v: Record<string, unknown>): ReplyEnvelope | null {
  if (!isId(v.id)) return null;
  if (v.ok === true) return { id: v.id, ok: true, result: v.result ?? null };
  const error = v.ok === false ? decodeWireError(v.error) : null;
  return error ? { id: v.id, ok: false, error } : null;
}

/** A reply as the client received it; anything malformed is an error reply. */
export function decodeReply(raw: unknown): ReplyEnvelope {
  const reply = isRecord(raw) ? asReply(raw) : null;
  return reply ?? errorReply(NO_ID, new ApiError('failed', 'The engine sent a malformed reply.'));
}

/**
 * The result a reply carries for `channel`, or its error thrown as an ApiError. Results are
 * not re-validated: the engine built them with the contract's own types, and this is the one
 * place that takes that on trust.
 */
export function resultOf<C extends RequestChannel>(_channel: C, reply: ReplyEnvelope): RequestResult<C> {
  if (!reply.ok) throw new ApiError(reply.error.code, reply.error.message);
  return reply.result as RequestResult<C>;
}

export function encodeEvent<E extends EventChannel>(event: E, payload: Events[E]): EventOf<E> {
  return { event, payload } as EventOf<E>;
}

/** An event on a contract channel, or null. Payloads come from the engine and are taken as typed. */
export function decodeEvent(raw: unknown): EventEnvelope | null {
  if (!isRecord(raw) || !isEventChannel(raw.event) || !('payload' in raw)) return null;
  return { event: raw.event, payload: raw.payload } as EventEnvelope;
}

/** The payload of `msg` when it is event `event`. */
export function payloadFor<E extends EventChannel>(event: E, msg: EventEnvelope): Events[E] | undefined {
  return msg.event === event ? (msg.payload as Events[E]) : undefined;
}

/** A reply or an event from the engine's side, or null when it is neither. */
export function decodeServerMessage(raw: unknown): ServerMessage | null {
  if (!isRecord(raw)) return null;
  return 'event' in raw ? decodeEvent(raw) : asReply(raw);
}

/** The text form of an envelope on the WebSocket bridge. */
export function toText(msg: RequestEnvelope | ServerMessage): string {
  return JSON.stringify(msg);
}

/** Parses a bridge text frame; undefined when it is not JSON. */
export function fromText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
