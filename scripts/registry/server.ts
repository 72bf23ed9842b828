// Starts, stops and checks the registry on one port: a detached JVM whose pid is recorded in
// <cache>/run-<port>/registry.pid and checked against /proc before any signal, never looked up
// by name. Storage is in memory (Apicurio's H2 default): a start is always empty.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { isAlive, readPid, signal, sleep, tail, waitForExit } from '../kafka/process.ts';
import { javaBin } from '../kafka/jvm.ts';
import { fetchRegistry } from './fetch.ts';
import { ccompatUrl, log, resolvePort, runJar, runPaths } from './settings.ts';

export interface RegistryRef {
  port?: number;
}

export interface StartOptions extends RegistryRef {
  timeoutMs?: number;
}

export interface StartResult {
  /** The Confluent API's base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7. */
  url: string;
  pid: number;
  alreadyRunning: boolean;
  startMs: number;
  logFile: string;
}

/** The -D flag that names the port: with the jar, it tells this registry's JVM from any other. */
const portFlag = (port: number): string => `-Dquarkus.http.port=${port}`;

/** True if `pid` runs this build's jar on `port`, so a reused pid is never signalled. */
function isRegistryOn(pid: number, port: number): boolean {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmd.includes(runJar()) && cmd.includes(portFlag(port));
  } catch {
    return isAlive(pid);
  }
}

function runningPid(port: number): number | null {
  const pid = readPid(runPaths(port).pidFile);
  return pid && isAlive(pid) && isRegistryOn(pid, port) ? pid : null;
}

/** True when the Confluent API answers a subject listing. */
export async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`${ccompatUrl(port)}/subjects`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Heap and start-up flags (small JVM: 2 shared cores), then REGISTRY_JVM_OPTS. */
function jvmArgs(port: number): string[] {
  const heap = (process.env.REGISTRY_HEAP_OPTS || '-Xms64m -Xmx384m').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Xss512k',
    '-Xshare:auto',
    '-Djava.awt.headless=true',
    '-Dfile.encoding=UTF-8',
    portFlag(port),
    '-Dquarkus.http.host=127.0.0.1',
    ...(process.env.REGISTRY_JVM_OPTS || '').split(/\s+/).filter(Boolean),
    '-jar',
    runJar(),
  ];
}

/** Builds if needed, starts the registry on its port and waits until its Confluent API answers. */
export async function startRegistry(opts: StartOptions = {}): Promise<StartResult> {
  const port = resolvePort(opts.port);
  const p = runPaths(port);
  const existing = runningPid(port);
  if (existing) return { url: ccompatUrl(port), pid: existing, alreadyRunning: true, startMs: 0, logFile: p.logFile };
  await fetchRegistry({ quiet: true });
  // A registry stopped a moment ago may still be releasing its socket: give it ~5 s.
  let free = await portFree(port);
  for (let i = 0; !free && i < 25; i++) {
    await sleep(200);
    free = await portFree(port);
  }
  if (!free) throw new Error(`port 127.0.0.1:${port} is already in use by a process not started by scripts/registry`);
  fs.mkdirSync(p.state, { recursive: true });
  const out = fs.openSync(p.logFile, 'w');
  const t0 = Date.now();
  const child = spawn(javaBin(), jvmArgs(port), { cwd: p.state, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const pid = child.pid;
  if (!pid) throw new Error(`could not start ${javaBin()}`);
  child.unref();
  fs.writeFileSync(p.pidFile, `${pid}\n`);
  const timeoutMs = opts.timeoutMs ?? Number(process.env.REGISTRY_START_TIMEOUT || 120) * 1000;
  while (Date.now() - t0 < timeoutMs) {
    if (await answers(port)) return { url: ccompatUrl(port), pid, alreadyRunning: false, startMs: Date.now() - t0, logFile: p.logFile };
    if (!isAlive(pid)) throw new Error(`the registry exited during start-up; last lines of ${p.logFile}:\n${tail(p.logFile)}`);
    await sleep(250);
  }
  signal(pid, 'SIGKILL');
  throw new Error(`the registry did not answer on port ${port} within ${timeoutMs / 1000} s; last lines of ${p.logFile}:\n${tail(p.logFile)}`);
}

export interface StopResult {
  wasRunning: boolean;
  pid: number | null;
}

/** SIGTERM, then SIGKILL after 30 s, to the registry this script started on the port. */
export async function stopRegistry(ref: RegistryRef = {}): Promise<StopResult> {
  const port = resolvePort(ref.port);
  const pid = runningPid(port);
  if (!pid) return { wasRunning: false, pid: null };
  signal(pid, 'SIGTERM');
  if (!(await waitForExit(pid, 30_000))) {
    log(`pid ${pid} still running 30 s after SIGTERM: SIGKILL`);
    signal(pid, 'SIGKILL');
    await waitForExit(pid, 10_000);
  }
  fs.rmSync(runPaths(port).pidFile, { force: true });
  return { wasRunning: true, pid };
}

export interface RegistryStatus {
  url: string;
  running: boolean;
  answering: boolean;
  pid: number | null;
  logFile: string;
}

export async function registryStatus(ref: RegistryRef = {}): Promise<RegistryStatus> {
  const port = resolvePort(ref.port);
  const pid = runningPid(port);
  return { url: ccompatUrl(port), running: pid !== null, answering: pid !== null && (await answers(port)), pid, logFile: runPaths(port).logFile };
}
