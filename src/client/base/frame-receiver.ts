/**
 * Response frames (int32 size + body) read from a socket with `net.connect({ onread })`, so a
 * large frame is read by the kernel straight into a buffer of its own size.
 *
 * With 'data' events, libuv reads into fresh 64 KiB chunks and a 6 MB Fetch response then has
 * to be joined into one buffer: every byte is copied twice (kernel to chunk, chunk to frame) and
 * a hundred short-lived chunks churn the heap. Here reads land in a small staging buffer until
 * a frame's size is known; a frame that is already complete there is copied out (responses to
 * Produce, metadata and the like are small), and one that is not gets its own buffer, which
 * the following reads fill directly. The frame's bytes are then only ever written once, by the
 * kernel, and records handed to the application are views into it.
 */

/** Where reads land while no frame is being filled; frames shorter than this are copied out of it. */
const STAGE_SIZE = 64 * 1024

export interface FrameSink {
  /** A complete frame body, owned by the receiver of the call. */
  onFrame(frame: Buffer): void
  /** The size field is negative or above the limit: the stream cannot be framed any further. */
  onBadSize(size: number): void
  /** Whether to stop handing out frames (the connection failed while handling the last one). */
  stopped(): boolean
}

export class FrameReceiver {
  private readonly stage = Buffer.allocUnsafeSlow(STAGE_SIZE)
  /** Unconsumed bytes of the stage: [start, end). Fewer than 4 between reads (a partial size field). */
  private start = 0
  private end = 0
  /** The frame being read straight into, and how much of it has arrived. */
  private frame: Buffer | null = null
  private filled = 0
  /** A bad size field was met: the stream is unframeable from there on. */
  private dead = false
  private sink: FrameSink | null = null
  /** What arrived before `attach` (a broker speaking first: the connection fails on it). */
  private early: Array<Buffer | number> = []

  constructor(private readonly maxSize: number) {}

  /** Starts delivering, first whatever arrived before. */
  attach(sink: FrameSink): void {
    this.sink = sink
    for (const x of this.early.splice(0)) {
      if (sink.stopped()) return
      if (typeof x === 'number') sink.onBadSize(x)
      else sink.onFrame(x)
    }
  }

  private deliver(frame: Buffer): void {
    if (this.sink) this.sink.onFrame(frame)
    else this.early.push(frame)
  }

  private stopped(): boolean {
    return this.sink?.stopped() ?? false
  }

  /** `onread.buffer`: where the next read goes (never empty). */
  nextBuffer(): Buffer {
    if (this.frame !== null) return this.frame.subarray(this.filled)
    return this.stage.subarray(this.end)
  }

  /**
   * `onread.callback`: `n` bytes were read into the last buffer `nextBuffer` returned. Always
   * true: reading never pauses (false would stop the socket's reads).
   */
  onRead(n: number): boolean {
    if (this.dead) return true
    if (this.frame !== null) {
      this.filled += n
      if (this.filled < this.frame.length) return true
      const frame = this.frame
      this.frame = null
      this.filled = 0
      this.deliver(frame)
      return true
    }
    this.end += n
    this.split()
    return true
  }

  private split(): void {
    const stage = this.stage
    while (this.end - this.start >= 4) {
      if (this.stopped()) return
      const size = stage.readInt32BE(this.start)
      if (size < 0 || size > this.maxSize) {
        if (this.sink) this.sink.onBadSize(size)
        else this.early.push(size)
        // Nothing after a bad size can be framed: drop it, and whatever comes later.
        this.start = this.end = 0
        this.dead = true
        return
      }
      const bodyAt = this.start + 4
      const have = this.end - bodyAt
      // The frame's buffer is its own (not a view of the stage, which the next read overwrites).
      const frame = Buffer.allocUnsafe(size)
      if (have >= size) {
        stage.copy(frame, 0, bodyAt, bodyAt + size)
        this.start = bodyAt + size
        this.deliver(frame)
        continue
      }
      stage.copy(frame, 0, bodyAt, this.end)
      this.frame = frame
      this.filled = have
      this.start = this.end = 0
      return
    }
    // At most 3 bytes of a size field are left: move them to the front for the next read.
    if (this.start > 0) {
      stage.copy(stage, 0, this.start, this.end)
      this.end -= this.start
      this.start = 0
    }
  }
}
