// The options the development services' command lines share (scripts/kafka/cli.ts,
// scripts/registry/cli.ts): a command, then --port N, --timeout SECONDS and the switches
// that service knows.

export interface ServiceArgs {
  cmd: string | undefined;
  port?: number;
  timeoutMs?: number;
  /** The switches given, of those the service named. */
  switches: Set<string>;
}

function seconds(value: string | undefined): number {
  const s = Number(value);
  if (!(s > 0)) throw new Error(`invalid --timeout: ${value} (seconds)`);
  return s * 1000;
}

/** Reads `argv`; `parsePort` is the service's own (its error names the service). */
export function parseServiceArgs(argv: string[], parsePort: (value: string) => number, switches: readonly string[] = []): ServiceArgs {
  const args: ServiceArgs = { cmd: argv[0], switches: new Set() };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (switches.includes(a)) args.switches.add(a);
    else if (a === '--port') args.port = parsePort(argv[++i] ?? '');
    else if (a.startsWith('--port=')) args.port = parsePort(a.slice('--port='.length));
    else if (a === '--timeout') args.timeoutMs = seconds(argv[++i]);
    else if (a.startsWith('--timeout=')) args.timeoutMs = seconds(a.slice('--timeout='.length));
    else throw new Error(`unknown option ${a}`);
  }
  return args;
}
