// Starting, stopping and inspecting the broker on one port. A broker is known by the pid
// file in its run-<port> dir; it is signalled by that pid only, never looked up by name.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { cdsArgs, discardCdsDump, promoteCdsDump } from './cds.ts';
import { fetchKafka, isFetched } from './fetch.ts';
import { brokerJvmArgs, classpath, javaBin } from './jvm.ts';
import { formatStorage, isFormatted, log4jProperties, serverProperties } from './kraft.ts';
import { probeKafka } from './probe.ts';
import { ensurePortsFree, isAlive, isBrokerWith, readPid, runningPid, signal, sleep, tail, waitForExit } from './process.ts';
import type { BrokerPaths } from './settings.ts';
import { KAFKA_VERSION, brokerPaths, log, resolvePort, resolvePorts } from './settings.ts';

/** The broker prints this once it serves clients. */
const STARTED_MARKER = 'Kafka Server started';

export interface StartOptions {
  /** Default KAFKA_PORT, else 9092. */
  port?: number;
  /** Default KAFKA_CONTROLLER_PORT (only without `port`), else port + 1. */
  controllerPort?: number;
  /** Keep the data of the previous run (default KAFKA_KEEP_DATA=1); else a fresh cluster. */
  keepData?: boolean;
  /** How long to wait for the broker to answer (default KAFKA_START_TIMEOUT seconds, else 120 s). */
  timeoutMs?: number;
}

export interface StartResult {
  /** host:port for clients. */
  brokers: string;
  pid: number;
  port: number;
  stateDir: string;
  /** True when this port's broker was already started by this script, and was reused. */
  alreadyRunning: boolean;
  startMs: number;
}

export interface BrokerRef {
  /** Default KAFKA_PORT, else 9092. */
  port?: number;
}

export interface StopOptions extends BrokerRef {
  /** Grace after SIGTERM before SIGKILL (default 30 s). */
  timeoutMs?: number;
}

export interface SignalResult {
  /** The recorded pid, null when there was no pid file. */
  pid: number | null;
  wasRunning: boolean;
}

export interface KafkaStatus {
  /** The recorded pid is alive and is this port's broker. */
  running: boolean;
  /** It answers an ApiVersions request. */
  answering: boolean;
  pid: number | null;
  brokers: string;
  stateDir: string;
  logFile: string;
  version: string;
  fetched: boolean;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null } | { error: string };

/**
 * Starts the broker on 127.0.0.1:port and resolves once it answers. Idempotent: a broker
 * this script already started on the port (maybe still booting) is waited for and reused.
 */
export async function startKafka(opts: StartOptions = {}): Promise<StartResult> {
  const t0 = Date.now();
  const { port, controllerPort } = resolvePorts(opts);
  const keepData = opts.keepData ?? /^(1|true|yes)$/i.test(process.env.KAFKA_KEEP_DATA || '');
  const timeoutMs = opts.timeoutMs ?? (process.env.KAFKA_START_TIMEOUT ? Number(process.env.KAFKA_START_TIMEOUT) * 1000 : 120_000);
  const p = brokerPaths(port);
  const brokers = `127.0.0.1:${port}`;
  const result = (pid: number, alreadyRunning: boolean): StartResult => ({
    brokers,
    pid,
    port,
    stateDir: p.state,
    alreadyRunning,
    startMs: Date.now() - t0,
  });

  const existing = runningPid(p.pidFile, p.props);
  if (existing) {
    await waitReady({ pid: existing, port, p, logOffset: 0, timeoutMs, requireMarker: false });
    return result(existing, true);
  }
  fs.rmSync(p.pidFile, { force: true });
  await ensurePortsFree([port, controllerPort]);
  await fetchKafka({ quiet: true });
  prepareRunDir(p, { port, controllerPort, keepData });

  // Fresh log per fresh start, appended on keepData restarts.
  const fd = fs.openSync(p.logFile, keepData ? 'a' : 'w');
  const logOffset = fs.fstatSync(fd).size;
  fs.writeSync(fd, `\n===== ${new Date().toISOString()} start (kafka ${KAFKA_VERSION}, keepData=${keepData}) =====\n`);
  let child: ChildProcess;
  try {
    child = spawn(javaBin(), [...brokerJvmArgs(p), ...cdsArgs(p), '-cp', classpath(), 'kafka.Kafka', p.props], {
      cwd: p.state,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, LOG_DIR: p.appLogs },
    });
  } finally {
    fs.closeSync(fd);
  }
  const pid = child.pid;
  if (!pid) throw new Error(`failed to spawn java (${javaBin()})`);
  let exited: Exit | null = null;
  child.on('exit', (code, sig) => (exited = { code, signal: sig }));
  child.on('error', (e) => (exited = { error: e.message }));
  child.unref();
  fs.writeFileSync(p.pidFile, `${pid}\n`);

  try {
    await waitReady({ pid, port, p, logOffset, timeoutMs, requireMarker: true, exited: () => exited });
  } catch (e) {
    if (isAlive(pid)) {
      signal(pid, 'SIGKILL');
      await waitForExit(pid, 5000);
    }
    discardCdsDump(p);
    fs.rmSync(p.pidFile, { force: true });
    throw e;
  }
  return result(pid, false);
}

/** Writes the configuration and, unless data is kept, a freshly formatted data dir. */
function prepareRunDir(p: BrokerPaths, { port, controllerPort, keepData }: { port: number; controllerPort: number; keepData: boolean }): void {
  fs.mkdirSync(p.state, { recursive: true });
  if (!keepData) {
    fs.rmSync(p.data, { recursive: true, force: true });
    fs.rmSync(p.appLogs, { recursive: true, force: true });
  }
  fs.mkdirSync(p.appLogs, { recursive: true });
  fs.writeFileSync(p.props, serverProperties({ port, controllerPort, dataDir: p.data }));
  fs.writeFileSync(p.log4j, log4jProperties());
  if (isFormatted(p)) {
    log(`keeping existing data in ${p.data}`);
    return;
  }
  const t0 = Date.now();
  const id = formatStorage(p);
  log(`fresh data dir ${p.data} (cluster id ${id}, ${Date.now() - t0} ms)`);
}

interface ReadyWait {
  pid: number;
  port: number;
  p: BrokerPaths;
  /** Where this start's part of kafka.log begins. */
  logOffset: number;
  timeoutMs: number;
  /** Wait for STARTED_MARKER in the log before probing (a fresh start; a reused broker has logged it already). */
  requireMarker: boolean;
  exited?: () => Exit | null;
}

async function waitReady({ pid, port, p, logOffset, timeoutMs, requireMarker, exited = () => null }: ReadyWait): Promise<void> {
  const end = Date.now() + timeoutMs;
  let sawMarker = !requireMarker;
  while (Date.now() < end) {
    const ex = exited();
    if (ex || !isAlive(pid)) {
      throw new Error(`kafka (pid ${pid}) exited during startup ${ex ? JSON.stringify(ex) : ''}; log ${p.logFile}:\n${tail(p.logFile)}`);
    }
    sawMarker ||= logSince(p.logFile, logOffset).includes(STARTED_MARKER);
    if (sawMarker && (await probeKafka(port, { timeoutMs: 1000 }))) return;
    await sleep(200);
  }
  throw new Error(`kafka did not become ready on 127.0.0.1:${port} within ${timeoutMs} ms; log ${p.logFile}:\n${tail(p.logFile)}`);
}

function logSince(file: string, offset: number): Buffer {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(Math.max(0, fs.fstatSync(fd).size - offset));
      fs.readSync(fd, b, 0, b.length, offset);
      return b;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return Buffer.alloc(0); // not yet written
  }
}

async function signalBroker({ port, sig, graceMs }: { port?: number; sig: NodeJS.Signals; graceMs: number }): Promise<SignalResult> {
  const p = brokerPaths(resolvePort(port));
  const pid = readPid(p.pidFile);
  if (!pid) return { pid: null, wasRunning: false };
  if (!isAlive(pid) || !isBrokerWith(pid, p.props)) {
    fs.rmSync(p.pidFile, { force: true });
    return { pid, wasRunning: false };
  }
  signal(pid, sig);
  let graceful = sig !== 'SIGKILL';
  if (!(await waitForExit(pid, graceMs))) {
    graceful = false;
    log(`pid ${pid} did not exit after ${sig} within ${graceMs} ms, sending SIGKILL`);
    signal(pid, 'SIGKILL');
    if (!(await waitForExit(pid, 10_000))) throw new Error(`kafka pid ${pid} is still alive after SIGKILL`);
  }
  if (graceful) promoteCdsDump(p);
  else discardCdsDump(p);
  fs.rmSync(p.pidFile, { force: true });
  return { pid, wasRunning: true };
}

/** Graceful stop: SIGTERM the broker's pid, SIGKILL it after `timeoutMs` (30 s). */
export function stopKafka({ port, timeoutMs = 30_000 }: StopOptions = {}): Promise<SignalResult> {
  return signalBroker({ port, sig: 'SIGTERM', graceMs: timeoutMs });
}

/** Hard kill (simulates a crash): SIGKILL the broker's pid; the data stays for `startKafka({ keepData: true })`. */
export function killKafka({ port }: BrokerRef = {}): Promise<SignalResult> {
  return signalBroker({ port, sig: 'SIGKILL', graceMs: 10_000 });
}

/** Whether this port's broker runs and answers, and where its files are. */
export async function kafkaStatus({ port }: BrokerRef = {}): Promise<KafkaStatus> {
  const prt = resolvePort(port);
  const p = brokerPaths(prt);
  const pid = runningPid(p.pidFile, p.props);
  return {
    running: pid !== null,
    answering: pid ? await probeKafka(prt) : false,
    pid,
    brokers: `127.0.0.1:${prt}`,
    stateDir: p.state,
    logFile: p.logFile,
    version: KAFKA_VERSION,
    fetched: isFetched(),
  };
}
