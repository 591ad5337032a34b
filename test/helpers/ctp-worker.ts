/**
 * A consume-transform-produce worker in its own process, for the kill loop
 * (test/interop/transactions-kill.test.ts): the Samsa consumer reads the input topic
 * (read_committed, positions from the group's committed offsets, manual assignment so a
 * restarted worker needs no rebalance), and each polled batch is copied to the output topic,
 * partition for partition, in one transaction with the consumed offsets
 * (sendOffsetsToTransaction). Config as JSON in argv[2]. Prints one line per committed
 * transaction. It is meant to be killed with SIGKILL at any moment.
 */
import { Consumer } from '../../src/client/consumer/index.js'
import { Producer } from '../../src/client/producer/index.js'
import { createLogger } from '../../src/util/logger.js'

interface Config {
  bootstrap: string
  input: string
  output: string
  partitions: number
  groupId: string
  transactionalId: string
}

const cfg = JSON.parse(process.argv[2]!) as Config
const logger = createLogger({ level: 'error' })
const consumer = new Consumer({ bootstrapServers: cfg.bootstrap, groupId: cfg.groupId, enableAutoCommit: false, autoOffsetReset: 'earliest', isolationLevel: 'read_committed', maxPollRecords: 50, logger })
consumer.assign(Array.from({ length: cfg.partitions }, (_, partition) => ({ topic: cfg.input, partition })))
const producer = new Producer({ bootstrapServers: cfg.bootstrap, transactionalId: cfg.transactionalId, lingerMs: 1, logger })
await producer.initTransactions()
process.stdout.write(JSON.stringify({ e: 'ready' }) + '\n')
for (;;) {
  const records = await consumer.poll({ timeoutMs: 500 })
  if (records.length === 0) continue
  await producer.beginTransaction()
  const next = new Map<number, bigint>()
  for (const r of records) {
    void producer.send({ topic: cfg.output, partition: r.partition, key: r.key, value: r.value })
    next.set(r.partition, r.offset + 1n)
  }
  await producer.sendOffsetsToTransaction([...next].map(([partition, offset]) => ({ topic: cfg.input, partition, offset })), {
    groupId: cfg.groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
  })
  await producer.commitTransaction()
  process.stdout.write(JSON.stringify({ e: 'committed', records: records.length }) + '\n')
}
