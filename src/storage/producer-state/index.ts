/** Producer state per partition (Kafka's ProducerStateManager and its snapshots). */
export { ProducerStateManager, lastSequenceOf, type MarkerInfo, type PreparedProducers, type ProducerBatch, type Replay } from './producer-state-manager.js'
export { ProducerAppendInfo, type CompletedTxn, type ProducerOrigin, type StartedTxn } from './producer-append.js'
export { ProducerStateEntry, NUM_BATCHES_TO_RETAIN, NO_PRODUCER_EPOCH, NO_SEQUENCE, type BatchMetadata } from './producer-state-entry.js'
export { decodeSnapshot, encodeSnapshot, readSnapshot, snapshotPath, SNAPSHOT_SUFFIX, CorruptSnapshotError } from './snapshot-file.js'
