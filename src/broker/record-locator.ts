/**
 * Lists each record's offset and timestamp in one stored batch, so that ListOffsets by
 * timestamp is exact to the record, as Kafka's is (storage alone looks only at batch headers).
 * This is the one broker path that decodes stored batches.
 */
import { decodeBatch, recordOffset, recordTimestamp } from '../protocol/records/batch.js'
import type { RecordLocator } from '../storage/index.js'

export const locateRecords: RecordLocator = async (batch) => {
  const b = await decodeBatch(batch, { verifyCrc: false })
  return b.records.map((r) => ({ offset: Number(recordOffset(b, r)), timestamp: Number(recordTimestamp(b, r)) }))
}
