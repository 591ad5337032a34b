/**
 * Lists each record's offset and timestamp in one stored batch, so that ListOffsets by
 * timestamp is exact to the record, as Kafka's is (storage alone looks only at batch headers).
 * This is the one broker path that decodes stored batches. Stored batches were only ever
 * bounded compressed (max.message.bytes), so decoding one keeps to `maxDecodedBytes` as a
 * produce does; a batch past it is located by its header alone (its first offset at its max
 * timestamp), as if lookups were exact to the batch only.
 */
import { readBatchHeader } from '../protocol/records/batch-header.js'
import { decodeBatch, decodeLimits, recordOffset, recordTimestamp } from '../protocol/records/batch.js'
import { RecordsError, RecordsErrorCode } from '../protocol/records/errors.js'
import type { RecordLocator } from '../storage/index.js'

export function locateRecords(maxDecodedBytes: number, onTooLarge: (err: RecordsError) => void = () => {}): RecordLocator {
  return async (batch) => {
    try {
      const b = await decodeBatch(batch, { verifyCrc: false, ...decodeLimits(maxDecodedBytes) })
      return b.records.map((r) => ({ offset: Number(recordOffset(b, r)), timestamp: Number(recordTimestamp(b, r)) }))
    } catch (err) {
      if (!(err instanceof RecordsError) || (err.code !== RecordsErrorCode.DecompressedTooLarge && err.code !== RecordsErrorCode.TooManyRecords)) throw err
      onTooLarge(err)
      const h = readBatchHeader(batch)
      // The last offset too, for a log start offset inside the batch: the batch is then still the answer.
      const timestamp = Number(h.maxTimestamp)
      return [{ offset: Number(h.baseOffset), timestamp }, { offset: Number(h.baseOffset) + h.lastOffsetDelta, timestamp }]
    }
  }
}
