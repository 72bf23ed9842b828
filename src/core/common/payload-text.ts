/**
 * A stored message whose payload the analysis reader handed over as text rather than as a
 * Buffer, its bytes made only if something asks for them (store/analysis-reader.ts): a Buffer
 * per row was the largest single cost of reading a session for its analysis (issue 12), and
 * a Kafka record without headers or ids is only ever read as JSON, if at all.
 */
export interface PayloadText {
  /**
   * The payload decoded as UTF-8 (invalid bytes as U+FFFD) when it may be a JSON object;
   * null when its first byte says it cannot be one, or when it holds none of the keys the
   * analysis reads (store/analysis-page-format.ts dropBodies).
   */
  readonly payloadText: string | null;
}

/** The payload text a reader left on a message: undefined when it left none (read the bytes). */
export function payloadTextOf(m: object): string | null | undefined {
  return (m as Partial<PayloadText>).payloadText;
}
