/**
 * Splits a byte stream into Kafka frames (int32 size + body). Chunks are kept as a list; a
 * frame inside one chunk is a view of it, and a frame spread over several is copied once, alone.
 */
export type FrameResult = { frame: Buffer } | { tooLarge: number } | undefined

export class FrameReader {
  private chunks: Buffer[] = []
  private total = 0

  constructor(private readonly maxSize: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.total += chunk.length
  }

  get buffered(): number {
    return this.total
  }

  /** The declared body size of the next frame once its 4 size bytes are here (not checked). */
  nextSize(): number | undefined {
    return this.total < 4 ? undefined : this.peekSize()
  }

  /** The next complete frame body, `tooLarge` for an invalid size, or undefined for "need more". */
  next(): FrameResult {
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
