/**
 * Cuts a byte stream into whole MQTT control packets (fixed header, Remaining Length, body;
 * MQTT 5 §2.1, 3.1.1 §2.2) without interpreting them, so the proxy can parse each packet
 * and relay its exact bytes, or refuse it whole: a malformed packet is never half-forwarded.
 */
export class PacketFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the packet at the head still needs in all: until they are here, chunks are only kept. */
  private need = 0;

  constructor(private readonly maxPacket: number) {}

  /**
   * Adds bytes; returns the complete packets they finish, in order, or a reason when the
   * stream cannot be framed (a Remaining Length over four bytes, a packet over the limit).
   */
  push(data: Buffer): { packets: Buffer[]; error: string | null } {
    this.chunks.push(data);
    this.buffered += data.length;
    const packets: Buffer[] = [];
    // A big packet arrives in many reads: joining them once, when it is whole, keeps it linear.
    if (this.buffered < this.need) return { packets, error: null };
    this.need = 0;
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    let at = 0;
    for (;;) {
      const head = readLength(buf, at);
      if (head === 'malformed') return { packets, error: 'the Remaining Length takes more than four bytes' };
      if (head === null) break;
      const total = head.header + head.length;
      if (total > this.maxPacket) return { packets, error: `a packet of ${total} bytes is over the proxy's limit of ${this.maxPacket}` };
      if (buf.length - at < total) {
        this.need = total;
        break;
      }
      packets.push(buf.subarray(at, at + total));
      at += total;
    }
    buf = buf.subarray(at);
    this.chunks = buf.length ? [buf] : [];
    this.buffered = buf.length;
    return { packets, error: null };
  }
}

/** The fixed header's size and the Remaining Length at `at`; null when more bytes are needed. */
function readLength(buf: Buffer, at: number): { header: number; length: number } | null | 'malformed' {
  let length = 0;
  let mul = 1;
  for (let i = 1; i <= 4; i++) {
    if (at + i >= buf.length) return null;
    const b = buf[at + i]!;
    length += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return { header: 1 + i, length };
    mul *= 128;
  }
  return 'malformed';
}
