/** The record layer's public surface: batch v2 encode/decode, record sets, control records, legacy v0/v1 decoding. */
export * from './batch-header.js'
export * from './batch.js'
export * from './control.js'
export * from './errors.js'
export * from './legacy.js'
export * from './record-set.js'
export { decodeRecord, encodeRecord, recordSize, type BatchRecord, type RecordHeader } from './record.js'
export { compress, decompress, compressSync, decompressSync, hasSyncCodec, codecName, type DecompressOptions } from './compression/index.js'
