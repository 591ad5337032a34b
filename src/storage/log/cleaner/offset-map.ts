/**
 * The cleaner's key -> latest offset map (Kafka's SkimpyOffsetMap): each slot is a 16-byte MD5
 * of the key and the 8-byte offset, in one preallocated buffer of log.cleaner.dedupe.buffer.size
 * bytes, open addressing with linear probing. Keys themselves are never held, so the memory is
 * bounded whatever the keys' sizes; two keys with the same MD5 would be taken for one (Kafka
 * accepts the same risk). The map is "full" at the load factor (0.9, Kafka's
 * log.cleaner.io.buffer.load.factor default), after which the cleaner stops adding segments.
 */
import { createHash } from 'node:crypto'

const HASH_BYTES = 16
const SLOT_BYTES = HASH_BYTES + 8
const LOAD_FACTOR = 0.9

export class OffsetMap {
  readonly slots: number
  private readonly buf: Buffer
  private used = 0
  private readonly probe = Buffer.alloc(HASH_BYTES)

  constructor(memoryBytes: number) {
    this.slots = Math.floor(memoryBytes / SLOT_BYTES)
    if (this.slots < 1) throw new RangeError(`log.cleaner.dedupe.buffer.size ${memoryBytes} holds no key (${SLOT_BYTES} bytes per key)`)
    this.buf = Buffer.alloc(this.slots * SLOT_BYTES)
    this.clear()
  }

  get size(): number {
    return this.used
  }

  /** How many more keys fit below the load factor. */
  get room(): number {
    return Math.max(0, Math.floor(this.slots * LOAD_FACTOR) - this.used)
  }

  clear(): void {
    this.used = 0
    // Offset -1 marks an empty slot.
    for (let i = 0; i < this.slots; i++) this.buf.writeDoubleBE(-1, i * SLOT_BYTES + HASH_BYTES)
  }

  /** Records `offset` as the latest for `key` (offsets arrive in increasing order). */
  put(key: Buffer, offset: number): void {
    const slot = this.find(key)
    const at = slot * SLOT_BYTES
    if (this.buf.readDoubleBE(at + HASH_BYTES) < 0) {
      if (this.room === 0) throw new RangeError('offset map full')
      this.probe.copy(this.buf, at)
      this.used++
    }
    this.buf.writeDoubleBE(offset, at + HASH_BYTES)
  }

  /** The latest offset recorded for `key`, or -1. */
  get(key: Buffer): number {
    return this.buf.readDoubleBE(this.find(key) * SLOT_BYTES + HASH_BYTES)
  }

  /** The slot holding `key`'s hash, or the empty slot where it would go; leaves the hash in `probe`. */
  private find(key: Buffer): number {
    createHash('md5').update(key).digest().copy(this.probe)
    let slot = this.probe.readUInt32BE(0) % this.slots
    for (;;) {
      const at = slot * SLOT_BYTES
      if (this.buf.readDoubleBE(at + HASH_BYTES) < 0 || this.buf.compare(this.probe, 0, HASH_BYTES, at, at + HASH_BYTES) === 0) return slot
      slot = (slot + 1) % this.slots
    }
  }
}
