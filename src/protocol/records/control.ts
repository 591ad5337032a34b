/**
 * Control records: the single record of a control batch (attributes bit 5). Its key is
 * { version: int16, type: int16 }. For transaction markers (types 0 abort, 1 commit) the value
 * is { version: int16, coordinatorEpoch: int32 }; KRaft's types carry other values, which are
 * left to whoever needs them.
 */
import { CompressionCodec } from './batch-header.js'
import { TimestampType, type RecordBatch } from './batch.js'
import { RecordsError, RecordsErrorCode } from './errors.js'

export const ControlRecordType = {
  Abort: 0,
  Commit: 1,
  LeaderChange: 2,
  SnapshotHeader: 3,
  SnapshotFooter: 4,
  KRaftVersion: 5,
  KRaftVoters: 6,
} as const

export interface ControlRecordKey {
  version: number
  /** A ControlRecordType value; unknown types are reported as they are. */
  type: number
}

export interface EndTxnMarker {
  version: number
  coordinatorEpoch: number
}

export function encodeControlKey(key: ControlRecordKey): Buffer {
  const buf = Buffer.allocUnsafe(4)
  buf.writeInt16BE(key.version, 0)
  buf.writeInt16BE(key.type, 2)
  return buf
}

/** Newer key versions are read as far as version 0 goes, as Kafka does. */
export function decodeControlKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < 4) {
    throw new RecordsError(RecordsErrorCode.InvalidControlRecord, `control record key of ${key?.length ?? 'null'} bytes`)
  }
  return { version: key.readInt16BE(0), type: key.readInt16BE(2) }
}

export function encodeEndTxnMarker(marker: EndTxnMarker): Buffer {
  const buf = Buffer.allocUnsafe(6)
  buf.writeInt16BE(marker.version, 0)
  buf.writeInt32BE(marker.coordinatorEpoch, 2)
  return buf
}

export function decodeEndTxnMarker(value: Buffer | null): EndTxnMarker {
  if (value === null || value.length < 6) {
    throw new RecordsError(RecordsErrorCode.InvalidControlRecord, `transaction marker value of ${value?.length ?? 'null'} bytes`)
  }
  return { version: value.readInt16BE(0), coordinatorEpoch: value.readInt32BE(2) }
}

export interface EndTxnBatchInit {
  commit: boolean
  producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
  timestamp: bigint
  baseOffset?: bigint
  partitionLeaderEpoch?: number
}

/** The batch a transaction coordinator's WriteTxnMarkers appends: one uncompressed control record. */
export function createEndTxnBatch(init: EndTxnBatchInit): RecordBatch {
  return {
    baseOffset: init.baseOffset ?? 0n,
    partitionLeaderEpoch: init.partitionLeaderEpoch ?? -1,
    compression: CompressionCodec.None,
    timestampType: TimestampType.CreateTime,
    isTransactional: true,
    isControl: true,
    hasDeleteHorizon: false,
    lastOffsetDelta: 0,
    baseTimestamp: init.timestamp,
    maxTimestamp: init.timestamp,
    producerId: init.producerId,
    producerEpoch: init.producerEpoch,
    baseSequence: -1,
    records: [
      {
        attributes: 0,
        timestampDelta: 0,
        offsetDelta: 0,
        key: encodeControlKey({ version: 0, type: init.commit ? ControlRecordType.Commit : ControlRecordType.Abort }),
        value: encodeEndTxnMarker({ version: 0, coordinatorEpoch: init.coordinatorEpoch }),
        headers: [],
      },
    ],
  }
}

export interface EndTxnInfo {
  commit: boolean
  coordinatorEpoch: number
}

/** The commit/abort marker of a decoded control batch, or null if it holds another control type. */
export function readEndTxnMarker(batch: RecordBatch): EndTxnInfo | null {
  if (!batch.isControl) return null
  const record = batch.records[0]
  if (record === undefined) return null
  const { type } = decodeControlKey(record.key)
  if (type !== ControlRecordType.Abort && type !== ControlRecordType.Commit) return null
  return { commit: type === ControlRecordType.Commit, coordinatorEpoch: decodeEndTxnMarker(record.value).coordinatorEpoch }
}
