/**
 * The one contract between engine and UI: every request channel with its input schema and
 * result type, and every pushed event. Main (IPC), preload, the WebSocket bridge and the
 * renderer all import this file; nothing else names a channel.
 *
 * Channels read `direction:domain:action`: who sends, what about, what happens
 * (`renderer:session:open`, `main:traffic:batch`).
 */
import { z } from 'zod';
import { messageFilterSchema } from './filter.ts';
import type {
  Analysed,
  AnalysisStatus,
  AnalysisSummary,
  DestinationStats,
  EndpointView,
  LatencyHistogram,
  PairsPage,
  PlaybackState,
  ReplayPlan,
  ReplayProgress,
  SessionInfo,
  StorageStatus,
  TimelineSeries,
  TopologyGraph,
  TrafficBatch,
  UndeliveredGroup,
} from './views.ts';
import type { Gap, MessageDetail, MessageRow } from './model.ts';
import { endpointSpecSchema, replayRequestSchema } from './specs.ts';
import { decoderSettingsSchema, type DecoderSettings } from './decoders.ts';

export * from './views.ts';
export * from './specs.ts';
export { messageFilterSchema, type MessageFilter } from './filter.ts';
export * from './decoders.ts';

const sessionId = z.string().min(1).max(64);
const path = z.string().min(1).max(4096);

/** Every request channel: its validated input and (as a type) its result. */
export const requests = {
  'renderer:app:info': { input: z.object({}).strict() },
  'renderer:session:list': { input: z.object({}).strict() },
  'renderer:session:recent': { input: z.object({}).strict() },
  'renderer:session:new': { input: z.object({ path: path.optional() }).strict() },
  'renderer:session:open': { input: z.object({ path }).strict() },
  'renderer:session:info': { input: z.object({ sessionId }).strict() },
  /** The session's gaps: spans whose traffic was not (all) stored (disk full, a dropped connection). */
  'renderer:session:gaps': { input: z.object({ sessionId }).strict() },
  'renderer:session:save-as': { input: z.object({ sessionId, path }).strict() },
  'renderer:session:close': { input: z.object({ sessionId }).strict() },
  'renderer:session:set-notes': { input: z.object({ sessionId, notes: z.string().max(100_000) }).strict() },
  'renderer:session:export': {
    input: z
      .object({ sessionId, path, format: z.enum(['jsonl', 'har', 'asyncapi']), filter: messageFilterSchema.optional(), decoded: z.boolean().optional() })
      .strict(),
  },
  /** The session's decoder settings (rules and embedded schema files, kept in its file). */
  'renderer:session:decoders': { input: z.object({ sessionId }).strict() },
  /** Replaces them; refused with the reason when a rule names a missing schema or type. */
  'renderer:session:set-decoders': {
    input: z
      .object({
        sessionId,
        settings: decoderSettingsSchema,
        /** HTTP Authorization for the settings' Schema Registry (from user info typed in its URL): kept in memory, never in the file. */
        registryAuthorization: z.string().max(4096).optional(),
      })
      .strict(),
  },
  /** The subjects of a Schema Registry (GET /subjects), for the Decoders dialog; user info in the URL is used, not kept. */
  'renderer:decoders:subjects': { input: z.object({ url: z.string().min(1).max(2048) }).strict() },
  'renderer:session:import': {
    input: z.object({ path, format: z.enum(['jsonl', 'kcat', 'har']), out: path.optional() }).strict(),
  },
  'renderer:endpoint:connect': { input: z.object({ sessionId, spec: endpointSpecSchema }).strict() },
  'renderer:endpoint:disconnect': { input: z.object({ sessionId, endpointId: z.string().min(1).max(128) }).strict() },
  'renderer:endpoint:list': { input: z.object({ sessionId }).strict() },
  'renderer:demo:start': { input: z.object({ sessionId: sessionId.optional() }).strict() },
  'renderer:messages:query': {
    input: z
      .object({
        sessionId,
        filter: messageFilterSchema,
        offset: z.number().int().nonnegative().max(1e9).optional(),
        afterSeq: z.number().int().nonnegative().optional(),
        limit: z.number().int().min(1).max(1000),
        order: z.enum(['asc', 'desc']).optional(),
        withTotal: z.boolean().optional(),
      })
      .strict(),
  },
  'renderer:messages:get': { input: z.object({ sessionId, seq: z.number().int().positive() }).strict() },
  'renderer:messages:destinations': { input: z.object({ sessionId, filter: messageFilterSchema.optional() }).strict() },
  /** With `untilTime`, the summary as it stood then: what playback seeked to that time shows. */
  'renderer:analysis:summary': { input: z.object({ sessionId, untilTime: z.number().optional() }).strict() },
  'renderer:analysis:pairs': {
    input: z
      .object({
        sessionId,
        offset: z.number().int().nonnegative().max(1e9),
        limit: z.number().int().min(1).max(1000),
        destination: z.string().max(1024).optional(),
        status: z.enum(['matched', 'unanswered', 'orphan', 'duplicate']).optional(),
      })
      .strict(),
  },
  'renderer:analysis:latency': { input: z.object({ sessionId, destination: z.string().max(1024).optional() }).strict() },
  'renderer:analysis:undelivered': { input: z.object({ sessionId }).strict() },
  'renderer:analysis:topology': { input: z.object({ sessionId }).strict() },
  'renderer:analysis:timeline': {
    input: z
      .object({ sessionId, filter: messageFilterSchema.optional(), buckets: z.number().int().min(1).max(2000) })
      .strict(),
  },
  'renderer:playback:control': {
    input: z
      .object({
        sessionId,
        action: z.enum(['play', 'pause', 'seek', 'speed', 'stop']),
        time: z.number().optional(),
        speed: z.union([z.literal(1), z.literal(10), z.literal(100), z.literal('max')]).optional(),
      })
      .strict(),
  },
  'renderer:replay:start': { input: replayRequestSchema },
  /** What a replay would send (a dry run's plan, the first messages listed); sends nothing. */
  'renderer:replay:plan': { input: replayRequestSchema },
  'renderer:replay:cancel': { input: z.object({ replayId: z.string().min(1).max(64) }).strict() },
} as const;

/**
 * Requests only the desktop shell answers, never the engine: native file dialogs and files
 * dropped on the window. The browser build has none of them; the renderer asks
 * `InspectorClient.desktop` whether they exist (else it shows its typed-path dialog).
 */
export const desktopRequests = {
  /** A native open dialog; `import` offers JSON Lines and kcat files besides sessions. */
  'renderer:dialog:choose-file': { input: z.object({ purpose: z.enum(['open', 'import']) }).strict() },
  /** A native save dialog for a new file, starting at `defaultPath`. */
  'renderer:dialog:choose-target': { input: z.object({ purpose: z.enum(['save-as', 'export']), defaultPath: path.optional() }).strict() },
  /** Opens a session file dropped on the window; the shell checks that it is one before the engine opens it. */
  'renderer:desktop:open-dropped': { input: z.object({ path }).strict() },
} as const;

export interface DesktopResults {
  'renderer:dialog:choose-file': { path: string | null };
  'renderer:dialog:choose-target': { path: string | null };
  'renderer:desktop:open-dropped': SessionInfo;
}

export type DesktopChannel = keyof typeof desktopRequests;
export type DesktopInput<C extends DesktopChannel> = z.input<(typeof desktopRequests)[C]['input']>;
export type DesktopParsed<C extends DesktopChannel> = z.output<(typeof desktopRequests)[C]['input']>;
export const DESKTOP_CHANNELS = Object.keys(desktopRequests) as DesktopChannel[];

export function isDesktopChannel(c: unknown): c is DesktopChannel {
  return typeof c === 'string' && Object.prototype.hasOwnProperty.call(desktopRequests, c);
}

/** Validates a desktop request's input, with the same readable message as `parseInput`. */
export function parseDesktopInput<C extends DesktopChannel>(channel: C, input: unknown): DesktopParsed<C> {
  return parseWith(desktopRequests[channel].input as unknown as z.ZodType<DesktopParsed<C>>, channel, input);
}

/** What the desktop app's preload adds to the client: the shell's own requests, and dropped files' paths. */
export interface DesktopApi {
  call<C extends DesktopChannel>(channel: C, input: DesktopInput<C>): Promise<DesktopResults[C]>;
  /** The path of a File dropped on the window (Electron's webUtils.getPathForFile); '' when it has none. */
  pathForFile(file: unknown): string;
}

/** What each request channel resolves to. */
export interface Results {
  'renderer:app:info': {
    version: string;
    transport: 'ipc' | 'bridge';
    platform: string;
    demo: boolean;
    /** The process the engine runs in (its own, apart from the window's or the server's). */
    enginePid: number;
  };
  'renderer:session:list': SessionInfo[];
  'renderer:session:recent': { path: string; openedAt: string }[];
  'renderer:session:new': SessionInfo;
  'renderer:session:open': SessionInfo;
  'renderer:session:info': SessionInfo;
  'renderer:session:gaps': Gap[];
  'renderer:session:save-as': SessionInfo;
  'renderer:session:close': { closed: true };
  'renderer:session:set-notes': SessionInfo;
  'renderer:session:export': { path: string; count: number };
  'renderer:session:decoders': DecoderSettings;
  'renderer:session:set-decoders': DecoderSettings;
  'renderer:decoders:subjects': { subjects: string[] };
  'renderer:session:import': SessionInfo;
  'renderer:endpoint:connect': EndpointView;
  'renderer:endpoint:disconnect': { disconnected: true };
  'renderer:endpoint:list': EndpointView[];
  'renderer:demo:start': SessionInfo;
  'renderer:messages:query': { rows: MessageRow[]; total: number | null };
  'renderer:messages:get': MessageDetail | null;
  'renderer:messages:destinations': DestinationStats[];
  'renderer:analysis:summary': Analysed<AnalysisSummary>;
  'renderer:analysis:pairs': Analysed<PairsPage>;
  'renderer:analysis:latency': Analysed<LatencyHistogram>;
  'renderer:analysis:undelivered': Analysed<{ groups: UndeliveredGroup[] }>;
  'renderer:analysis:topology': Analysed<TopologyGraph>;
  'renderer:analysis:timeline': TimelineSeries;
  'renderer:playback:control': PlaybackState;
  'renderer:replay:start': { replayId: string };
  'renderer:replay:plan': ReplayPlan;
  'renderer:replay:cancel': { cancelled: boolean };
}

export type RequestChannel = keyof typeof requests;
/** What a caller passes (defaults not yet applied). */
export type RequestInput<C extends RequestChannel> = z.input<(typeof requests)[C]['input']>;
/** What a handler receives after validation. */
export type ParsedInput<C extends RequestChannel> = z.output<(typeof requests)[C]['input']>;
export type RequestResult<C extends RequestChannel> = Results[C];

/**
 * Every event the engine pushes, with its payload type. The one source of the event list:
 * `Events` and `EVENT_CHANNELS` are derived from it. Payloads come from the engine itself,
 * so `z.custom` only carries the type. Live traffic arrives at most ten times a second per
 * session.
 */
export const events = {
  'main:traffic:batch': { payload: z.custom<TrafficBatch>() },
  'main:endpoint:status': { payload: z.custom<{ sessionId: string; endpoint: EndpointView }>() },
  /** A recording's writes paused (the disk is full), its counts while paused (a few a second), and resumed. */
  'main:session:storage': { payload: z.custom<{ sessionId: string; storage: StorageStatus }>() },
  /** A gap was recorded in the session (writes resumed after a full disk, a tap reconnected): how many it has now. */
  'main:session:gaps': { payload: z.custom<{ sessionId: string; gapCount: number }>() },
  'main:session:changed': { payload: z.custom<SessionInfo>() },
  'main:session:closed': { payload: z.custom<{ sessionId: string }>() },
  'main:playback:state': { payload: z.custom<PlaybackState>() },
  'main:replay:progress': { payload: z.custom<ReplayProgress>() },
  /** A saved session's analysis advancing (at most ten a second per session), and once when it is ready or failed. */
  'main:analysis:progress': { payload: z.custom<{ sessionId: string; analysis: AnalysisStatus }>() },
  'main:app:error': { payload: z.custom<{ message: string }>() },
  /**
   * The engine process died unexpectedly: what happened and what to do, the files of the
   * sessions it had open (to reopen), and whether a new engine is running. Every session id
   * the window held is gone with it.
   */
  'main:engine:crashed': { payload: z.custom<{ message: string; files: string[]; restarted: boolean }>() },
} as const;

export type EventChannel = keyof typeof events;
/** Each event's payload. */
export type Events = { [E in EventChannel]: z.output<(typeof events)[E]['payload']> };

export const REQUEST_CHANNELS = Object.keys(requests) as RequestChannel[];
export const EVENT_CHANNELS = Object.keys(events) as EventChannel[];

export function isRequestChannel(c: unknown): c is RequestChannel {
  return typeof c === 'string' && Object.prototype.hasOwnProperty.call(requests, c);
}

export function isEventChannel(c: unknown): c is EventChannel {
  return typeof c === 'string' && Object.prototype.hasOwnProperty.call(events, c);
}

/** Validates a request's input; throws an ApiError with a readable message when it is bad. */
export function parseInput<C extends RequestChannel>(channel: C, input: unknown): ParsedInput<C> {
  return parseWith(requests[channel].input as unknown as z.ZodType<ParsedInput<C>>, channel, input);
}

/** The first problem of a bad input, named with its channel and path, as an ApiError. */
function parseWith<T>(schema: z.ZodType<T>, channel: string, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new ApiError('bad-request', `Invalid request to ${channel}${where}: ${issue?.message ?? 'invalid input'}`);
  }
  return r.data;
}

export type ApiErrorCode = 'bad-request' | 'not-found' | 'failed' | 'unauthorized';

/** An error the UI can show as it is. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The typed request call, the same in the engine's process (`Engine.call`) and over either
 * transport (`InspectorClient.call`): the channel picks its input and result types.
 */
export interface InspectorApi {
  call<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestResult<C>>;
}

/**
 * The client side of the contract, implemented by the preload (IPC) and by the browser's
 * bridge client. The renderer only ever sees this.
 */
export interface InspectorClient extends InspectorApi {
  on<E extends EventChannel>(event: E, handler: (payload: Events[E]) => void): () => void;
  readonly kind: 'ipc' | 'bridge';
  /** Only in the desktop app: native dialogs and dropped files. */
  readonly desktop?: DesktopApi;
}
