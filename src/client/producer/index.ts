export { Producer } from './producer.js'
export type { ProducerOptions, Acks, CompressionType } from './options.js'
export type { ProducerRecord, RecordMetadata } from './types.js'
export { murmur2, toPositive, partitionForKey, type Partitioner, type PartitionerArgs } from './partitioner.js'
