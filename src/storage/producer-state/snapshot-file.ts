/**
 * Producer state snapshots, `<offset>.snapshot` in the partition directory, in Kafka's format
 * (ProducerStateManager, snapshot version 1), so Kafka's tools read Samsa's files and the
 * other way round. The offset in the name is the log offset the snapshot describes the state
 * at: every batch below it is included, none at or above it.
 *
 *   version: int16 (1)
 *   crc: uint32, CRC32C of everything after this field
 *   producer_entries: int32 count, then per producer:
 *     producer_id int64, epoch int16, last_sequence int32, last_offset int64,
 *     offset_delta int32, timestamp int64, coordinator_epoch int32,
 *     current_txn_first_offset int64 (-1: no open transaction)
 *
 * Only the newest batch of each producer is kept (as in Kafka): after a restart, a retry of an
 * older in-flight batch is answered OUT_OF_ORDER_SEQUENCE_NUMBER rather than as a duplicate.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32c } from '../../protocol/records/crc32c.js'
import { writeFileAtomic } from '../io/files.js'
import { offsetFileStem, parseSegmentFileName } from '../log/file-names.js'
import { ProducerStateEntry } from './producer-state-entry.js'

export const SNAPSHOT_SUFFIX = '.snapshot'
const SNAPSHOT_VERSION = 1
const HEADER_SIZE = 2 + 4 + 4
const ENTRIES_OFFSET = 6
const ENTRY_SIZE = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8

/** A snapshot that cannot be trusted (Kafka's CorruptSnapshotException): it is deleted and an older one used. */
export class CorruptSnapshotError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CorruptSnapshotError'
  }
}

export function snapshotPath(dir: string, offset: number): string {
  return join(dir, offsetFileStem(offset) + SNAPSHOT_SUFFIX)
}

/** Offsets of the snapshot files in `dir`, ascending. */
export async function listSnapshots(dir: string): Promise<number[]> {
  const names = await readdir(dir)
  const offsets: number[] = []
  for (const name of names) {
    const offset = parseSegmentFileName(name, SNAPSHOT_SUFFIX)
    if (offset !== undefined) offsets.push(offset)
  }
  return offsets.sort((a, b) => a - b)
}

export function encodeSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const list = [...entries]
  const buf = Buffer.alloc(HEADER_SIZE + list.length * ENTRY_SIZE)
  buf.writeInt16BE(SNAPSHOT_VERSION, 0)
  buf.writeInt32BE(list.length, ENTRIES_OFFSET)
  let at = HEADER_SIZE
  for (const e of list) {
    buf.writeBigInt64BE(e.producerId, at)
    buf.writeInt16BE(e.producerEpoch, at + 8)
    buf.writeInt32BE(e.lastSeq, at + 10)
    buf.writeBigInt64BE(BigInt(e.lastDataOffset), at + 14)
    buf.writeInt32BE(e.lastOffsetDelta, at + 22)
    buf.writeBigInt64BE(BigInt(e.lastTimestamp), at + 26)
    buf.writeInt32BE(e.coordinatorEpoch, at + 34)
    buf.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), at + 38)
    at += ENTRY_SIZE
  }
  buf.writeUInt32BE(crc32c(buf.subarray(ENTRIES_OFFSET)), 2)
  return buf
}

/** Throws CorruptSnapshotError for anything that is not a whole, intact version 1 snapshot. */
export function decodeSnapshot(buf: Buffer): ProducerStateEntry[] {
  if (buf.length < HEADER_SIZE) throw new CorruptSnapshotError(`${buf.length} bytes, less than the ${HEADER_SIZE}-byte header`)
  const version = buf.readInt16BE(0)
  if (version !== SNAPSHOT_VERSION) throw new CorruptSnapshotError(`unknown snapshot version ${version}`)
  const stored = buf.readUInt32BE(2)
  const computed = crc32c(buf.subarray(ENTRIES_OFFSET))
  if (stored !== computed) throw new CorruptSnapshotError(`CRC is no longer valid (stored ${stored}, computed ${computed})`)
  const count = buf.readInt32BE(ENTRIES_OFFSET)
  // The count is checked against the bytes present before anything is allocated for it.
  if (count < 0 || HEADER_SIZE + count * ENTRY_SIZE !== buf.length) {
    throw new CorruptSnapshotError(`${count} entries do not fit ${buf.length} bytes`)
  }
  const entries: ProducerStateEntry[] = []
  let at = HEADER_SIZE
  for (let i = 0; i < count; i++) {
    const lastSeq = buf.readInt32BE(at + 10)
    const lastOffset = Number(buf.readBigInt64BE(at + 14))
    const offsetDelta = buf.readInt32BE(at + 22)
    const timestamp = Number(buf.readBigInt64BE(at + 26))
    const txnFirst = Number(buf.readBigInt64BE(at + 38))
    entries.push(
      new ProducerStateEntry({
        producerId: buf.readBigInt64BE(at),
        producerEpoch: buf.readInt16BE(at + 8),
        coordinatorEpoch: buf.readInt32BE(at + 34),
        lastTimestamp: timestamp,
        currentTxnFirstOffset: txnFirst >= 0 ? txnFirst : -1,
        batches: lastOffset >= 0 ? [{ lastSeq, lastOffset, offsetDelta, timestamp }] : [],
      }),
    )
    at += ENTRY_SIZE
  }
  return entries
}

export async function readSnapshot(path: string): Promise<ProducerStateEntry[]> {
  return decodeSnapshot(await readFile(path))
}

/** Written whole (temp file, fsync, rename), so a crash leaves the old file set or the new one. */
export async function writeSnapshot(path: string, bytes: Buffer): Promise<void> {
  await writeFileAtomic(path, bytes, { fsync: true })
}
