/**
 * What the engine process and its parent say to each other besides the contract. Requests,
 * replies and events cross as the contract's own envelopes (src/shared/envelope.ts); these
 * few control messages start, describe and stop the engine process.
 */
import type { EngineOptions } from '../engine/engine.ts';
import type { RequestEnvelope, ServerMessage } from '../../shared/envelope.ts';

/** One end of a message channel: a Node IPC channel or an Electron MessagePort. */
export interface HostPort {
  post(msg: unknown): void;
  onMessage(fn: (msg: unknown) => void): void;
}

/** Parent → engine process. */
export type ToEngine =
  | { control: 'init'; options: EngineOptions; logFile?: string }
  | { control: 'shutdown' }
  | RequestEnvelope;

/** Engine process → parent. */
export type FromEngine =
  | { control: 'ready'; pid: number }
  | { control: 'failed'; message: string }
  /** The files of the sessions open in the engine, sent whenever that set may have changed. */
  | { control: 'sessions'; files: string[] }
  | { control: 'stopped' }
  | ServerMessage;

export function isControl(msg: unknown): msg is { control: string } & Record<string, unknown> {
  return typeof msg === 'object' && msg !== null && typeof (msg as { control?: unknown }).control === 'string';
}
