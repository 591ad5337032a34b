/**
 * Produce, Fetch and ListOffsets spoken through RawClient, for interop tests that need to see
 * exactly what the broker stored or answered (error codes, batch attributes) beside what a
 * real client reports.
 */
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import type { CreateTopicsResponseCreatableTopicResult } from '../../src/protocol/generated/create-topics.js'
import type { FetchResponsePartitionData } from '../../src/protocol/generated/fetch.js'
import type { MetadataResponseTopic } from '../../src/protocol/generated/metadata.js'
import type { ListOffsetsResponseListOffsetsPartitionResponse } from '../../src/protocol/generated/list-offsets.js'
import type { ProduceResponsePartitionProduceResponse } from '../../src/protocol/generated/produce.js'
import { decodeBatches, recordOffset, recordTimestamp, type RecordBatch } from '../../src/protocol/records/index.js'
import type { RawClient } from './raw-client.js'

export const EARLIEST = -2n
export const LATEST = -1n

/** Produce v9 (flexible) of `records` (raw batch bytes) to one partition; returns its partition response. */
export async function produceRaw(
  c: RawClient,
  topic: string,
  partition: number,
  records: Buffer,
  opts: { acks?: number; timeoutMs?: number; version?: number } = {},
): Promise<ProduceResponsePartitionProduceResponse> {
  const resp = await c.request(ApiKey.Produce, opts.version ?? 9, {
    transactionalId: null,
    acks: opts.acks ?? 1,
    timeoutMs: opts.timeoutMs ?? 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  })
  const t = resp.responses.find((x) => x.name === topic)
  const p = t?.partitionResponses.find((x) => x.index === partition)
  if (!p) throw new Error(`no produce response for ${topic}-${partition}: ${JSON.stringify(resp, bigintJson)}`)
  return p
}

/** ListOffsets v7 for one partition (timestamp -2 earliest, -1 latest, or a time in ms). */
export async function listOffset(
  c: RawClient,
  topic: string,
  partition: number,
  timestamp: bigint,
): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  const resp = await c.request(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
  })
  const p = resp.topics.find((x) => x.name === topic)?.partitions.find((x) => x.partitionIndex === partition)
  if (!p) throw new Error(`no list-offsets response for ${topic}-${partition}: ${JSON.stringify(resp, bigintJson)}`)
  return p
}

/** One Fetch v12 (topic names, no session) of one partition. */
export async function fetchOnce(
  c: RawClient,
  topic: string,
  partition: number,
  offset: bigint,
  opts: { maxWaitMs?: number; maxBytes?: number } = {},
): Promise<FetchResponsePartitionData> {
  const maxBytes = opts.maxBytes ?? 8 * 1024 * 1024
  const resp = await c.request(ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  })
  if (resp.errorCode) throw new Error(`fetch error ${resp.errorCode}`)
  const p = resp.responses.find((x) => x.topic === topic)?.partitions.find((x) => x.partitionIndex === partition)
  if (!p) throw new Error(`no fetch response for ${topic}-${partition}: ${JSON.stringify(resp, bigintJson)}`)
  return p
}

export interface FetchedRecord {
  offset: bigint
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
  headers: Array<{ key: string; value: Buffer | null }>
  batch: RecordBatch
}

/**
 * Every record of a partition from `from` up to the high watermark, decoded (batches whose
 * base offset is below `from` are trimmed, as a consumer does).
 */
export async function fetchAll(c: RawClient, topic: string, partition: number, from = 0n): Promise<{ records: FetchedRecord[]; batches: RecordBatch[]; highWatermark: bigint; logStartOffset: bigint }> {
  const records: FetchedRecord[] = []
  const batches: RecordBatch[] = []
  let offset = from
  for (;;) {
    const p = await fetchOnce(c, topic, partition, offset)
    if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} at ${offset}: error ${p.errorCode}`)
    const decoded = p.records && p.records.length > 0 ? await decodeBatches(p.records) : []
    for (const b of decoded) {
      batches.push(b)
      for (const r of b.records) {
        const o = recordOffset(b, r)
        if (o < offset) continue
        records.push({ offset: o, timestamp: recordTimestamp(b, r), key: r.key, value: r.value, headers: r.headers, batch: b })
      }
      offset = b.baseOffset + BigInt(b.lastOffsetDelta) + 1n
    }
    if (offset >= p.highWatermark || decoded.length === 0) {
      if (decoded.length === 0 && offset < p.highWatermark) throw new Error(`fetch ${topic}-${partition} at ${offset} returned nothing below the high watermark ${p.highWatermark}`)
      return { records, batches, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset ?? -1n }
    }
  }
}

/** CreateTopics v7 of one topic; returns its result (check errorCode). */
export async function createTopic(
  c: RawClient,
  name: string,
  partitions: number,
  configs: Record<string, string> = {},
): Promise<CreateTopicsResponseCreatableTopicResult> {
  const resp = await c.request(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 10_000,
    validateOnly: false,
  })
  const t = resp.topics.find((x) => x.name === name)
  if (!t) throw new Error(`no CreateTopics result for ${name}: ${JSON.stringify(resp, bigintJson)}`)
  return t
}

/** Metadata v12 for `topics` (auto-creation off unless asked). */
export async function topicMetadata(c: RawClient, topics: string[], allowAutoTopicCreation = false): Promise<MetadataResponseTopic[]> {
  const resp = await c.request(ApiKey.Metadata, 12, {
    topics: topics.map((name) => ({ name })),
    allowAutoTopicCreation,
    includeTopicAuthorizedOperations: false,
  })
  return resp.topics
}

/** JSON.stringify replacer that prints bigints. */
export function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v
}

/** Polls `probe` until it returns a truthy value; rejects after timeoutMs with `what`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false | null> | T | undefined | false | null, what: string, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `; last error: ${(last as Error).message}` : ''}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
