/** Thrown when a file cannot be used as a session. The message is meant for the user. */
export class SessionFileError extends Error {
  constructor(
    message: string,
    readonly code: 'not-found' | 'not-a-session' | 'newer-schema' | 'corrupt' | 'exists' | 'own-input',
  ) {
    super(message);
    this.name = 'SessionFileError';
  }
}

/**
 * The one sentence every command and the UI use for a damaged session, whether the damage
 * is found when the file is opened or later, on a page only some query reaches.
 * `detail` says what is wrong; `state` is how the file is described.
 */
export function damagedError(path: string, detail: string, state = 'damaged'): SessionFileError {
  return new SessionFileError(
    `${path} is ${state} (${detail}); Flowscope does not read damaged sessions and left the file as it is.`,
    'corrupt',
  );
}

/** True for SQLite's "this file is damaged" errors (SQLITE_CORRUPT and its extended codes, SQLITE_NOTADB). */
export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** A damaged-file error in the common words when `err` is one; otherwise `err` itself. */
export function asSessionFileError(err: unknown, path: string): unknown {
  return isCorruption(err) ? damagedError(path, (err as Error).message) : err;
}
