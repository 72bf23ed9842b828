// Builds the registry: Maven resolves Apicurio's app jar and its dependencies from Maven Central
// into <cache>/m2 and the Quarkus build turns them into a fast-jar in <cache>/build, which is
// replaced atomically so a half-finished build is never run.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildDir, PROJECT_DIR, registryCacheDir, runJar, log } from './settings.ts';

/** Written last into build/: the hash of the Maven project it was built from. */
const BUILD_MARKER = '.registry-build';

/** Every file of the Maven project, so editing any of them rebuilds. */
function projectFiles(dir = PROJECT_DIR): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'target' ? [] : projectFiles(p);
      return /\.(xml|java|properties|list)$/.test(e.name) ? [p] : [];
    })
    .sort();
}

function projectHash(): string {
  const h = crypto.createHash('sha256');
  for (const f of projectFiles()) h.update(path.relative(PROJECT_DIR, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** True when <cache>/build holds a complete build of the current Maven project. */
export function isBuilt(): boolean {
  try {
    return fs.readFileSync(path.join(buildDir(), BUILD_MARKER), 'utf8').trim() === projectHash() && fs.existsSync(runJar());
  } catch {
    return false;
  }
}

// Apicurio's parent POM lists repositories besides Central (hosts this machine cannot reach);
// everything the build needs is in Central, so every repository is sent there.
const SETTINGS_XML = `<settings>
  <mirrors>
    <mirror><id>central-only</id><mirrorOf>*</mirrorOf><url>https://repo.maven.apache.org/maven2</url></mirror>
  </mirrors>
</settings>
`;

/** Builds the registry into <cache>/build unless the current build is there. Returns the jar's path. */
export async function fetchRegistry({ quiet = false }: { quiet?: boolean } = {}): Promise<string> {
  if (isBuilt()) {
    if (!quiet) log(`registry already built in ${buildDir()}`);
    return runJar();
  }
  const cache = registryCacheDir();
  fs.mkdirSync(cache, { recursive: true });
  const settings = path.join(cache, 'settings.xml');
  fs.writeFileSync(settings, SETTINGS_XML);
  const tmp = path.join(cache, `build.tmp-${process.pid}-${Date.now()}`);
  const t0 = Date.now();
  log('building Apicurio Registry from Maven Central via mvn (a first build downloads ~320 MB) ...');
  try {
    mvnInstall(settings, tmp);
    fs.writeFileSync(path.join(tmp, BUILD_MARKER), `${projectHash()}\n`);
    if (!isBuilt()) replace(tmp, buildDir()); // else a concurrent build finished first
    log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${runJar()}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return runJar();
}

function mvnInstall(settings: string, out: string): void {
  const mvn = process.env.MVN || 'mvn';
  const res = spawnSync(
    mvn,
    [
      '-B',
      '-q',
      '-Dstyle.color=never',
      '-s',
      settings,
      `-Dmaven.repo.local=${path.join(registryCacheDir(), 'm2')}`,
      `-Dregistry.buildDir=${out}`,
      // Upstream's properties ask for a legacy jar; the fast-jar starts sooner.
      '-Dquarkus.package.type=fast-jar',
      '-f',
      path.join(PROJECT_DIR, 'pom.xml'),
      'install',
    ],
    { cwd: PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (res.error) throw new Error(`could not run ${mvn}: ${res.error.message}`);
  if (res.status !== 0) {
    // eslint-disable-next-line no-control-regex -- strips Maven's ANSI colour codes
    const output = `${res.stdout ?? ''}${res.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '').trim();
    throw new Error(`mvn install of scripts/registry failed (exit ${res.status ?? res.signal}):\n${output.slice(-4000)}`);
  }
  if (!fs.existsSync(path.join(out, 'app', 'quarkus-app', 'quarkus-run.jar'))) throw new Error(`the build left no quarkus-app/quarkus-run.jar in ${out}/app`);
}

function replace(tmp: string, dest: string): void {
  const old = `${dest}.old-${process.pid}-${Date.now()}`;
  if (fs.existsSync(dest)) fs.renameSync(dest, old);
  try {
    fs.renameSync(tmp, dest);
  } catch (e) {
    if (!isBuilt()) throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}
