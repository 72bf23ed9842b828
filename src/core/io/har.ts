/**
 * The parts of HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) that carry WebSocket
 * traffic, as Chrome DevTools writes them (Network panel → Export HAR) and mitmproxy's
 * `savehar` does: one entry per WebSocket, the upgrade request and its 101 response, with
 * `_resourceType: "websocket"` and the frames in `_webSocketMessages`.
 */

/** One frame of `_webSocketMessages`. */
export interface HarWebSocketMessage {
  /** `send`: client → server (Flowscope's frame-out); `receive`: server → client (frame-in). */
  type: 'send' | 'receive';
  /** Wall-clock time, seconds since the epoch, fractional (Chrome: microseconds). */
  time: number;
  /** 1 text (data is the text), 2 binary (data is base64). */
  opcode: 1 | 2;
  data: string;
  /**
   * Flowscope's own field, only on a text frame whose bytes are not valid UTF-8 (the proxy
   * records bytes as sent): their exact base64, since `data` can only hold them lossily.
   */
  _flowscopeBase64?: string;
}

export const HAR_OPCODE_TEXT = 1;
export const HAR_OPCODE_BINARY = 2;

export interface HarHeader {
  name: string;
  value: string;
}
