// What the environment decides for the development broker: the Kafka release, where its files
// live and which ports it listens on.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Apache Kafka release the broker runs (KAFKA_VERSION, 4.x). */
export const KAFKA_VERSION = process.env.KAFKA_VERSION || '4.1.2';

/** KAFKA_CACHE_DIR, default <repo>/.cache/kafka: jars in libs/, one run-<port>/ per broker. */
export function kafkaCacheDir(): string {
  return path.resolve(process.env.KAFKA_CACHE_DIR || path.join(REPO_ROOT, '.cache', 'kafka'));
}

/** The fetched jars, plus what is derived from one release (class-data archive, KRaft template). */
export function libsDir(): string {
  return path.join(kafkaCacheDir(), 'libs');
}

/** The files of the broker on one port, all under <cache>/run-<port>. */
export interface BrokerPaths {
  state: string;
  data: string;
  props: string;
  log4j: string;
  pidFile: string;
  logFile: string;
  appLogs: string;
  /** Names the class-data archive this run dumps at exit (see cds.ts). */
  cdsDump: string;
}

export function brokerPaths(port: number): BrokerPaths {
  const state = path.join(kafkaCacheDir(), `run-${port}`);
  return {
    state,
    data: path.join(state, 'data'),
    props: path.join(state, 'server.properties'),
    log4j: path.join(state, 'log4j2.properties'),
    pidFile: path.join(state, 'kafka.pid'),
    logFile: path.join(state, 'kafka.log'),
    appLogs: path.join(state, 'logs'),
    cdsDump: path.join(state, 'cds-dump.path'),
  };
}

/** A TCP port number, or an error naming `what` and the rejected value. */
export function parsePort(value: string | number, what = 'Kafka port'): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid ${what}: ${value}`);
  return port;
}

/** The broker's port: the caller's, else KAFKA_PORT, else 9092. */
export function resolvePort(port?: number, env: NodeJS.ProcessEnv = process.env): number {
  return parsePort(port ?? (env.KAFKA_PORT || 9092));
}

export interface BrokerPorts {
  port: number;
  controllerPort: number;
}

/** The broker and KRaft controller ports; the controller defaults to KAFKA_CONTROLLER_PORT, else port + 1. */
export function resolvePorts(opts: { port?: number; controllerPort?: number }, env: NodeJS.ProcessEnv = process.env): BrokerPorts {
  const port = resolvePort(opts.port, env);
  // KAFKA_CONTROLLER_PORT pairs with KAFKA_PORT or the default port only, never with a port a
  // caller passed (the test runner's own broker must not collide with the user's).
  const fromEnv = opts.port === undefined ? env.KAFKA_CONTROLLER_PORT || undefined : undefined;
  const controllerPort = parsePort(opts.controllerPort ?? fromEnv ?? port + 1, 'Kafka controller port');
  if (controllerPort === port) throw new Error(`invalid Kafka controller port: ${controllerPort} is the broker port`);
  return { port, controllerPort };
}

/** Progress goes to stderr, so stdout carries only a command's result. */
export function log(msg: string): void {
  process.stderr.write(`[kafka] ${msg}\n`);
}
