import { logLevel, type logCreator } from 'kafkajs';

export interface KafkaLogEvent {
  level: 'error' | 'warn';
  namespace: string;
  message: string;
  /** kafkajs puts the underlying error's text in `error` on most entries. */
  error: string | null;
}

/**
 * kafkajs logs to the console by default, several lines per reconnect attempt. The tap
 * routes warnings and errors to its owner instead (they become endpoint status) and drops
 * the rest.
 */
export function quietLogCreator(onLog: (e: KafkaLogEvent) => void): logCreator {
  return () => (entry) => {
    if (entry.level !== logLevel.ERROR && entry.level !== logLevel.WARN) return;
    const log = entry.log as { message?: unknown; error?: unknown };
    onLog({
      level: entry.level === logLevel.ERROR ? 'error' : 'warn',
      namespace: entry.namespace,
      message: String(log.message ?? ''),
      error: log.error === undefined ? null : String(log.error),
    });
  };
}

/** True for log lines that mean the broker cannot be reached right now. */
export function isConnectionTrouble(e: KafkaLogEvent): boolean {
  const text = `${e.message} ${e.error ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|Connection (error|timeout|closed)|Closed connection|not connected/i.test(
    text,
  );
}
