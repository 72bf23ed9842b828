// The java binary and the JVM flags of the broker.
import fs from 'node:fs';
import path from 'node:path';
import type { BrokerPaths } from './settings.ts';
import { libsDir } from './settings.ts';

/** $JAVA_HOME/bin/java when it exists, else `java` from PATH. */
export function javaBin(): string {
  if (process.env.JAVA_HOME) {
    const java = path.join(process.env.JAVA_HOME, 'bin', 'java');
    if (fs.existsSync(java)) return java;
  }
  return 'java';
}

/** The absolute path of the java binary that javaBin() runs, or null when there is none. */
export function whichJava(): string | null {
  const bin = javaBin();
  if (bin.includes(path.sep)) return bin;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir || '.', bin);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Every fetched jar; the JVM expands "dir/*" itself (no shell involved). */
export function classpath(): string {
  return path.join(libsDir(), '*');
}

/** Heap (KAFKA_HEAP_OPTS), tuning and logging flags, then KAFKA_JVM_OPTS. */
export function brokerJvmArgs(p: BrokerPaths): string[] {
  const heap = (process.env.KAFKA_HEAP_OPTS || '-Xms256m -Xmx768m').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    // Small, fast-starting JVM: 2-core machine, tests running alongside.
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Xss512k',
    '-XX:MaxMetaspaceSize=256m',
    '-XX:ReservedCodeCacheSize=64m',
    '-Xshare:auto',
    '-Djava.awt.headless=true',
    '-Dfile.encoding=UTF-8',
    `-Dlog4j2.configurationFile=${p.log4j}`,
    `-Dkafka.logs.dir=${p.appLogs}`,
    ...(process.env.KAFKA_JVM_OPTS || '').split(/\s+/).filter(Boolean),
  ];
}
