/**
 * Splits a byte stream into Kafka frames (int32 size + body). Chunks are kept as a list; a
 * frame inside one chunk is a view of it, and a frame spread over several is copied once, alone.
 *
 * A reader that can choose where the socket reads to (net's user read buffers, see
 * broker/socket-reads.ts) asks directTarget for the rest of a large frame: its body gets a
 * buffer of its own, the bytes already here are moved into it, and the socket then reads
 * straight into what is left of it (directWrote), so the body is never copied again.
 */
export type FrameResult = { frame: Buffer } | { tooLarge: number } | undefined

export class FrameReader {
  private chunks: Buffer[] = []
  private total = 0
  /** The body of a frame being read in place (directTarget), and how much of it has arrived. */
  private direct: { body: Buffer; filled: number } | undefined
  /** Bytes of frame bodies copied out of chunks (take, directTarget): what in-place reads save. */
  copiedBytes = 0

  constructor(private readonly maxSize: number) {}

  push(chunk: Buffer): void {
    if (this.direct) throw new Error('FrameReader: push while a frame body is being read in place (use directWrote)')
    this.chunks.push(chunk)
    this.total += chunk.length
  }

  get buffered(): number {
    return this.direct ? 4 + this.direct.filled : this.total
  }

  /** Whether a frame body is being read in place: every read must go to directTarget() until next() returns it. */
  get readingInPlace(): boolean {
    return this.direct !== undefined
  }

  /** The declared body size of the next frame once its 4 size bytes are here (not checked). */
  nextSize(): number | undefined {
    if (this.direct) return this.direct.body.length
    return this.total < 4 ? undefined : this.peekSize()
  }

  /**
   * Where the next bytes of the stream should be read to so they land in the next frame's own
   * body buffer: the unfilled rest of it. Only for a frame whose size is valid and which still
   * misses at least `minMissing` bytes (smaller ones are cheaper to copy than to read apart);
   * undefined otherwise, and the caller reads into a buffer of its own and push()es it.
   * `alloc` makes the body buffer (exactly `size` bytes), told the body's first int16 if here.
   */
  directTarget(minMissing: number, alloc: (size: number, firstInt16: number) => Buffer = (size) => Buffer.allocUnsafe(size)): Buffer | undefined {
    if (!this.direct) {
      if (this.total < 4) return undefined
      const size = this.peekSize()
      if (size < 0 || size > this.maxSize || 4 + size - this.total < Math.max(1, minMissing)) return undefined
      // The body's first two bytes (a request's API key), -1 while they have not arrived.
      const first = this.chunks[0]!
      const firstInt16 = first.length >= 6 ? first.readInt16BE(4) : -1
      const body = alloc(size, firstInt16)
      if (body.length !== size) throw new Error(`FrameReader: a body buffer of ${body.length} bytes for a frame of ${size}`)
      // Everything buffered belongs to this frame (it misses bytes): its body part moves over.
      const here = this.total - 4
      let skip = 4
      let at = 0
      for (const c of this.chunks) {
        const from = Math.min(skip, c.length)
        skip -= from
        at += c.copy(body, at, from)
      }
      this.chunks = []
      this.copiedBytes += here
      this.total = 0
      this.direct = { body, filled: here }
    }
    return this.direct.body.subarray(this.direct.filled)
  }

  /** `n` bytes were read into the buffer directTarget returned last. */
  directWrote(n: number): void {
    const d = this.direct
    if (!d || n < 0 || d.filled + n > d.body.length) throw new Error(`FrameReader: ${n} bytes read in place do not fit the frame being read`)
    d.filled += n
  }

  /** The next complete frame body, `tooLarge` for an invalid size, or undefined for "need more". */
  next(): FrameResult {
    const d = this.direct
    if (d) {
      if (d.filled < d.body.length) return undefined
      this.direct = undefined
      return { frame: d.body }
    }
    if (this.total < 4) return undefined
    const size = this.peekSize()
    if (size < 0 || size > this.maxSize) return { tooLarge: size }
    if (this.total < 4 + size) return undefined
    const first = this.chunks[0]!
    let frame: Buffer
    if (first.length >= 4 + size) {
      frame = first.subarray(4, 4 + size)
      if (first.length === 4 + size) this.chunks.shift()
      else this.chunks[0] = first.subarray(4 + size)
    } else {
      frame = this.take(4 + size).subarray(4)
      this.copiedBytes += size
    }
    this.total -= 4 + size
    return { frame }
  }

  /**
   * Removes the first `n` bytes as one buffer, copying only them: what follows stays in its
   * chunks (joining every buffered byte instead copied the pipelined requests behind this frame
   * again with each frame).
   */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.chunks[0]!
      const want = n - filled
      if (c.length <= want) {
        c.copy(out, filled)
        filled += c.length
        this.chunks.shift()
      } else {
        c.copy(out, filled, 0, want)
        filled += want
        this.chunks[0] = c.subarray(want)
      }
    }
    return out
  }

  private peekSize(): number {
    const first = this.chunks[0]!
    if (first.length >= 4) return first.readInt32BE(0)
    const head = Buffer.concat(this.chunks, this.total).subarray(0, 4)
    return head.readInt32BE(0)
  }
}
