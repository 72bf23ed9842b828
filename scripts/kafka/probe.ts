// Readiness check that speaks the Kafka protocol itself, so it needs no client library.
import net from 'node:net';

const API_VERSIONS = 18;
const CORRELATION_ID = 0x464c4f57;

/** An ApiVersions v0 request frame (size-prefixed). */
function apiVersionsRequest(): Buffer {
  const clientId = Buffer.from('flowscope-kafka-probe');
  const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  let o = req.writeInt32BE(req.length - 4, 0);
  o = req.writeInt16BE(API_VERSIONS, o);
  o = req.writeInt16BE(0, o);
  o = req.writeInt32BE(CORRELATION_ID, o);
  o = req.writeInt16BE(clientId.length, o);
  clientId.copy(req, o);
  return req;
}

/**
 * Sends a Kafka ApiVersions (v0) request and resolves true if the broker answers with
 * error_code 0. Resolves false on any failure or after timeoutMs.
 */
export function probeKafka(port: number, { host = '127.0.0.1', timeoutMs = 2000 }: { host?: string; timeoutMs?: number } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const sock = net.connect({ host, port });
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('connect', () => sock.write(apiVersionsRequest()));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      // size (4), correlation id (4), error_code (2)
      if (buf.length >= 10) finish(buf.readInt32BE(4) === CORRELATION_ID && buf.readInt16BE(8) === 0);
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}
