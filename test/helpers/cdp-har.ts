import type { CDPSession } from 'playwright-core';

interface Socket {
  url: string;
  /** Wall-clock seconds minus monotonic seconds at the handshake: DevTools' pseudo wall time. */
  offset: number | null;
  startedDateTime: string | null;
  requestHeaders: Record<string, string>;
  status: number;
  statusText: string;
  responseHeaders: Record<string, string>;
  frames: { type: 'send' | 'receive'; timestamp: number; opcode: number; data: string }[];
}

/**
 * Records a page's WebSockets through the DevTools protocol (Network domain) and writes them
 * as DevTools' own HAR export does (front_end/models/har/Log.ts): one entry per socket with
 * `_resourceType: "websocket"`, its handshake, and `_webSocketMessages` whose `time` is
 * DevTools' pseudo wall time (the handshake's wallTime plus the monotonic time since), text
 * frames as their text and binary frames (opcode 2) as the base64 the protocol gives.
 */
export class CdpWebSocketRecorder {
  private readonly sockets = new Map<string, Socket>();

  static async attach(cdp: CDPSession): Promise<CdpWebSocketRecorder> {
    const r = new CdpWebSocketRecorder();
    cdp.on('Network.webSocketCreated', (e) => {
      r.sockets.set(e.requestId, { url: e.url, offset: null, startedDateTime: null, requestHeaders: {}, status: 0, statusText: '', responseHeaders: {}, frames: [] });
    });
    cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => {
      const s = r.sockets.get(e.requestId);
      if (!s) return;
      s.offset = e.wallTime - e.timestamp;
      s.startedDateTime = new Date(e.wallTime * 1000).toISOString();
      s.requestHeaders = e.request.headers as Record<string, string>;
    });
    cdp.on('Network.webSocketHandshakeResponseReceived', (e) => {
      const s = r.sockets.get(e.requestId);
      if (!s) return;
      s.status = e.response.status;
      s.statusText = e.response.statusText;
      s.responseHeaders = e.response.headers as Record<string, string>;
    });
    const frame = (type: 'send' | 'receive') => (e: { requestId: string; timestamp: number; response: { opcode: number; payloadData: string } }) => {
      r.sockets.get(e.requestId)?.frames.push({ type, timestamp: e.timestamp, opcode: e.response.opcode, data: e.response.payloadData });
    };
    cdp.on('Network.webSocketFrameSent', frame('send'));
    cdp.on('Network.webSocketFrameReceived', frame('receive'));
    await cdp.send('Network.enable');
    return r;
  }

  frameCount(): number {
    let n = 0;
    for (const s of this.sockets.values()) n += s.frames.length;
    return n;
  }

  har(): object {
    const headers = (h: Record<string, string>) => Object.entries(h).map(([name, value]) => ({ name, value }));
    return {
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        pages: [],
        entries: [...this.sockets.entries()].map(([id, s]) => ({
          _initiator: { type: 'script' },
          _priority: 'Low',
          _resourceType: 'websocket',
          cache: {},
          connection: id,
          request: { method: 'GET', url: s.url, httpVersion: 'HTTP/1.1', headers: headers(s.requestHeaders), queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
          response: {
            status: s.status,
            statusText: s.statusText,
            httpVersion: 'HTTP/1.1',
            headers: headers(s.responseHeaders),
            cookies: [],
            content: { size: 0, mimeType: 'x-unknown' },
            redirectURL: '',
            headersSize: -1,
            bodySize: 0,
            _transferSize: 0,
            _error: null,
          },
          serverIPAddress: '127.0.0.1',
          startedDateTime: s.startedDateTime,
          time: 0,
          timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 0, receive: 0, _blocked_queueing: -1 },
          _webSocketMessages: s.frames.map((f) => ({ type: f.type, time: f.timestamp + (s.offset ?? 0), opcode: f.opcode, data: f.data })),
        })),
      },
    };
  }
}
