/** Child processes for the benchmarks: spawn, wait for a line, sample memory, stop by pid. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The built CLI, as a user runs it. */
export const BIN = path.join(ROOT, 'bin/flowscope.mjs');

export interface Child {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number>;
}

/** Spawns a command with stdout and stderr collected. */
export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, opts: { discardStdout?: boolean } = {}): Child {
  const stdio = ['ignore', opts.discardStdout ? 'ignore' : 'pipe', 'pipe'] as const;
  const proc = spawn(cmd, args, { cwd: ROOT, stdio: [...stdio], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return { proc, out: () => out, err: () => err, exited };
}

/** A bench TypeScript helper in its own Node process. */
export function startTs(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  return start(process.execPath, ['--import', 'tsx', path.join(ROOT, file), ...args], env);
}

/** The built CLI in its own process. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  return start(process.execPath, [BIN, ...args], env);
}

/** The built CLI in its own process, which reports its peak RSS as it exits (peakRssMb). */
export function startCliMeasured(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  return start(process.execPath, ['--import', pathToFileURL(path.join(ROOT, 'bench/lib/peak-rss.mjs')).href, BIN, ...args], env);
}

/** The peak RSS a startCliMeasured child reported at exit, in MB; null when it reported none. */
export function peakRssMb(child: Child): number | null {
  const m = /flowscope-bench peak-rss-kb (\d+)/.exec(child.err());
  return m ? Number(m[1]) / 1024 : null;
}

/** Runs to the end; throws with stderr when the exit code is not 0. */
export async function run(child: Child, what: string): Promise<string> {
  const code = await child.exited;
  if (code !== 0) throw new Error(`${what} exited ${code}: ${child.err().slice(-2000)}`);
  return child.out();
}

/** Waits until the child's stdout (or stderr) matches, or it exits. */
export async function waitFor(child: Child, re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const end = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    const m = child.out().match(re) ?? child.err().match(re);
    if (m) return m;
    if (exited) throw new Error(`process exited before printing ${re}: ${child.err().slice(-2000)}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Stops a child by its pid and waits for it to end. */
export async function stop(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
  if (child.proc.exitCode === null && child.proc.pid) process.kill(child.proc.pid, signal);
  return child.exited;
}

/** VmRSS and VmHWM (peak) of a process in MB, from /proc; null once it is gone. */
export function memory(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Samples a process's memory every `everyMs` until stopped; keeps the last peak seen. */
export function sampleMemory(pid: number, everyMs = 200): { stop: () => { peakMb: number; rssMb: number } } {
  let last = { rssMb: 0, peakMb: 0 };
  const take = (): void => {
    const m = memory(pid);
    if (m) last = m;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      take();
      clearInterval(timer);
      return last;
    },
  };
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
