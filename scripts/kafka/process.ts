// The broker process as this script knows it: by the pid it recorded, checked against /proc,
// never looked up by name.
import fs from 'node:fs';
import net from 'node:net';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The state letter of a /proc/<pid>/stat line; the command name in parentheses may itself hold ')'. */
export function procState(stat: string): string {
  const i = stat.lastIndexOf(')');
  return stat.slice(i + 2, i + 3);
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** True while any thread of `pid` still runs (a zombie does not count). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return errno(e) === 'EPERM';
  }
  // A killed child of this very process lingers as a zombie until reaped. The
  // JVM is multi-threaded: its main thread can already be a zombie while other
  // threads (which still hold the sockets) are exiting, so check every thread.
  const running = (statFile: string): boolean => !'ZX'.includes(procState(fs.readFileSync(statFile, 'utf8')));
  try {
    if (running(`/proc/${pid}/stat`)) return true;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        if (running(`/proc/${pid}/task/${tid}/stat`)) return true;
      } catch {
        /* thread gone */
      }
    }
    return false;
  } catch {
    return !fs.existsSync('/proc/self/stat'); // gone meanwhile, or no /proc: trust kill(0)
  }
}

/** True if `pid` is a JVM running kafka.Kafka with this `props` file, so a reused pid is never signalled. */
export function isBrokerWith(pid: number, props: string): boolean {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmd.includes('kafka.Kafka') && cmd.includes(props);
  } catch {
    // No /proc (non-Linux): fall back to liveness only.
    return isAlive(pid);
  }
}

export function readPid(pidFile: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The pid recorded in `pidFile` if that process is still the broker of `props`, else null. */
export function runningPid(pidFile: string, props: string): number | null {
  const pid = readPid(pidFile);
  return pid && isAlive(pid) && isBrokerWith(pid, props) ? pid : null;
}

/** Sends `signal`; a process that is already gone is not an error. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if (errno(e) !== 'ESRCH') throw e;
  }
}

/** Resolves true once `pid` has exited, false if it still runs after `ms`. */
export async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Waits up to ~5 s for each port to be free (a just-stopped broker releasing its sockets), else throws. */
export async function ensurePortsFree(ports: number[]): Promise<void> {
  for (const port of ports) {
    let free = await portFree(port);
    for (let i = 0; !free && i < 25; i++) {
      await sleep(200);
      free = await portFree(port);
    }
    if (!free) throw new Error(`port 127.0.0.1:${port} is already in use by a process not started by scripts/kafka`);
  }
}

/** The last lines of a log file, long lines cut, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .slice(-lines)
      .map((l) => (l.length > 300 ? `${l.slice(0, 300)}...` : l))
      .join('\n');
  } catch {
    return '(no log)';
  }
}
