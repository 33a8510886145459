/**
 * The CSV chunks a reader hands the loader, at most as many ahead as it has
 * credits. The loader gives each consumed chunk's buffer back with its
 * credit, and it is filled again: memory is the chunks in flight, allocated
 * once, not a buffer per chunk waiting for the loader's garbage collector.
 * A buffer grown for a huge value is let go, not kept for the chunks after.
 */
export class ChunkWriter {
  /** Room past the chunk size, so a row that crosses it rarely needs a bigger buffer. */
  private readonly bufferBytes: number;
  private readonly returned: ArrayBuffer[] = [];
  private buffer: Buffer;
  private used = 0;
  private rows = 0;

  constructor(
    private readonly chunkBytes: number,
    private credits: number,
    private readonly send: (data: ArrayBuffer, length: number, rows: number) => void,
  ) {
    this.bufferBytes = chunkBytes + Math.max(64 << 10, chunkBytes >> 2);
    this.buffer = this.newBuffer();
  }

  get hasCredit(): boolean {
    return this.credits > 0;
  }

  /** A credit back from the loader, with the buffer of the chunk it consumed. */
  credit(buffer: ArrayBuffer): void {
    this.credits++;
    if (buffer.byteLength === this.bufferBytes) this.returned.push(buffer);
  }

  write(line: string): void {
    // line.length * 3 bounds the UTF-8 size cheaply; only when it may not
    // fit is the exact size computed, so a huge value costs its own size once.
    if (this.used + line.length * 3 > this.buffer.length && this.used + Buffer.byteLength(line) > this.buffer.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.used + Buffer.byteLength(line)));
      this.buffer.copy(bigger, 0, 0, this.used);
      this.buffer = bigger;
    }
    this.used += this.buffer.write(line, this.used);
    this.rows++;
    if (this.used >= this.chunkBytes) this.flush();
  }

  /** Sends what was written as a chunk (its buffer is transferred, not copied), spending a credit. */
  flush(): void {
    if (this.used === 0) return;
    const data = this.buffer.buffer as ArrayBuffer;
    this.send(data, this.used, this.rows);
    this.credits--;
    this.buffer = this.newBuffer();
    this.used = 0;
    this.rows = 0;
  }

  /** Drops what was written and not sent: the read became a survey, and the table is read again. */
  discard(): void {
    this.used = 0;
    this.rows = 0;
  }

  /** allocUnsafeSlow: a buffer owning its whole ArrayBuffer, so it can be transferred as it is. */
  private newBuffer(): Buffer {
    const reusable = this.returned.pop();
    return reusable === undefined ? Buffer.allocUnsafeSlow(this.bufferBytes) : Buffer.from(reusable);
  }
}
