/**
 * An in-memory InternalTopic for coordinator unit tests: the coordinator's own interface,
 * faked, with hooks to hold appends and reads (to catch an operation in flight) and to fail
 * reads, and a record of what was read from which partition.
 */
import { KafkaError } from '../../src/protocol/errors.js'
import type { InternalTopic, InternalTopicSettings } from '../../src/coordinator/internal-topic.js'

/** Where a v2 batch keeps lastOffsetDelta. */
const LAST_OFFSET_DELTA = 23

interface StoredBatch {
  base: number
  last: number
  bytes: Buffer
}

interface Partition {
  batches: StoredBatch[]
  logStartOffset: number
  logEndOffset: number
}

/** A gate a test opens by hand: operations wait at it while it is closed. */
export class Gate {
  private opened: Promise<void> | undefined
  private release: (() => void) | undefined
  /** How many operations are waiting at the gate. */
  waiting = 0

  close(): void {
    this.opened ??= new Promise<void>((r) => (this.release = r))
  }

  open(): void {
    this.release?.()
    this.opened = undefined
    this.release = undefined
  }

  async pass(): Promise<void> {
    if (!this.opened) return
    this.waiting++
    try {
      await this.opened
    } finally {
      this.waiting--
    }
  }
}

export class MemoryTopic implements InternalTopic {
  readonly name = '__consumer_offsets'
  private parts: Partition[] | undefined
  /** Appends wait here after being admitted (the write is "on its way to disk"). */
  readonly appendGate = new Gate()
  /** Reads (loading) wait here. */
  readonly readGate = new Gate()
  /** Partitions read from, in order (one entry per read call). */
  readonly reads: number[] = []
  /** The next reads of these partitions fail as a broken disk would. */
  readonly failReads = new Set<number>()
  /** Called when create() made the topic, before it resolves (the broker announces leadership then). */
  onCreated: ((partitions: number) => void) | undefined

  constructor(partitions?: number) {
    if (partitions !== undefined) this.make(partitions)
  }

  private make(n: number): void {
    this.parts = Array.from({ length: n }, () => ({ batches: [], logStartOffset: 0, logEndOffset: 0 }))
  }

  private part(p: number): Partition {
    const part = this.parts?.[p]
    if (!part) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `no partition ${p}`)
    return part
  }

  partitionCount(): number | undefined {
    return this.parts?.length
  }

  /**
   * As the broker's metadata store: the topic is visible at once, its creation is announced
   * (onCreated) only once "durable", a turn of the event loop later.
   */
  async create(settings: InternalTopicSettings): Promise<number> {
    if (!this.parts) {
      this.make(settings.partitions)
      await new Promise((r) => setImmediate(r))
      this.onCreated?.(settings.partitions)
    }
    return this.parts!.length
  }

  async append(partition: number, batch: Buffer): Promise<{ firstOffset: number; lastOffset: number }> {
    const part = this.part(partition)
    await this.appendGate.pass()
    const bytes = Buffer.from(batch)
    const base = part.logEndOffset
    bytes.writeBigInt64BE(BigInt(base), 0)
    const last = base + bytes.readInt32BE(LAST_OFFSET_DELTA)
    part.batches.push({ base, last, bytes })
    part.logEndOffset = last + 1
    return { firstOffset: base, lastOffset: last }
  }

  async read(partition: number, range: { fromOffset: number; toOffset: number; maxBytes: number }): Promise<Buffer> {
    this.reads.push(partition)
    await this.readGate.pass()
    if (this.failReads.delete(partition)) throw new KafkaError('KAFKA_STORAGE_ERROR', `injected read failure on partition ${partition}`)
    const part = this.part(partition)
    const out: Buffer[] = []
    let size = 0
    for (const b of part.batches) {
      if (b.last < range.fromOffset || b.base >= range.toOffset) continue
      if (out.length > 0 && size + b.bytes.length > range.maxBytes) break
      out.push(b.bytes)
      size += b.bytes.length
    }
    return Buffer.concat(out)
  }

  async offsets(partition: number): Promise<{ logStartOffset: number; logEndOffset: number }> {
    const part = this.part(partition)
    return { logStartOffset: part.logStartOffset, logEndOffset: part.logEndOffset }
  }

  /** Records written to a partition so far. */
  records(partition: number): number {
    return this.part(partition).logEndOffset - this.part(partition).logStartOffset
  }
}
