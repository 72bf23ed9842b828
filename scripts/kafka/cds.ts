// Class-data sharing archive for the broker JVM: the first start dumps the loaded classes
// when the broker exits gracefully (stop), later starts map the archive, which cuts ~1 s of
// class loading and verification. The archive lives in libs/ (discarded by a re-fetch) and
// is keyed by the java binary. KAFKA_CDS=0 disables it. A stale or mismatching archive is
// ignored by the JVM (-Xshare:auto).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { whichJava } from './jvm.ts';
import type { BrokerPaths } from './settings.ts';
import { KAFKA_VERSION, libsDir } from './settings.ts';

function archivePath(): string | null {
  if (/^(0|false|no|off)$/i.test(process.env.KAFKA_CDS || '')) return null;
  const java = whichJava();
  if (!java) return null;
  try {
    const real = fs.realpathSync(java);
    const key = crypto.createHash('sha1').update(`${real}:${fs.statSync(real).mtimeMs}:${KAFKA_VERSION}`).digest('hex').slice(0, 12);
    return path.join(libsDir(), `broker-${key}.jsa`);
  } catch {
    return null;
  }
}

/** The archive a run dumps at exit is named <archive>.dump-<pid>-<time>.jsa until promoted. */
function archiveOfDump(dump: string): string {
  return dump.replace(/\.dump-[^.]+\.jsa$/, '.jsa');
}

/** Forgets the dump of the run of `p` (it did not exit gracefully, so the dump may be partial). */
export function discardCdsDump(p: BrokerPaths): void {
  try {
    const dump = fs.readFileSync(p.cdsDump, 'utf8').trim();
    if (dump.endsWith('.jsa')) fs.rmSync(dump, { force: true });
  } catch {
    /* none */
  }
  fs.rmSync(p.cdsDump, { force: true });
}

/** After a graceful exit: promotes the dumped archive, if any, to the one later starts map. */
export function promoteCdsDump(p: BrokerPaths): void {
  try {
    const dump = fs.readFileSync(p.cdsDump, 'utf8').trim();
    const archive = archiveOfDump(dump);
    if (archive !== dump && fs.existsSync(dump) && fs.statSync(dump).size > 0 && !fs.existsSync(archive)) {
      fs.renameSync(dump, archive);
    }
  } catch {
    /* none */
  }
  discardCdsDump(p);
}

/** JVM flags for a start: map the archive, or dump one at exit when there is none yet. */
export function cdsArgs(p: BrokerPaths): string[] {
  discardCdsDump(p); // leftovers of a broker that was not stopped by us
  const archive = archivePath();
  if (!archive) return [];
  const quiet = '-Xlog:cds=off,cds+dynamic=off';
  if (fs.existsSync(archive)) return [`-XX:SharedArchiveFile=${archive}`, quiet];
  const dump = archive.replace(/\.jsa$/, `.dump-${process.pid}-${Date.now()}.jsa`);
  fs.writeFileSync(p.cdsDump, `${dump}\n`);
  return [`-XX:ArchiveClassesAtExit=${dump}`, quiet];
}
