/**
 * A kafkajs group consumer in its own process, for tests that must kill a consumer without
 * letting it leave the group. Config comes as JSON in argv[2] (KafkajsMemberConfig); it prints
 * one JSON line per event (see MemberLine in groups.ts). Every consumed message is written
 * before eachMessage returns, hence before kafkajs commits it: a line on stdout means "processed".
 * SIGTERM disconnects cleanly (final commit, LeaveGroup) and exits 0.
 */
import { Kafka, logLevel, type LogEntry } from 'kafkajs'
import type { KafkajsMemberConfig } from './groups.js'

const cfg = JSON.parse(process.argv[2]!) as KafkajsMemberConfig
// Pipes are synchronous on Linux: a line written here is in the pipe even if we are SIGKILLed next.
const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify({ ...o, at: Date.now() }) + '\n')

const kafka = new Kafka({
  clientId: cfg.clientId,
  brokers: [cfg.bootstrap],
  logLevel: logLevel.WARN,
  logCreator: () => (entry: LogEntry) => process.stderr.write(`${entry.label} ${entry.namespace} ${JSON.stringify(entry.log)}\n`),
  retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
})
const consumer = kafka.consumer({
  groupId: cfg.groupId,
  sessionTimeout: cfg.sessionTimeout,
  heartbeatInterval: cfg.heartbeatInterval,
  rebalanceTimeout: cfg.rebalanceTimeout,
  maxWaitTimeInMs: 200,
})
consumer.on(consumer.events.GROUP_JOIN, (e) =>
  out({ e: 'join', memberId: e.payload.memberId, leaderId: e.payload.leaderId, isLeader: e.payload.isLeader, assignment: e.payload.memberAssignment, duration: e.payload.duration }),
)
consumer.on(consumer.events.REQUEST, (e) => {
  if (e.payload.apiName === 'JoinGroup' || e.payload.apiName === 'SyncGroup' || e.payload.apiName === 'LeaveGroup') {
    out({ e: 'req', api: e.payload.apiName, sentAt: e.payload.sentAt, duration: e.payload.duration })
  }
})
consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
  const offsets = e.payload.topics.flatMap((t: { partitions: Array<{ partition: number; offset: string }> }) => t.partitions.map((p) => ({ partition: Number(p.partition), offset: String(p.offset) })))
  out({ e: 'commit', offsets })
})
consumer.on(consumer.events.CRASH, (e) => out({ e: 'crash', error: String(e.payload.error?.stack ?? e.payload.error), restart: e.payload.restart }))

let stopping = false
process.on('SIGTERM', () => {
  if (stopping) return
  stopping = true
  consumer
    .disconnect()
    .then(() => {
      out({ e: 'stopped' })
      process.exit(0)
    })
    .catch((err: unknown) => {
      process.stderr.write(`disconnect failed: ${String(err)}\n`)
      process.exit(1)
    })
})

await consumer.connect()
await consumer.subscribe({ topics: [cfg.topic], fromBeginning: true })
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    out({ e: 'msg', p: partition, o: message.offset, k: message.key?.toString() ?? null, v: message.value?.toString() ?? null })
  },
})
out({ e: 'ready' })
