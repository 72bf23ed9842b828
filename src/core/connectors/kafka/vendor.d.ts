// Minimal typings for the pure-JS decompressors the Kafka tap registers (they ship none).

declare module 'lz4js' {
  /** Decompresses one LZ4 frame (the format Kafka uses since message format v1). */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}

declare module 'snappyjs' {
  /** Decompresses one raw snappy block; returns the same kind of buffer it was given. */
  export function uncompress<T extends Uint8Array>(compressed: T, maxLength?: number): T;
}
