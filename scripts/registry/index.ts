/**
 * Local Apicurio Registry (Confluent-compatible Schema Registry API under /apis/ccompat/v7,
 * in-memory storage) for the integration tests and developers; the one API they import.
 *
 *   import { startRegistry, stopRegistry } from '../scripts/registry/index.ts';
 *   const { url } = await startRegistry({ port: 8081 }); // url = http://127.0.0.1:8081/apis/ccompat/v7
 *   await stopRegistry({ port: 8081 });
 *
 * The command line is cli.ts. Needs mvn and a JDK 17+ (JAVA_HOME or java on PATH). Env:
 * REGISTRY_PORT (default 8081), REGISTRY_CACHE_DIR (default <repo>/.cache/registry),
 * REGISTRY_START_TIMEOUT (seconds, default 120), REGISTRY_HEAP_OPTS (default
 * "-Xms64m -Xmx384m"), REGISTRY_JVM_OPTS, MVN.
 */
export { fetchRegistry, isBuilt } from './fetch.ts';
export { answers, registryStatus, startRegistry, stopRegistry } from './server.ts';
export type { RegistryRef, RegistryStatus, StartOptions, StartResult, StopResult } from './server.ts';
export { APICURIO_VERSION, ccompatUrl, registryCacheDir } from './settings.ts';
