/**
 * `__transaction_state` through InternalTopic: Kafka's records byte for byte (TransactionLog):
 * key = int16 version 0 + TransactionLogKey, value = int16 version + TransactionLogValue (v0 for
 * transaction version 1 clients, as Kafka writes them; v1, flexible, read too), a tombstone
 * (an expired transactional id) is a null value. The topic is compacted with 50 partitions by
 * default (transaction.state.log.*), and the transactional id's partition is Kafka's
 * abs(hashCode(id)) % partitions, as for groups.
 *
 * Loading replays one partition from log start to log end; the last record of each id wins.
 */
import { Reader } from '../../protocol/primitives/reader.js'
import { Writer } from '../../protocol/primitives/writer.js'
import { TransactionLogKey, TransactionLogValue } from '../../protocol/generated/coordinator/transaction/transaction-log.js'
import { createBatch, encodeBatchSync } from '../../protocol/records/batch.js'
import { decodeBatchesSync } from '../../protocol/records/record-set.js'
import { KafkaError } from '../../protocol/errors.js'
import { Mutex } from '../../storage/mutex.js'
import type { Logger } from '../../util/logger.js'
import type { InternalTopic, InternalTopicSettings } from '../internal-topic.js'
import { coordinatorError } from '../group/group-log.js'
import { groupPartition } from '../group/group-hash.js'
import { TxnState, type TxnMetadata } from './txn-metadata.js'

export const TRANSACTION_STATE_TOPIC = '__transaction_state'

/** How much of the partition one read takes while loading. */
const LOAD_READ_BYTES = 1 << 20

export function encodeTxnKey(transactionalId: string): Buffer {
  const w = new Writer()
  w.writeInt16(0)
  TransactionLogKey.write(w, { transactionalId }, 0)
  return w.toBuffer()
}

export function encodeTxnValue(m: TxnMetadata): Buffer {
  const w = new Writer()
  w.writeInt16(0)
  const partitions = new Map<string, number[]>()
  for (const tp of m.partitions) {
    const [topic, p] = splitTp(tp)
    let list = partitions.get(topic)
    if (!list) partitions.set(topic, (list = []))
    list.push(p)
  }
  TransactionLogValue.write(
    w,
    {
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      transactionTimeoutMs: m.timeoutMs,
      transactionStatus: m.state,
      // Kafka writes no partitions for Empty and Complete* states.
      transactionPartitions: [...partitions].map(([topic, partitionIds]) => ({ topic, partitionIds })),
      transactionLastUpdateTimestampMs: BigInt(m.lastUpdateMs),
      transactionStartTimestampMs: BigInt(m.startMs),
    },
    0,
  )
  return w.toBuffer()
}

export function decodeTxnRecord(key: Buffer, value: Buffer | null): { transactionalId: string; metadata: TxnMetadata | null } {
  const kr = new Reader(key)
  const keyVersion = kr.readInt16()
  if (keyVersion !== 0) throw new Error(`unknown __transaction_state key version ${keyVersion}`)
  const { transactionalId } = TransactionLogKey.read(kr, 0)
  kr.finish('TransactionLogKey')
  if (value === null) return { transactionalId, metadata: null }
  const vr = new Reader(value)
  const version = Math.min(vr.readInt16(), 1)
  const v = TransactionLogValue.read(vr, version)
  if (v.transactionStatus < TxnState.Empty || v.transactionStatus > TxnState.PrepareEpochFence) throw new Error(`unknown transaction status ${v.transactionStatus}`)
  const partitions = new Set<string>()
  for (const t of v.transactionPartitions ?? []) for (const p of t.partitionIds) partitions.add(tpKey(t.topic, p))
  return {
    transactionalId,
    metadata: {
      transactionalId,
      producerId: v.producerId,
      producerEpoch: v.producerEpoch,
      lastProducerEpoch: -1,
      timeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnState,
      partitions,
      startMs: Number(v.transactionStartTimestampMs),
      lastUpdateMs: Number(v.transactionLastUpdateTimestampMs),
    },
  }
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export function splitTp(k: string): [string, number] {
  const i = k.lastIndexOf('\u0000')
  return [k.slice(0, i), Number(k.slice(i + 1))]
}

/** transaction.state.log.* as topic settings. */
export function txnTopicSettings(c: { partitions: number; replicationFactor: number; segmentBytes: number; minInsyncReplicas: number }): InternalTopicSettings {
  return {
    partitions: c.partitions,
    replicationFactor: c.replicationFactor,
    configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(c.segmentBytes), 'min.insync.replicas': String(c.minInsyncReplicas), 'unclean.leader.election.enable': 'false' },
  }
}

export class TxnLog {
  private readonly queues = new Map<number, Mutex>()
  private creation: Promise<number> | undefined

  constructor(
    private readonly topic: InternalTopic,
    private readonly settings: InternalTopicSettings,
    private readonly logger: Logger,
  ) {}

  get numPartitions(): number {
    return this.topic.partitionCount() ?? this.settings.partitions
  }

  partitionFor(transactionalId: string): number {
    return groupPartition(transactionalId, this.numPartitions)
  }

  exists(): boolean {
    return this.topic.partitionCount() !== undefined
  }

  /** Creates the topic unless it exists; COORDINATOR_NOT_AVAILABLE when it cannot. */
  async ensureTopic(): Promise<number> {
    const existing = this.topic.partitionCount()
    if (existing !== undefined) return existing
    this.creation ??= this.topic
      .create(this.settings)
      .catch((err: Error) => {
        const raced = this.topic.partitionCount()
        if (raced !== undefined) return raced
        this.logger.warn('cannot create __transaction_state', { error: err.message })
        throw new KafkaError('COORDINATOR_NOT_AVAILABLE', `cannot create ${TRANSACTION_STATE_TOPIC}: ${err.message}`)
      })
      .finally(() => (this.creation = undefined))
    return this.creation
  }

  /** Writes one transactional id's state; `admit` may refuse it in the partition's queue (resigned). */
  async write(partition: number, m: TxnMetadata, admit: () => void, now: number): Promise<void> {
    await this.queue(partition).run(async () => {
      admit()
      const batch = encodeBatchSync(createBatch({ baseTimestamp: BigInt(now), records: [{ timestampDelta: 0, offsetDelta: 0, key: encodeTxnKey(m.transactionalId), value: encodeTxnValue(m), headers: [] }] }))
      try {
        await this.topic.append(partition, batch)
      } catch (err) {
        throw coordinatorError(err)
      }
    })
  }

  /** Writes a tombstone for an expired transactional id. */
  async remove(partition: number, transactionalId: string, admit: () => void, now: number): Promise<void> {
    await this.queue(partition).run(async () => {
      admit()
      const batch = encodeBatchSync(createBatch({ baseTimestamp: BigInt(now), records: [{ timestampDelta: 0, offsetDelta: 0, key: encodeTxnKey(transactionalId), value: null, headers: [] }] }))
      try {
        await this.topic.append(partition, batch)
      } catch (err) {
        throw coordinatorError(err)
      }
    })
  }

  /** Every transactional id's last state in `partition`. */
  async load(partition: number): Promise<Map<string, TxnMetadata>> {
    return this.queue(partition).run(async () => {
      const out = new Map<string, TxnMetadata>()
      const { logStartOffset, logEndOffset } = await this.topic.offsets(partition)
      let from = logStartOffset
      while (from < logEndOffset) {
        const bytes = await this.topic.read(partition, { fromOffset: from, toOffset: logEndOffset, maxBytes: LOAD_READ_BYTES })
        if (bytes.length === 0) break
        let next = from
        for (const batch of decodeBatchesSync(bytes)) {
          const base = Number(batch.baseOffset)
          next = Math.max(next, base + batch.lastOffsetDelta + 1)
          if (batch.isControl) continue
          for (const r of batch.records) {
            if (base + r.offsetDelta < from || r.key === null) continue
            try {
              const { transactionalId, metadata } = decodeTxnRecord(r.key, r.value)
              if (metadata) out.set(transactionalId, metadata)
              else out.delete(transactionalId)
            } catch (err) {
              this.logger.warn('skipping an undecodable __transaction_state record', { partition, offset: base + r.offsetDelta, error: (err as Error).message })
            }
          }
        }
        if (next <= from) break
        from = next
      }
      return out
    })
  }

  private queue(partition: number): Mutex {
    let q = this.queues.get(partition)
    if (!q) this.queues.set(partition, (q = new Mutex()))
    return q
  }
}
