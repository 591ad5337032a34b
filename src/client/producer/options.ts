/**
 * Producer options with Kafka's producer defaults. The Kafka property each maps to is named in
 * its comment; behaviour follows that property's documentation unless noted.
 */
import { CompressionCodec } from '../../protocol/records/batch-header.js'
import { ClientError } from '../base/errors.js'
import { intOption, resolveBaseOptions, type BaseOptions, type ResolvedBaseOptions } from '../base/options.js'
import type { Partitioner } from './partitioner.js'

export type Acks = 0 | 1 | -1 | 'all'
export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

export interface ProducerOptions extends BaseOptions {
  /** acks (default 'all' = -1): 0 fire-and-forget, 1 leader only, 'all' every in-sync replica. */
  acks?: Acks
  /** batch.size (default 16384): bytes per partition batch before it is sent without waiting for linger. */
  batchSize?: number
  /** linger.ms (default 5, Kafka 4's default): how long a partly filled batch waits for more records. */
  lingerMs?: number
  /** buffer.memory (default 33554432): bytes of unsent batches; beyond it `send` waits. */
  bufferMemory?: number
  /** max.block.ms (default 60000): how long `send` waits for metadata or buffer space before failing. */
  maxBlockMs?: number
  /** max.request.size (default 1048576): largest Produce request, and so the largest record. */
  maxRequestSize?: number
  /** compression.type (default 'none'). */
  compression?: CompressionType
  /** retries (default 2147483647): retries of a failed batch, bounded by deliveryTimeoutMs. */
  retries?: number
  /** delivery.timeout.ms (default 120000): upper bound from `send` to success or failure. */
  deliveryTimeoutMs?: number
  /**
   * partitioner.class: a function picking the partition of records sent without one. Return a
   * partition number, or undefined to use the default (murmur2 of the key, sticky for keyless).
   */
  partitioner?: Partitioner
  /**
   * enable.idempotence (default true, as the Java client since 3.0): each batch carries a
   * producer id and sequence numbers, so retries never duplicate or reorder records. Needs
   * acks 'all', retries > 0 and maxInFlightRequestsPerConnection <= 5; left unset, it is off
   * when those say otherwise (as the Java client decides), set true with them it is refused.
   */
  idempotent?: boolean
  /** Kafka's name for `idempotent`; give one of the two. */
  enableIdempotence?: boolean
  /**
   * transactional.id: makes the producer transactional (and idempotent): records are sent
   * inside beginTransaction() ... commitTransaction() / abortTransaction(). A newer producer with
   * the same id fences this one.
   */
  transactionalId?: string
  /** transaction.timeout.ms (default 60000): the coordinator aborts a transaction open longer. */
  transactionTimeoutMs?: number
}

export interface ResolvedProducerOptions extends ResolvedBaseOptions {
  acks: 0 | 1 | -1
  batchSize: number
  lingerMs: number
  bufferMemory: number
  maxBlockMs: number
  maxRequestSize: number
  compression: CompressionCodec
  retries: number
  deliveryTimeoutMs: number
  partitioner: Partitioner | undefined
  idempotent: boolean
  transactionalId: string | null
  transactionTimeoutMs: number
}

const CODECS: Record<CompressionType, CompressionCodec> = {
  none: CompressionCodec.None,
  gzip: CompressionCodec.Gzip,
  snappy: CompressionCodec.Snappy,
  lz4: CompressionCodec.Lz4,
  zstd: CompressionCodec.Zstd,
}

export function resolveProducerOptions(o: ProducerOptions): ResolvedProducerOptions {
  const base = resolveBaseOptions(o)
  const acks = o.acks === undefined || o.acks === 'all' ? -1 : o.acks
  if (acks !== 0 && acks !== 1 && acks !== -1) throw new ClientError('INVALID_OPTION', `option acks must be 0, 1, -1 or 'all', got ${JSON.stringify(o.acks)}`)
  const compression = CODECS[o.compression ?? 'none']
  if (compression === undefined) {
    throw new ClientError('INVALID_OPTION', `option compression must be one of ${Object.keys(CODECS).join(', ')}, got ${JSON.stringify(o.compression)}`)
  }
  if (o.partitioner !== undefined && typeof o.partitioner !== 'function') {
    throw new ClientError('INVALID_OPTION', 'option partitioner must be a function ({ topic, key, value, partitionCount }) => number | undefined')
  }
  const lingerMs = intOption('lingerMs', o.lingerMs, 5)
  const deliveryTimeoutMs = intOption('deliveryTimeoutMs', o.deliveryTimeoutMs, 120_000, 1)
  const retries = intOption('retries', o.retries, 2_147_483_647)
  const transactionalId = o.transactionalId ?? null
  if (transactionalId !== null && (typeof transactionalId !== 'string' || transactionalId === '')) {
    throw new ClientError('INVALID_OPTION', `option transactionalId must be a non-empty string, got ${JSON.stringify(o.transactionalId)}`)
  }
  if (transactionalId !== null && (o.idempotent === false || o.enableIdempotence === false)) {
    throw new ClientError('INVALID_OPTION', 'a transactional producer is idempotent: leave idempotent unset (or true) with transactionalId')
  }
  const idempotent = resolveIdempotence(transactionalId !== null ? { ...o, idempotent: true } : o, acks, retries, base.maxInFlightRequestsPerConnection)
  const r: ResolvedProducerOptions = {
    ...base,
    acks,
    batchSize: intOption('batchSize', o.batchSize, 16_384),
    lingerMs,
    bufferMemory: intOption('bufferMemory', o.bufferMemory, 33_554_432, 1),
    maxBlockMs: intOption('maxBlockMs', o.maxBlockMs, 60_000),
    maxRequestSize: intOption('maxRequestSize', o.maxRequestSize, 1_048_576, 1),
    compression,
    retries,
    deliveryTimeoutMs,
    partitioner: o.partitioner,
    idempotent,
    transactionalId,
    transactionTimeoutMs: intOption('transactionTimeoutMs', o.transactionTimeoutMs, 60_000, 1),
  }
  // Kafka refuses a delivery timeout that cannot cover one linger plus one request.
  if (deliveryTimeoutMs < lingerMs + base.requestTimeoutMs) {
    throw new ClientError(
      'INVALID_OPTION',
      `deliveryTimeoutMs (${deliveryTimeoutMs}) must be at least lingerMs + requestTimeoutMs (${lingerMs + base.requestTimeoutMs})`,
    )
  }
  return r
}

/**
 * Kafka's rule (KIP-679): idempotence is on unless asked off; asked for explicitly it needs
 * acks=all, retries and at most 5 requests in flight (the broker remembers the last 5 batches
 * per producer, so a sixth could not be recognised as a duplicate); not asked for, those
 * settings turn it off quietly.
 */
function resolveIdempotence(o: ProducerOptions, acks: number, retries: number, maxInFlight: number): boolean {
  if (o.idempotent !== undefined && o.enableIdempotence !== undefined && o.idempotent !== o.enableIdempotence) {
    throw new ClientError('INVALID_OPTION', `options idempotent (${o.idempotent}) and enableIdempotence (${o.enableIdempotence}) disagree; give one of them`)
  }
  const asked = o.idempotent ?? o.enableIdempotence
  if (asked !== undefined && typeof asked !== 'boolean') throw new ClientError('INVALID_OPTION', `option idempotent must be true or false, got ${JSON.stringify(asked)}`)
  const conflicts: string[] = []
  if (acks !== -1) conflicts.push(`acks must be 'all' (got ${acks})`)
  if (retries === 0) conflicts.push('retries must be above 0')
  if (maxInFlight > 5) conflicts.push(`maxInFlightRequestsPerConnection must be at most 5 (got ${maxInFlight})`)
  if (asked === true && conflicts.length > 0) {
    throw new ClientError('INVALID_OPTION', `an idempotent producer needs ${conflicts.join(', ')}; change those options or set idempotent: false`)
  }
  return asked ?? conflicts.length === 0
}
