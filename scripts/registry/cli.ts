// Command line of the development Schema Registry (Apicurio, Confluent API under /apis/ccompat/v7):
//   node --import tsx scripts/registry/cli.ts fetch     build the registry from Maven Central (mvn + Quarkus)
//   node --import tsx scripts/registry/cli.ts start     start it, empty (in-memory storage), and wait until it answers
//   node --import tsx scripts/registry/cli.ts stop      SIGTERM (then SIGKILL after 30 s) the one this script started
//   node --import tsx scripts/registry/cli.ts status    exit 0 if running and answering, 1 otherwise
//   options: --port N (or env REGISTRY_PORT, default 8081), --timeout SECONDS; env: see index.ts
import { fetchRegistry, isBuilt, registryStatus, startRegistry, stopRegistry } from './index.ts';
import { APICURIO_VERSION, log, parsePort } from './settings.ts';
import { parseServiceArgs } from '../lib/service-args.ts';

const USAGE = 'usage: node --import tsx scripts/registry/cli.ts fetch|start|stop|status [--port N] [--timeout S]';

function parseArgs(argv: string[]): { cmd: string | undefined; port?: number; timeoutMs?: number } {
  const { switches: _none, ...rest } = parseServiceArgs(argv, (v) => parsePort(v));
  return rest;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  switch (args.cmd) {
    case 'fetch':
      console.log(await fetchRegistry());
      return 0;
    case 'start': {
      const r = await startRegistry(args);
      if (r.alreadyRunning) console.log(`registry already running at ${r.url} (pid ${r.pid})`);
      else {
        console.log(`registry ready at ${r.url} (pid ${r.pid})`);
        log(`started in ${(r.startMs / 1000).toFixed(1)} s; log ${r.logFile}`);
      }
      return 0;
    }
    case 'stop': {
      const r = await stopRegistry(args);
      console.log(r.wasRunning ? `registry stopped (pid ${r.pid})` : 'registry was not running');
      return 0;
    }
    case 'status': {
      const s = await registryStatus(args);
      if (s.running) console.log(`registry running at ${s.url} (pid ${s.pid})${s.answering ? '' : ' but not answering yet'}; log ${s.logFile}`);
      else console.log(`registry not running at ${s.url}; Apicurio ${APICURIO_VERSION} ${isBuilt() ? 'built' : 'not built'}`);
      return s.running && s.answering ? 0 : 1;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`registry: ${err.message}`);
    process.exit(1);
  },
);
