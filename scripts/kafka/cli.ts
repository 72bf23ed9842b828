// Command line of the development broker:
//   node --import tsx scripts/kafka/cli.ts fetch                download the broker jars (Maven Central via mvn)
//   node --import tsx scripts/kafka/cli.ts start [--keep-data]  start the broker (fresh data unless --keep-data)
//   node --import tsx scripts/kafka/cli.ts stop                 SIGTERM (then SIGKILL after 30 s) the broker
//   node --import tsx scripts/kafka/cli.ts kill                 SIGKILL the broker, keep its data
//   node --import tsx scripts/kafka/cli.ts status               exit 0 if running and answering, 1 otherwise
//   options: --port N (or env KAFKA_PORT, default 9092), --timeout SECONDS; env: see index.ts
import path from 'node:path';
import { fetchKafka, kafkaStatus, killKafka, startKafka, stopKafka } from './index.ts';
import { log, parsePort } from './settings.ts';
import { parseServiceArgs } from '../lib/service-args.ts';

const USAGE = 'usage: node --import tsx scripts/kafka/cli.ts fetch|start [--keep-data]|stop|kill|status [--port N] [--timeout S]';

function parseArgs(argv: string[]): { cmd: string | undefined; port?: number; keepData: boolean; timeoutMs?: number } {
  const { switches, ...rest } = parseServiceArgs(argv, (v) => parsePort(v), ['--keep-data']);
  return { ...rest, keepData: switches.has('--keep-data') };
}

/** Runs one command; resolves the exit code. */
async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  switch (args.cmd) {
    case 'fetch':
      await fetchKafka();
      return 0;
    case 'start': {
      const r = await startKafka(args);
      if (r.alreadyRunning) console.log(`kafka already running on ${r.brokers} (pid ${r.pid})`);
      else {
        console.log(`kafka ready on ${r.brokers} (pid ${r.pid})`);
        log(`started in ${(r.startMs / 1000).toFixed(1)} s; log ${path.join(r.stateDir, 'kafka.log')}`);
      }
      return 0;
    }
    case 'stop': {
      const r = await stopKafka(args);
      console.log(r.wasRunning ? `kafka stopped (pid ${r.pid})` : 'kafka was not running');
      return 0;
    }
    case 'kill': {
      const r = await killKafka(args);
      console.log(r.wasRunning ? `kafka killed (pid ${r.pid}), data kept` : 'kafka was not running');
      return 0;
    }
    case 'status': {
      const s = await kafkaStatus(args);
      if (s.running) {
        console.log(`kafka running on ${s.brokers} (pid ${s.pid})${s.answering ? '' : ' but not answering yet'}; log ${s.logFile}`);
      } else {
        console.log(`kafka not running on ${s.brokers}; jars ${s.fetched ? 'fetched' : 'not fetched'} (version ${s.version})`);
      }
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
    console.error(`kafka: ${err.message}`);
    process.exit(1);
  },
);
