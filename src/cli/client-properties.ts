/**
 * Kafka client properties (`linger.ms=5`, from `--producer-property`, `--consumer-property`,
 * `--producer-props`, `--command-config` and friends) turned into the Samsa client's camelCase
 * options, security properties (security.protocol, ssl.*, sasl.*) included through
 * client-security.ts. Properties the Samsa client has no use for (serializers) warn, as Kafka's clients warn about configs "supplied but isn't a known
 * config", and are otherwise ignored; a bad value is a usage error naming the property.
 */
import type { AdminOptions } from '../client/admin/options.js'
import type { ConsumerOptions } from '../client/consumer/options.js'
import type { ProducerOptions } from '../client/producer/options.js'
import { isSecurityProperty, securityOptions } from './client-security.js'
import { INT32_MAX, parseNumericFlag, SAFE_MAX, usage } from './common.js'

type Kind = 'int' | 'bool' | 'string' | 'list' | 'acks'
interface Mapping {
  option: string
  kind: Kind
}

const BASE: Record<string, Mapping> = {
  'bootstrap.servers': { option: 'bootstrapServers', kind: 'string' },
  'client.id': { option: 'clientId', kind: 'string' },
  'request.timeout.ms': { option: 'requestTimeoutMs', kind: 'int' },
  'socket.connection.setup.timeout.ms': { option: 'connectTimeoutMs', kind: 'int' },
  'retry.backoff.ms': { option: 'retryBackoffMs', kind: 'int' },
  'retry.backoff.max.ms': { option: 'retryBackoffMaxMs', kind: 'int' },
  'metadata.max.age.ms': { option: 'metadataMaxAgeMs', kind: 'int' },
  'max.in.flight.requests.per.connection': { option: 'maxInFlightRequestsPerConnection', kind: 'int' },
}

const PRODUCER: Record<string, Mapping> = {
  ...BASE,
  acks: { option: 'acks', kind: 'acks' },
  'batch.size': { option: 'batchSize', kind: 'int' },
  'linger.ms': { option: 'lingerMs', kind: 'int' },
  'buffer.memory': { option: 'bufferMemory', kind: 'int' },
  'max.block.ms': { option: 'maxBlockMs', kind: 'int' },
  'max.request.size': { option: 'maxRequestSize', kind: 'int' },
  'compression.type': { option: 'compression', kind: 'string' },
  retries: { option: 'retries', kind: 'int' },
  'delivery.timeout.ms': { option: 'deliveryTimeoutMs', kind: 'int' },
  'enable.idempotence': { option: 'idempotent', kind: 'bool' },
  'transactional.id': { option: 'transactionalId', kind: 'string' },
  'transaction.timeout.ms': { option: 'transactionTimeoutMs', kind: 'int' },
}

const CONSUMER: Record<string, Mapping> = {
  ...BASE,
  'group.id': { option: 'groupId', kind: 'string' },
  'group.instance.id': { option: 'groupInstanceId', kind: 'string' },
  'session.timeout.ms': { option: 'sessionTimeoutMs', kind: 'int' },
  'heartbeat.interval.ms': { option: 'heartbeatIntervalMs', kind: 'int' },
  'max.poll.interval.ms': { option: 'maxPollIntervalMs', kind: 'int' },
  'partition.assignment.strategy': { option: 'partitionAssignmentStrategy', kind: 'list' },
  'auto.offset.reset': { option: 'autoOffsetReset', kind: 'string' },
  'enable.auto.commit': { option: 'enableAutoCommit', kind: 'bool' },
  'auto.commit.interval.ms': { option: 'autoCommitIntervalMs', kind: 'int' },
  'fetch.min.bytes': { option: 'fetchMinBytes', kind: 'int' },
  'fetch.max.bytes': { option: 'fetchMaxBytes', kind: 'int' },
  'max.partition.fetch.bytes': { option: 'maxPartitionFetchBytes', kind: 'int' },
  'fetch.max.wait.ms': { option: 'fetchMaxWaitMs', kind: 'int' },
  'max.poll.records': { option: 'maxPollRecords', kind: 'int' },
  'isolation.level': { option: 'isolationLevel', kind: 'string' },
  'check.crcs': { option: 'checkCrcs', kind: 'bool' },
  'default.api.timeout.ms': { option: 'defaultApiTimeoutMs', kind: 'int' },
  'allow.auto.create.topics': { option: 'allowAutoCreateTopics', kind: 'bool' },
  'exclude.internal.topics': { option: 'excludeInternalTopics', kind: 'bool' },
  'client.rack': { option: 'clientRack', kind: 'string' },
}

const ADMIN: Record<string, Mapping> = { ...BASE, 'default.api.timeout.ms': { option: 'defaultApiTimeoutMs', kind: 'int' } }

/** Java class names Kafka users pass for the assignors, mapped to Samsa's assignor names. */
const ASSIGNOR_CLASSES: Record<string, string> = {
  'org.apache.kafka.clients.consumer.RangeAssignor': 'range',
  'org.apache.kafka.clients.consumer.RoundRobinAssignor': 'roundrobin',
  'org.apache.kafka.clients.consumer.StickyAssignor': 'sticky',
  'org.apache.kafka.clients.consumer.CooperativeStickyAssignor': 'cooperative-sticky',
}

/** Properties a Kafka user commonly sets that mean nothing to this client: accepted silently. */
const IGNORED = new Set(['key.serializer', 'value.serializer', 'key.deserializer', 'value.deserializer'])

function convert(prop: string, m: Mapping, raw: string): unknown {
  const v = raw.trim()
  switch (m.kind) {
    case 'int': {
      // Kafka's INT and LONG configs: Samsa keeps both as numbers, bounded by int32 (also the
      // most a Node timer takes) except buffer.memory, a byte count that may go past 2 GiB.
      const max = prop === 'buffer.memory' ? SAFE_MAX : INT32_MAX
      return parseNumericFlag(`property ${prop}`, v, {
        min: -INT32_MAX - 1,
        max,
        what: `an integer up to ${max} (${prop}=${raw} is not an integer in that range)`,
        fix: 'give a whole number',
      })
    }
    case 'bool':
      if (v !== 'true' && v !== 'false') throw usage(`property ${prop}=${raw} is not true or false`)
      return v === 'true'
    case 'acks':
      if (v === 'all' || v === '-1') return 'all'
      if (v === '0' || v === '1') return Number(v)
      throw usage(`property acks=${raw} must be 0, 1, -1 or all`)
    case 'list':
      return v
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '')
        .map((x) => ASSIGNOR_CLASSES[x] ?? x)
    case 'string':
      return v
  }
}

function toOptions(props: Map<string, string>, table: Record<string, Mapping>, warn: (m: string) => void): Record<string, unknown> {
  const out: Record<string, unknown> = { ...securityOptions(props, warn) }
  for (const [k, v] of props) {
    const m = table[k]
    if (m) out[m.option] = convert(k, m, v)
    else if (!IGNORED.has(k) && !isSecurityProperty(k)) warn(`the property '${k}' was supplied but isn't a known config; ignored`)
  }
  return out
}

const stderrWarn = (m: string) => process.stderr.write(`warning: ${m}\n`)

export function producerOptions(props: Map<string, string>, warn = stderrWarn): Partial<ProducerOptions> {
  return toOptions(props, PRODUCER, warn) as Partial<ProducerOptions>
}

export function consumerOptions(props: Map<string, string>, warn = stderrWarn): Partial<ConsumerOptions> {
  return toOptions(props, CONSUMER, warn) as Partial<ConsumerOptions>
}

export function adminOptions(props: Map<string, string>, warn = stderrWarn): Partial<AdminOptions> {
  return toOptions(props, ADMIN, warn) as Partial<AdminOptions>
}
