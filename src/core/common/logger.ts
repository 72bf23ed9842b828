/**
 * The engine's logger: four levels, one sink per process (stderr for the CLI, a file under
 * Electron's logs folder for the desktop app), and redaction of every line, so no
 * password or token reaches a log whatever a caller or a client library put in it.
 *
 * Modules take a scoped logger once (`const log = getLogger('kafka')`); the process picks
 * the sink and level at start-up with `configureLogging`. Until then lines go to stderr.
 * FLOWSCOPE_LOG_LEVEL (error, warn, info, debug) overrides the level.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LOG_FILE_MAX_BYTES } from './constants.ts';
import { errorText } from './errors.ts';
import { redactText } from './redact.ts';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where formatted lines go. */
export interface LogSink {
  write(line: string): void;
}

export interface Logger {
  error(message: string, err?: unknown): void;
  warn(message: string, err?: unknown): void;
  info(message: string, err?: unknown): void;
  debug(message: string, err?: unknown): void;
}

export interface LoggingOptions {
  sink?: LogSink;
  /** The level when FLOWSCOPE_LOG_LEVEL does not set one. */
  level?: LogLevel;
  /** The environment to read FLOWSCOPE_LOG_LEVEL from (tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

/** Lines to stderr: the CLI's sink, and everyone's until configured. */
export const stderrSink: LogSink = { write: (line) => process.stderr.write(`${line}\n`) };

/**
 * Appends to a file, creating its folder. Past `maxBytes` the file is renamed to
 * `<name>.1` (replacing the previous one) and a new one begun, so logs never grow unbounded.
 * Writes are synchronous: lines are rare, and the last ones before a crash matter most.
 */
export function fileSink(file: string, maxBytes = LOG_FILE_MAX_BYTES): LogSink {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let size = fs.existsSync(file) ? fs.statSync(file).size : 0;
  return {
    write(line) {
      const bytes = Buffer.byteLength(line) + 1;
      if (size > 0 && size + bytes > maxBytes) {
        fs.renameSync(file, `${file}.1`);
        size = 0;
      }
      fs.appendFileSync(file, `${line}\n`);
      size += bytes;
    },
  };
}

/** A level named by a user (case-insensitive), or undefined for anything else. */
export function parseLogLevel(text: string | undefined): LogLevel | undefined {
  const t = text?.trim().toLowerCase();
  return LOG_LEVELS.find((l) => l === t);
}

const DEBUG = LOG_LEVELS.indexOf('debug');
let sink: LogSink = stderrSink;
let threshold = LOG_LEVELS.indexOf(parseLogLevel(process.env.FLOWSCOPE_LOG_LEVEL) ?? 'warn');

/** Chooses the process's sink and level; call once at start-up. */
export function configureLogging(opts: LoggingOptions = {}): void {
  sink = opts.sink ?? stderrSink;
  const level = parseLogLevel((opts.env ?? process.env).FLOWSCOPE_LOG_LEVEL) ?? opts.level ?? 'warn';
  threshold = LOG_LEVELS.indexOf(level);
}

/** A logger whose lines name `scope` (a module or endpoint: "kafka", "engine"). */
export function getLogger(scope: string): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, err?: unknown): void => {
      if (LOG_LEVELS.indexOf(level) > threshold) return;
      let detail = err === undefined ? '' : `: ${errorText(err)}`;
      // At debug the stack too: that level is for finding out where a failure came from.
      if (threshold === DEBUG && err instanceof Error && err.stack) detail += `\n${err.stack}`;
      const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${scope}] ${message}${detail}`;
      try {
        sink.write(redactText(line));
      } catch {
        // A log that cannot be written (disk full, closed stderr) must not break what was being logged.
      }
    };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
