import type { AddressInfo, Server } from 'node:net';
import { errorText } from '../common/errors.ts';
import type { CaptureSink } from './types.ts';

/**
 * Starts a recording proxy's listening server (WebSocket, MQTT, NATS) and answers with the
 * port it got (0 asks for a free one). A port already taken is said in those words; a
 * server error after that shows as the endpoint's status, since the proxy cannot serve on.
 */
export async function listenForClients(server: Server, host: string, port: number, what: string, sink: CaptureSink): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the port is already in use' : errorText(err);
      reject(new Error(`${what} cannot listen on ${host}:${port}: ${why}`));
    });
    server.listen(port, host, () => resolve());
  });
  server.on('error', (err) => sink.status('failed', `proxy server error: ${errorText(err)}`));
  return (server.address() as AddressInfo).port;
}

/** The address clients connect to, with an IPv6 host in brackets. */
export function proxyUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
