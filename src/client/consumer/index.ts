export { Consumer } from './consumer.js'
export type { ConsumerOptions, AutoOffsetReset } from './options.js'
export type {
  ConsumerRecord,
  ConsumerRecordHeader,
  ConsumerBatch,
  CommitOffset,
  OffsetAndMetadata,
  RebalanceListener,
  PollOptions,
  IterateOptions,
  ConsumerGroupMetadata,
  TimestampTypeName,
  TopicPartition,
} from './types.js'
export { assignorByName, ASSIGNOR_NAMES, type Assignor, type MemberSubscription, type RebalanceProtocol } from './assignors/index.js'
