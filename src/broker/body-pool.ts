/**
 * Reusable buffers for the bodies of Produce requests read in place (connection.ts). A fresh
 * buffer per request (a megabyte from kcat or the Java producer) cost the broker about as much
 * as the rest of the append: the kernel maps and zeroes new pages for each one, and V8 counts
 * each as external memory and runs a full collection every few tens of megabytes. Measured with
 * bench/broker/cpu-per-mib.ts: producing 1 KiB records went from about 4 to about 2 ms of broker
 * CPU per MiB with the bodies reused.
 *
 * A body goes back only after its Produce handler has answered: that path keeps no reference to
 * a request's records once the handler is done (the log writes them to the segment file and
 * keeps offsets and positions; validation that rewrites a batch makes a copy). Other APIs'
 * requests are never pooled: their decoded `bytes` fields are views of the frame that
 * coordinators keep (group metadata, assignments).
 *
 * Buffers come in size classes (an eighth of the power of two above, at least 4 KiB), so
 * requests of similar sizes share them; the pool keeps at most `maxIdleBytes` of idle buffers.
 */
export class BodyPool {
  private readonly free = new Map<number, Buffer[]>()
  /** Buffers handed out and not given back: give() takes back only these, and each once. */
  private readonly lent = new Set<ArrayBufferLike>()
  private idle = 0
  /** Buffers made (not reused) so far. */
  allocated = 0
  /** Bodies handed out from an idle buffer. */
  reused = 0

  constructor(readonly maxIdleBytes: number) {}

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

  /** Takes back a body from take() whose request no longer needs it; anything else is ignored. */
  give(body: Buffer): void {
    if (!this.lent.delete(body.buffer)) return
    const cls = body.buffer.byteLength
    if (body.byteOffset !== 0 || cls !== sizeClass(cls) || this.idle + cls > this.maxIdleBytes) return
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
