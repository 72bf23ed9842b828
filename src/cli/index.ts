import { configureLogging, stderrSink } from '../core/common/logger.ts';
import { keepHeapTight } from '../core/common/heap.ts';
import { UsageError, parseArgs } from './args.ts';
import { forTerminal } from './terminal.ts';

const USAGE = `flowscope — inspect asynchronous message flows (Kafka, RabbitMQ, WebSocket, MQTT, NATS)

Usage:
  flowscope record [endpoints…] --out FILE [--duration S] [--max-messages N]
      endpoints:  --ws-proxy LISTEN_PORT=ws://target   record a client↔server WebSocket through a proxy
                  --ws URL                             record what a WebSocket endpoint sends
                  --kafka HOST:PORT[,…] --topic NAME_OR_/REGEX/ [--topic …] [--from-beginning]
                  --amqp amqp://user:pass@host/vhost --exchange NAME […] [--queue NAME] [--firehose]
                         [--management http://host:15672|off]   (default: the broker's host, port 15672)
                         [--amqp-durable-tap]  a tap queue that survives a dropped connection, so a
                                 reconnect loses nothing; it keeps filling on the broker while
                                 Flowscope is away (bounded; deleted at stop, or 30 min unused)
                  --mqtt mqtt://[user:pass@]host:1883 --mqtt-topic FILTER [--mqtt-topic …] [--mqtt-version 5|3.1.1]
                                                       topic filters with + and #; MQTT 5 by default
                  --mqtt-proxy LISTEN_PORT=mqtt://host:1883   record MQTT clients through a proxy: who
                                 publishes and subscribes, acks and their reason codes (3.1.1 and 5)
                  --nats nats://[user:pass@]host:4222 --subject SUBJECT [--subject …] [--jetstream]
                                                       subjects with * and >; --jetstream also records the
                                 advisories of messages JetStream gave up on (max deliveries, terminated)
                  --nats-proxy LISTEN_PORT=nats://host:4222   record NATS clients through a proxy
                                 (sees their requests' 503 "no responders", which a tap cannot)
      decoders (kept in the session file, schema files embedded, so it decodes anywhere):
                  --decode 'PATTERN=FORMAT[+gzip|+zstd][:FILE[#Type]]'   PATTERN: a destination, or a glob
                         with * and ?; FORMAT: protobuf, avro, msgpack, cbor, json, text
                         e.g. --decode 'orders.*=protobuf:shop.proto#shop.Order' --decode prices=avro:price.avsc
                  --schema-id ID=FILE   a local .avsc/.proto standing for Confluent schema id ID (wire format
                         magic 0 + id; Protobuf message indexes are followed)
                  --schema-registry URL   a Confluent-compatible Schema Registry (Confluent, Apicurio's
                         /apis/ccompat/v7, Redpanda, Karapace): Confluent frames' schema ids not given by
                         --schema-id are fetched from it; the URL is kept in the session, user:password@ never
                  MessagePack, CBOR and payloads a content-encoding header says are gzip/zstd decode without a rule
  flowscope inspect FILE [--json] [--progress]   progress goes to stderr (always on a terminal)
  flowscope export FILE [--format jsonl|har|asyncapi] [--out F] [--decoded]   har: the WebSocket connections, for DevTools;
      asyncapi: an AsyncAPI 3.0 document of the observed channels (YAML; JSON for a .json --out);
      --decoded (jsonl) adds each payload's decoded form; export and inspect use the session's
      Schema Registry, or --schema-registry URL for this run
  flowscope import FILE [--format jsonl|kcat|har] [--out SESSION]   .har files are HAR (Chrome, mitmproxy)
  flowscope serve [FILE] [--port N] [--demo]
  flowscope demo [--out FILE] [--duration S] [--serve] [--port N]
  flowscope replay FILE --to URL [--speed N|max] [--map FROM=TO]… [--destination NAME]… [--dry-run]
      --dead-letters-to-origin   send the session's dead-lettered copies back to the exchange and
                                 routing key they were first published with (from x-death)
          [--dead-letter-queue NAME] [--dead-letter-reason expired|rejected|maxlen|delivery_limit]

Analysis options (record, inspect, serve):
  --reply-timeout MS          a request with no reply after this long is unanswered (default 30000)
  --correlation-header NAME   header carrying the correlation id (repeatable; default correlation-id,
                              x-correlation-id, correlationId, and the trace id of traceparent)
  --json-path PATH            JSON body field carrying it (repeatable; default id, correlationId, requestId)
  --window MS                 how long a message may wait for a consumer before it is undelivered

Ctrl-C stops a recording cleanly: everything captured is flushed to the session file.`;

type Command = (argv: string[]) => Promise<number>;

// Each command's module (and with it the engine, the broker clients and SQLite) loads only
// when that command runs, so `--help` and a usage error start at once.
const COMMANDS: Record<string, () => Promise<Command>> = {
  record: async () => (await import('./commands/record.ts')).record,
  inspect: async () => (await import('./commands/inspect.ts')).inspect,
  export: async () => (await import('./commands/export.ts')).exportCommand,
  import: async () => (await import('./commands/import.ts')).importCommand,
  serve: async () => (await import('./commands/serve.ts')).serve,
  demo: async () => (await import('./commands/demo.ts')).demo,
  replay: async () => (await import('./commands/replay.ts')).replay,
};

async function main(argv: string[]): Promise<number> {
  // Warnings and errors from the engine go to stderr beside the command's own output.
  configureLogging({ sink: stderrSink, level: 'warn' });
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (command === '--version') {
    // The installed package's own version: npm_package_version would be whichever project's
    // npm script or npx happened to start us.
    console.log((await import('./context.ts')).version());
    return 0;
  }
  const load = COMMANDS[command];
  if (!load) {
    console.error(`flowscope: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  if (parseArgs(rest).flags.has('help')) {
    console.log(USAGE);
    return 0;
  }
  // Before the engine loads: record, serve and import run at message rate for minutes.
  keepHeapTight();
  const run = await load();
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`flowscope: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      // Error texts can quote what came off the wire (a name, a close reason): shown, not applied.
      console.error(`flowscope: ${forTerminal((err as Error).message)}`);
      if (process.env.FLOWSCOPE_DEBUG) console.error(err);
      process.exitCode = 1;
    }
  },
);
