// Reusable fixed-size buffers for hot byte paths. A buffer handed out can come back through give()
// once nobody uses it any more (say, once its bytes were written to a socket); a consumer that never
// gives it back costs nothing but an allocation. Reuse matters because every fresh buffer is memory
// outside V8's heap: allocating hundreds of MiB a second of them makes V8 run a full collection every
// few milliseconds ("external memory pressure"), which halved the speed of reads from disk.

export class BufferPool {
  private readonly idle: Buffer[] = [];
  /** Buffers handed out and not given back, by their memory (a piece may come back as a sub-range). */
  private readonly lent = new WeakMap<ArrayBufferLike, Buffer>();

  /**
   * @param size bytes per buffer
   * @param maxIdle most buffers kept for reuse (the rest are left to the garbage collector)
   */
  constructor(
    readonly size: number,
    private readonly maxIdle: number,
  ) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('size must be a positive integer');
  }

  /** A buffer of `size` bytes, with whatever bytes it held before. */
  take(): Buffer {
    // allocUnsafeSlow: memory of its own, never a slice of Node's shared pool, so it can be reused.
    const buf = this.idle.pop() ?? Buffer.allocUnsafeSlow(this.size);
    this.lent.set(buf.buffer, buf);
    return buf;
  }

  /**
   * Takes back a buffer from take() (or any sub-range of one) that nobody reads any more. Returns false
   * for anything else, which is left alone; a buffer given twice is reused once.
   */
  give(piece: Buffer): boolean {
    const buf = this.lent.get(piece.buffer);
    if (buf === undefined) return false;
    this.lent.delete(piece.buffer);
    if (this.idle.length < this.maxIdle) this.idle.push(buf);
    return true;
  }

  /** Buffers waiting for reuse (tests). */
  get idleCount(): number {
    return this.idle.length;
  }
}
