import { logLevel, type logCreator } from 'kafkajs';
import { getLogger } from '../../common/logger.ts';

export interface KafkaLogEvent {
  level: 'error' | 'warn';
  namespace: string;
  message: string;
  /** kafkajs puts the underlying error's text in `error` on most entries. */
  error: string | null;
  /**
   * The broker connection failed or timed out. kafkajs logs only text, but it logs these
   * from its `Connection` namespace, and there without the `correlationId` that its
   * logged request failures carry (kafkajs src/network/connection.js).
   */
  connectionLost: boolean;
}

const log = getLogger('kafkajs');

/**
 * kafkajs logs to the console by default, several lines per reconnect attempt. The tap
 * routes warnings and errors to its owner instead (they become endpoint status) and to the
 * engine log at debug level, and drops the rest.
 */
export function quietLogCreator(onLog: (e: KafkaLogEvent) => void): logCreator {
  return () => (entry) => {
    if (entry.level !== logLevel.ERROR && entry.level !== logLevel.WARN) return;
    const extra = entry.log as { message?: unknown; error?: unknown; correlationId?: unknown };
    const event: KafkaLogEvent = {
      level: entry.level === logLevel.ERROR ? 'error' : 'warn',
      namespace: entry.namespace,
      message: String(extra.message ?? ''),
      error: extra.error === undefined ? null : String(extra.error),
      connectionLost: entry.level === logLevel.ERROR && entry.namespace === 'Connection' && extra.correlationId === undefined,
    };
    log.debug(`${event.namespace}: ${event.message}${event.error ? ` (${event.error})` : ''}`);
    onLog(event);
  };
}
