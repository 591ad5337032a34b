/**
 * Reusable large buffers for the two places the broker moves record bytes in bulk
 * (connection.ts): the bodies of Produce requests read in place, and the records a Fetch reads
 * from segment files. A fresh buffer each time (a megabyte or more) cost the broker about as
 * much as the rest of the work: the kernel maps and zeroes new pages for each one, and V8
 * counts each as external memory and runs a full collection every few tens of megabytes
 * (profiles: a quarter to a third of the broker's time on both paths).
 *
 * A Produce body goes back only after its handler has answered: that path keeps no reference
 * to a request's records once the handler is done (the log writes them to the segment file and
 * keeps offsets and positions; validation that rewrites a batch makes a copy). Other APIs'
 * requests are never pooled: their decoded `bytes` fields are views of the frame that
 * coordinators keep (group metadata, assignments). Fetched records go back once the socket has
 * taken the response that carries them (its write callback).
 *
 * Buffers come in size classes (an eighth of the power of two above, at least 4 KiB), so
 * requests of similar sizes share them; the pool keeps at most `maxIdleBytes` of idle buffers,
 * the sizes given back last.
 */
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>()
  /** Buffers handed out and not given back: give() takes back only these, and each once. */
  private readonly lent = new Set<ArrayBufferLike>()
  private idle = 0
  /** Buffers made (not reused) so far. */
  allocated = 0
  /** Bodies handed out from an idle buffer. */
  reused = 0

  /**
   * Debugging aid: every buffer given back is overwritten at once (0xdb), so anything still
   * reading it (a log write, the socket sending a response) sends or stores those bytes, and
   * CRCs catch it at once instead of only when a reuse happens to race. Off by default; on for
   * a broker started with SAMSA_DEBUG_POISON_POOL=1, and in the pool's stress test.
   */
  poison: boolean

  constructor(readonly maxIdleBytes: number, options: { poison?: boolean } = {}) {
    this.poison = options.poison ?? false
  }

  /** A buffer of exactly `size` bytes, for give() once its request is answered. */
  take(size: number): Buffer {
    const cls = sizeClass(size)
    const buf = this.free.get(cls)?.pop()
    if (buf) {
      this.idle -= cls
      this.reused++
      this.lent.add(buf.buffer)
      return buf.subarray(0, size)
    }
    this.allocated++
    // A buffer of its own (not a slice of Node's shared pool), so give() can tell its class.
    const fresh = Buffer.allocUnsafeSlow(cls)
    this.lent.add(fresh.buffer)
    return fresh.subarray(0, size)
  }

  /**
   * Takes back a buffer from take() that nothing refers to any more; anything else is ignored.
   * Past the bound, idle buffers of other sizes make room (the sizes in use change: produce
   * bodies of a megabyte, then fetches of several).
   */
  give(body: Buffer): void {
    if (!this.lent.delete(body.buffer)) return
    if (this.poison) new Uint8Array(body.buffer).fill(0xdb)
    const cls = body.buffer.byteLength
    if (body.byteOffset !== 0 || cls !== sizeClass(cls) || cls > this.maxIdleBytes) return
    for (const [size, list] of this.free) {
      if (this.idle + cls <= this.maxIdleBytes) break
      if (size === cls) continue
      while (list.length > 0 && this.idle + cls > this.maxIdleBytes) {
        list.pop()
        this.idle -= size
      }
      if (list.length === 0) this.free.delete(size)
    }
    if (this.idle + cls > this.maxIdleBytes) return
    let list = this.free.get(cls)
    if (!list) {
      list = []
      this.free.set(cls, list)
    }
    list.push(Buffer.from(body.buffer, 0, cls))
    this.idle += cls
  }

  /** Bytes of idle buffers held. */
  get idleBytes(): number {
    return this.idle
  }
}

/** The bytes a buffer for `size` gets: `size` rounded up to an eighth of the next power of two (>= 4 KiB). */
export function sizeClass(size: number): number {
  const pow = 2 ** Math.ceil(Math.log2(Math.max(size, 1)))
  const step = Math.max(pow / 8, 4096)
  return Math.ceil(size / step) * step
}
