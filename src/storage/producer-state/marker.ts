/**
 * The commit/abort marker of a control batch, read from the batch's bytes without decoding
 * anything else. Control batches are written uncompressed by the transaction coordinator (as
 * Kafka's are); one that is compressed, empty (the cleaner removed its record) or of another
 * control type carries no marker.
 */
import { ATTR_COMPRESSION_MASK, ATTRIBUTES_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE } from '../../protocol/records/batch-header.js'
import { ControlRecordType, decodeControlKey, decodeEndTxnMarker } from '../../protocol/records/control.js'
import { RecordsError } from '../../protocol/records/errors.js'
import { decodeRecord } from '../../protocol/records/record.js'
import { readInt64 } from '../io/files.js'
import type { MarkerInfo } from './producer-state-manager.js'

/** `bytes` holds the whole batch at `pos`, `size` bytes long. */
export function markerOf(bytes: Buffer, pos: number, size: number): MarkerInfo | undefined {
  if ((bytes.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK) !== 0) return undefined
  if (size <= BATCH_HEADER_SIZE) return undefined
  try {
    const record = decodeRecord(bytes.subarray(pos + BATCH_HEADER_SIZE, pos + size))
    const { type } = decodeControlKey(record.key)
    if (type !== ControlRecordType.Abort && type !== ControlRecordType.Commit) return undefined
    const { coordinatorEpoch } = decodeEndTxnMarker(record.value)
    return { commit: type === ControlRecordType.Commit, coordinatorEpoch, timestamp: readInt64(bytes, pos + BASE_TIMESTAMP_OFFSET) + record.timestampDelta }
  } catch (err) {
    if (err instanceof RecordsError) return undefined
    throw err
  }
}
