// What the environment decides for the development Schema Registry: where its build, its
// Maven repository and its runs live, and which port it listens on.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** scripts/registry: the Maven project that builds the registry. */
export const PROJECT_DIR = path.dirname(fileURLToPath(import.meta.url));

/** The Apicurio Registry release that pom.xml builds (kept in step with it by fetch.ts's check). */
export const APICURIO_VERSION = '2.4.2.Final';

/** Where the Confluent-compatible API is mounted on an Apicurio Registry. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

/**
 * REGISTRY_CACHE_DIR, default <repo>/.cache/registry: m2/ (its own Maven repository, so the
 * stand-in module it installs never reaches ~/.m2), build/ (the fast-jar), run-<port>/ per server.
 */
export function registryCacheDir(): string {
  return path.resolve(process.env.REGISTRY_CACHE_DIR || path.join(PROJECT_DIR, '..', '..', '.cache', 'registry'));
}

export function buildDir(): string {
  return path.join(registryCacheDir(), 'build');
}

/** The runnable jar the Quarkus build leaves (fast-jar layout). */
export function runJar(): string {
  return path.join(buildDir(), 'app', 'quarkus-app', 'quarkus-run.jar');
}

export interface RunPaths {
  state: string;
  pidFile: string;
  logFile: string;
}

export function runPaths(port: number): RunPaths {
  const state = path.join(registryCacheDir(), `run-${port}`);
  return { state, pidFile: path.join(state, 'registry.pid'), logFile: path.join(state, 'registry.log') };
}

/** A TCP port number, or an error naming the rejected value. */
export function parsePort(value: string | number): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid registry port: ${value}`);
  return port;
}

/** The caller's port, else REGISTRY_PORT, else 8081 (the Confluent Schema Registry's usual port). */
export function resolvePort(port?: number, env: NodeJS.ProcessEnv = process.env): number {
  return parsePort(port ?? (env.REGISTRY_PORT || 8081));
}

/** The base URL of the Confluent API of the registry on `port`. */
export function ccompatUrl(port: number): string {
  return `http://127.0.0.1:${port}${CCOMPAT_PATH}`;
}

/** Progress goes to stderr, so stdout carries only a command's result. */
export function log(msg: string): void {
  process.stderr.write(`[registry] ${msg}\n`);
}
