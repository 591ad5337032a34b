/**
 * `samsa transactions` (kafka-transactions.sh): inspect transactions and recover from hanging ones.
 *
 *   list [--duration-filter MS]                  TransactionalId Coordinator ProducerId TransactionState
 *   describe --transactional-id ID               CoordinatorId TransactionalId ProducerId ProducerEpoch
 *                                                TransactionState TransactionTimeoutMs
 *                                                CurrentTransactionStartTimeMs TransactionDurationMs TopicPartitions
 *   describe-producers --topic T --partition P [--broker-id B]
 *                                                ProducerId ProducerEpoch LatestCoordinatorEpoch LastSequence
 *                                                LastTimestamp CurrentTransactionStartOffset
 *   abort --topic T --partition P (--start-offset O | --producer-id I --producer-epoch E --coordinator-epoch C)
 *   find-hanging (--broker-id B | --topic T [--partition P]) [--max-transaction-timeout MIN]
 *                                                Topic Partition ProducerId ProducerEpoch CoordinatorEpoch
 *                                                StartOffset LastTimestamp Duration(min)
 *
 * Tables are laid out as Kafka's ToolsUtils.prettyPrintTable: each cell padded to its column's
 * width and followed by a tab, so scripts that split on tabs or whitespace read the same
 * columns. "None" where Kafka prints it (no open transaction), -1 for an absent coordinator
 * epoch. --bootstrap-server goes before or after the subcommand.
 *
 * find-hanging follows Kafka's search: the partitions with a replica on the broker (or the
 * topic's), the producers there with a transaction open longer than --max-transaction-timeout
 * (minutes, default 15) since their last write, then for each the coordinator's view: a
 * producer no transactional id maps to, or whose transaction no longer includes the partition,
 * is hanging. `abort` writes the abort marker for it (WriteTxnMarkers to the leader); with
 * --start-offset the producer is found by its open transaction's first offset; a coordinator
 * epoch below 0 is sent as 0, as Kafka does.
 */
import { Command } from 'commander'
import type { Admin } from '../client/admin/admin.js'
import type { AbortTransactionSpec, PartitionProducers, ProducerState } from '../client/admin/transactions.js'
import type { TopicPartition } from '../client/base/types.js'
import { KafkaError } from '../client/base/errors.js'
import { AdminError } from '../client/admin/common.js'
import { commandConfigOptions } from './command-config.js'
import { bootstrapOption, CliError, INT16_MAX, intArg, longArg, print, usage, withAdmin } from './common.js'

interface Common {
  bootstrapServer?: string
  commandConfig?: string
}

/** Kafka's ToolsUtils.prettyPrintTable: cells padded to the column width, each followed by a tab. */
export function prettyTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!) + '\t').join('') + '\n'
  return line(headers) + rows.map(line).join('')
}

function withCommon(cmd: Command): Command {
  return bootstrapOption(cmd, false).option('--command-config <file>', 'admin client properties file (Kafka property names)')
}

/** The subcommand's flags with the parent's (--bootstrap-server may come before the subcommand). */
function flagsOf<T>(cmd: Command): T & Common {
  return { ...(cmd.parent?.opts() ?? {}), ...Object.fromEntries(Object.entries(cmd.opts()).filter(([, v]) => v !== undefined)) } as T & Common
}

async function admin<T>(f: Common, fn: (admin: Admin) => Promise<T>): Promise<T> {
  if (f.bootstrapServer === undefined) throw usage("required option '--bootstrap-server <host:port>' not specified")
  return withAdmin(f.bootstrapServer, fn, commandConfigOptions(f.commandConfig))
}

export function transactionsCommand(): Command {
  const root = withCommon(new Command('transactions').description('analyze transaction state and recover from hanging transactions (kafka-transactions.sh)'))
  withCommon(root.command('list').description('list transactions'))
    .option('--duration-filter <ms>', 'only transactions running longer than this many ms (brokers of Kafka 3.8+); below 0: all', longArg('--duration-filter'))
    .action((_o, cmd: Command) => list(flagsOf<{ durationFilter?: bigint }>(cmd)))
  withCommon(root.command('describe').description('describe the state of an active transactional-id'))
    .requiredOption('--transactional-id <id>', 'transactional id')
    .action((_o, cmd: Command) => describe(flagsOf<{ transactionalId: string }>(cmd)))
  withCommon(root.command('describe-producers').description('describe the states of active producers for a topic partition'))
    .requiredOption('--topic <name>', 'topic name')
    .requiredOption('--partition <n>', 'partition number', intArg('--partition'))
    .option('--broker-id <id>', 'describe the producer state on this replica (default: the leader)', intArg('--broker-id'))
    .action((_o, cmd: Command) => describeProducers(flagsOf<{ topic: string; partition: number; brokerId?: number }>(cmd)))
  withCommon(root.command('abort').description('abort a hanging transaction (requires administrative privileges)'))
    .requiredOption('--topic <name>', 'topic name')
    .requiredOption('--partition <n>', 'partition number', intArg('--partition'))
    .option('--start-offset <offset>', 'start offset of the transaction to abort', longArg('--start-offset', 0n))
    .option('--producer-id <id>', 'producer id (with --producer-epoch and --coordinator-epoch, instead of --start-offset)', longArg('--producer-id', 0n))
    .option('--producer-epoch <epoch>', 'producer epoch', intArg('--producer-epoch', 0, INT16_MAX))
    .option('--coordinator-epoch <epoch>', 'coordinator epoch', intArg('--coordinator-epoch', -1))
    .action((_o, cmd: Command) => abort(flagsOf<AbortFlags>(cmd)))
  withCommon(root.command('find-hanging').description('find hanging transactions'))
    .option('--broker-id <id>', 'broker id to search for hanging transactions', intArg('--broker-id'))
    .option('--max-transaction-timeout <minutes>', 'maximum transaction timeout in minutes to limit the scope of the search', intArg('--max-transaction-timeout'), 15)
    .option('--topic <name>', 'topic name to limit search to (required if --partition is specified)')
    .option('--partition <n>', 'partition number', intArg('--partition'))
    .action((_o, cmd: Command) => findHanging(flagsOf<HangingFlags>(cmd)))
  return root
}

async function list(f: Common & { durationFilter?: bigint }): Promise<void> {
  const rows = await admin(f, (a) => a.listTransactions(f.durationFilter !== undefined ? { durationMs: Number(f.durationFilter) } : {}))
  await print(prettyTable(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], rows.map((t) => [t.transactionalId, String(t.coordinator), String(t.producerId), t.state])))
}

async function describe(f: Common & { transactionalId: string }): Promise<void> {
  const [d] = await admin(f, (a) => a.describeTransactions([f.transactionalId])).catch((e: unknown) => {
    throw new CliError(`Failed to describe transaction state of transactional-id \`${f.transactionalId}\`: ${failure(e)}`)
  })
  const now = Date.now()
  const row = [
    String(d!.coordinator),
    d!.transactionalId,
    String(d!.producerId),
    String(d!.producerEpoch),
    d!.state,
    String(d!.timeoutMs),
    d!.startTimeMs === null ? 'None' : String(d!.startTimeMs),
    d!.startTimeMs === null ? 'None' : String(now - d!.startTimeMs),
    d!.partitions.map((p) => `${p.topic}-${p.partition}`).join(','),
  ]
  await print(prettyTable(['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'], [row]))
}

/** The cause of an admin failure without the resource prefix the tool's own line already has. */
function failure(e: unknown): string {
  const inner = e instanceof AdminError && e.failures.length === 1 ? e.failures[0]!.error : e
  if (inner instanceof KafkaError) return `${inner.errorName}: ${inner.message}`
  return (inner as Error).message ?? String(inner)
}

async function producersOf(a: Admin, tp: TopicPartition, brokerId?: number): Promise<PartitionProducers> {
  try {
    const [r] = await a.describeProducers([tp], brokerId !== undefined ? { brokerId } : {})
    return r!
  } catch (e) {
    throw new CliError(`Failed to describe producers for partition ${tp.topic}-${tp.partition} on ${brokerId !== undefined ? `broker ${brokerId}` : 'leader'}: ${failure(e)}`)
  }
}

async function describeProducers(f: Common & { topic: string; partition: number; brokerId?: number }): Promise<void> {
  const r = await admin(f, (a) => producersOf(a, f, f.brokerId))
  const rows = r.producers.map((p) => [
    String(p.producerId),
    String(p.producerEpoch),
    String(p.coordinatorEpoch ?? -1),
    String(p.lastSequence),
    String(p.lastTimestamp),
    p.currentTransactionStartOffset === null ? 'None' : String(p.currentTransactionStartOffset),
  ])
  await print(prettyTable(['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'], rows))
}

interface AbortFlags {
  topic: string
  partition: number
  startOffset?: bigint
  producerId?: bigint
  producerEpoch?: number
  coordinatorEpoch?: number
}

async function abort(f: Common & AbortFlags): Promise<void> {
  const tp = { topic: f.topic, partition: f.partition }
  if (f.startOffset === undefined && f.producerId === undefined) {
    throw usage('The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)')
  }
  if (f.startOffset === undefined) {
    if (f.producerEpoch === undefined) throw usage('Missing required argument --producer-epoch')
    if (f.coordinatorEpoch === undefined) throw usage('Missing required argument --coordinator-epoch')
  }
  await admin(f, async (a) => {
    let spec: AbortTransactionSpec
    if (f.startOffset !== undefined) {
      const r = await producersOf(a, tp)
      const p = r.producers.find((x) => x.currentTransactionStartOffset === f.startOffset)
      if (!p) throw new CliError(`Could not find any open transactions starting at offset ${f.startOffset} on partition ${f.topic}-${f.partition}`)
      spec = { ...tp, producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch: p.coordinatorEpoch ?? 0 }
    } else {
      // A producer that never had a marker here shows coordinator epoch -1; 0 is at or below any coordinator's.
      spec = { ...tp, producerId: f.producerId!, producerEpoch: f.producerEpoch!, coordinatorEpoch: Math.max(0, f.coordinatorEpoch!) }
    }
    await a.abortTransaction(spec).catch((e: unknown) => {
      throw new CliError(`Failed to abort transaction {topic=${spec.topic}, partition=${spec.partition}, producerId=${spec.producerId}, producerEpoch=${spec.producerEpoch}, coordinatorEpoch=${spec.coordinatorEpoch}}: ${failure(e)}`)
    })
  })
}

interface HangingFlags {
  brokerId?: number
  maxTransactionTimeout: number
  topic?: string
  partition?: number
}

interface OpenTransaction extends TopicPartition {
  producer: ProducerState
}

/** Partitions per DescribeProducers request, as Kafka's tool batches them. */
const MAX_BATCH_SIZE = 500

async function findHanging(f: Common & HangingFlags): Promise<void> {
  if (f.topic === undefined && f.brokerId === undefined) throw usage('The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search')
  if (f.partition !== undefined && f.topic === undefined) throw usage('The --partition argument requires --topic to be provided')
  const maxTimeoutMs = f.maxTransactionTimeout * 60_000
  const hanging = await admin(f, async (a) => {
    let partitions: TopicPartition[]
    if (f.topic !== undefined && f.partition !== undefined) partitions = [{ topic: f.topic, partition: f.partition }]
    else {
      const topics = f.topic !== undefined ? [f.topic] : await a.listTopics({ includeInternal: true })
      const described = topics.length > 0 ? await a.describeTopics(topics) : []
      partitions = described.flatMap((t) => t.partitions.filter((p) => f.brokerId === undefined || p.replicas.includes(f.brokerId)).map((p) => ({ topic: t.name, partition: p.partition })))
    }
    const now = Date.now()
    const candidates: OpenTransaction[] = []
    for (let i = 0; i < partitions.length; i += MAX_BATCH_SIZE) {
      const batch = partitions.slice(i, i + MAX_BATCH_SIZE)
      const states = await a.describeProducers(batch, f.brokerId !== undefined ? { brokerId: f.brokerId } : {}).catch((e: unknown) => {
        throw new CliError(`Failed to describe producers of ${batch.length} partitions: ${failure(e)}`)
      })
      for (const s of states) {
        for (const p of s.producers) {
          if (p.currentTransactionStartOffset !== null && now - p.lastTimestamp >= maxTimeoutMs) candidates.push({ topic: s.topic, partition: s.partition, producer: p })
        }
      }
    }
    if (candidates.length === 0) return []
    const producerIds = [...new Set(candidates.map((c) => c.producer.producerId))]
    const listed = await a.listTransactions({ producerIds })
    const idOf = new Map(listed.map((t) => [t.producerId, t.transactionalId]))
    const ids = [...new Set(listed.map((t) => t.transactionalId))]
    const descriptions = new Map<string, TopicPartition[] | null>()
    if (ids.length > 0) {
      try {
        for (const d of await a.describeTransactions(ids)) descriptions.set(d.transactionalId, d.partitions)
      } catch (e) {
        // An id gone since it was listed (TRANSACTIONAL_ID_NOT_FOUND) cannot write the marker: hanging.
        if (!(e instanceof AdminError) || e.failures.some((x) => !(x.error instanceof KafkaError && x.error.errorName === 'TRANSACTIONAL_ID_NOT_FOUND'))) {
          throw new CliError(`Failed to describe ${ids.length} transactions: ${failure(e)}`)
        }
        for (const d of e.results as Array<{ transactionalId: string; partitions: TopicPartition[] }>) descriptions.set(d.transactionalId, d.partitions)
      }
    }
    return candidates.filter((c) => {
      const id = idOf.get(c.producer.producerId)
      const parts = id === undefined ? undefined : descriptions.get(id)
      if (!parts) return true
      // The coordinator still lists the partition while the transaction is open or its markers are pending.
      return !parts.some((p) => p.topic === c.topic && p.partition === c.partition)
    })
  })
  const now = Date.now()
  const rows = hanging.map((h) => [
    h.topic,
    String(h.partition),
    String(h.producer.producerId),
    String(h.producer.producerEpoch),
    String(h.producer.coordinatorEpoch ?? -1),
    String(h.producer.currentTransactionStartOffset ?? -1),
    String(h.producer.lastTimestamp),
    String(Math.floor((now - h.producer.lastTimestamp) / 60_000)),
  ])
  await print(prettyTable(['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)'], rows))
}
