/**
 * Where the etcd metadata store (etcd.ts) keeps each thing under its prefix, and the JSON it
 * stores there. Several clusters share one etcd by prefix (`etcd.prefix`, e.g. /samsa/prod).
 *
 *   <prefix>/cluster-id                        the cluster id (created once, by the first broker)
 *   <prefix>/brokers/<id>                      BrokerInfo JSON, under the broker's lease
 *   <prefix>/controller                        {"nodeId": n}, under the controller's lease (election)
 *   <prefix>/topics/<topicId>                  name, configs, replica lists, initial ISRs
 *   <prefix>/topic-names/<collision key>       {"name", "topicId"}: the name index; one key per
 *                                              '.'/'_' collision class, so a create compares one key
 *   <prefix>/partitions/<topicId>/<partition>  a partition's state once it changed (leader, epochs, ISR;
 *                                              replicas and adding/removing once reassigned)
 *   <prefix>/broker-configs/<id>|default       dynamic broker config overrides
 *   <prefix>/acls/<id>                         one ACL binding (JSON); the id is a hash of the binding,
 *                                              so creating the same ACL twice finds the same key
 *   <prefix>/client-quotas/<entity key>        one entity's client quotas
 *   <prefix>/scram-credentials/<mechanism>/<user>  one user's SCRAM credential for one mechanism
 *                                              (salt, StoredKey, ServerKey, iterations; the user
 *                                              URI-encoded); every broker watches them, so a
 *                                              change applies to the next login anywhere
 *
 * Why partitions are split from topics: a topic create must be one transaction, and etcd bounds
 * a transaction at 128 operations (--max-txn-ops) and 1.5 MiB (--max-request-bytes). So a topic
 * is created as two keys (topic + name), its initial partition state is implied by the topic key
 * (epochs 0, leader = first of the initial ISR), and a partition key appears only when that
 * partition's state first changes: an absent partition key means "still the initial state".
 * A 10,000-partition topic at replication factor 3 is about 170 KB in one value.
 */
import { createHash } from 'node:crypto'
import { KafkaError } from '../protocol/errors.js'
import { bindingKey, type AclBinding } from '../security/authorizer/acl.js'
import type { BrokerEndpoint, BrokerInfo } from './types.js'
import { isScramMechanism, type ScramMechanismName } from '../security/sasl/scram-credential.js'

/** A topic as its key stores it. Partition p starts with leader isr[p][0] (or -1), epochs 0. */
export interface StoredTopic {
  name: string
  configs: Record<string, string>
  replicas: number[][]
  /** The ISR each partition started with (its replicas that were live when it was created). */
  isr: number[][]
}

/** A partition's state once changed by alterPartition. */
export interface StoredPartitionState {
  /** The replica list once a reassignment changed it (absent: the topic key's). */
  replicas?: number[]
  leader: number
  leaderEpoch: number
  partitionEpoch: number
  isr: number[]
  addingReplicas?: number[]
  removingReplicas?: number[]
}

export interface StoredName {
  name: string
  topicId: string
}

/**
 * The largest value the store writes. etcd refuses requests above --max-request-bytes
 * (1.5 MiB by default); the rest of the transaction (the name key, compares) stays far below
 * the margin left here.
 */
export const MAX_VALUE_BYTES = 1_400_000

/** What one key under the prefix is. */
export type ParsedKey =
  | { kind: 'clusterId' }
  | { kind: 'broker'; nodeId: number }
  | { kind: 'controller' }
  | { kind: 'topic'; topicId: string }
  | { kind: 'name'; collisionKey: string }
  | { kind: 'partition'; topicId: string; partition: number }
  | { kind: 'brokerConfig'; nodeId: number | null }
  | { kind: 'acl'; id: string }
  /** One entity's client quotas; `entityKey` as broker/quotas/entity.ts makes it. */
  | { kind: 'clientQuota'; entityKey: string }
  | { kind: 'scram'; mechanism: ScramMechanismName; user: string }

export class EtcdLayout {
  /** The prefix without a trailing slash. */
  readonly prefix: string

  constructor(prefix: string) {
    const p = prefix.replace(/\/+$/, '')
    if (p === '' || !p.startsWith('/')) throw new Error(`etcd.prefix must be an absolute key path like /samsa/my-cluster, got ${JSON.stringify(prefix)}`)
    this.prefix = p
  }

  /** Every key of this cluster (for the range read and the watch). */
  get all(): string {
    return `${this.prefix}/`
  }
  get clusterId(): string {
    return `${this.prefix}/cluster-id`
  }
  get controller(): string {
    return `${this.prefix}/controller`
  }
  broker(nodeId: number): string {
    return `${this.prefix}/brokers/${nodeId}`
  }
  topic(topicId: string): string {
    return `${this.prefix}/topics/${topicId}`
  }
  name(collisionKey: string): string {
    return `${this.prefix}/topic-names/${collisionKey}`
  }
  /** The prefix of one topic's partition keys (deleted with the topic, as one range). */
  partitions(topicId: string): string {
    return `${this.prefix}/partitions/${topicId}/`
  }
  partition(topicId: string, partition: number): string {
    return `${this.partitions(topicId)}${partition}`
  }
  /** The next free producer id (allocateProducerIds); read and written directly, not cached. */
  producerIds(): string {
    return `${this.all}producer-ids`
  }
  brokerConfig(nodeId: number | null): string {
    return `${this.prefix}/broker-configs/${nodeId === null ? 'default' : nodeId}`
  }
  clientQuota(entityKey: string): string {
    return `${this.prefix}/client-quotas/${encodeURIComponent(entityKey)}`
  }

  scramCredential(user: string, mechanism: ScramMechanismName): string {
    return `${this.prefix}/scram-credentials/${mechanism}/${encodeURIComponent(user)}`
  }

  acl(binding: AclBinding): string {
    return `${this.prefix}/acls/${aclId(binding)}`
  }

  /** What a key is; undefined for keys this version does not know (left alone). */
  parse(key: string): ParsedKey | undefined {
    if (!key.startsWith(this.all)) return undefined
    const parts = key.slice(this.all.length).split('/')
    const [head, a, b] = parts
    if (parts.length === 1 && head === 'cluster-id') return { kind: 'clusterId' }
    if (parts.length === 1 && head === 'controller') return { kind: 'controller' }
    if (parts.length === 2 && head === 'brokers' && isId(a)) return { kind: 'broker', nodeId: Number(a) }
    if (parts.length === 2 && head === 'topics' && a) return { kind: 'topic', topicId: a }
    if (parts.length === 2 && head === 'topic-names' && a) return { kind: 'name', collisionKey: a }
    if (parts.length === 3 && head === 'partitions' && a && isId(b)) return { kind: 'partition', topicId: a, partition: Number(b) }
    if (parts.length === 2 && head === 'broker-configs' && (a === 'default' || isId(a))) return { kind: 'brokerConfig', nodeId: a === 'default' ? null : Number(a) }
    if (parts.length === 2 && head === 'acls' && a && /^[0-9a-f]{32}$/.test(a)) return { kind: 'acl', id: a }
    if (parts.length === 3 && head === 'scram-credentials' && a && isScramMechanism(a) && b) {
      try {
        return { kind: 'scram', mechanism: a, user: decodeURIComponent(b) }
      } catch {
        return undefined
      }
    }
    if (parts.length === 2 && head === 'client-quotas' && a) {
      try {
        return { kind: 'clientQuota', entityKey: decodeURIComponent(a) }
      } catch {
        return undefined
      }
    }
    return undefined
  }
}

/** The key id of an ACL: a hash of its fields, so equal ACLs share one key. */
export function aclId(binding: AclBinding): string {
  return createHash('sha256').update(bindingKey(binding)).digest('hex').slice(0, 32)
}

const RESOURCE_TYPES = new Set(['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN', 'USER'])
const OPERATIONS = new Set(['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'CREATE_TOKENS', 'DESCRIBE_TOKENS'])

export function decodeAcl(buf: Buffer): AclBinding | undefined {
  const v = parse(buf) as Partial<AclBinding> | undefined
  const p = v?.pattern
  const e = v?.entry
  if (!p || !e || typeof p.name !== 'string' || !RESOURCE_TYPES.has(p.resourceType as string) || (p.patternType !== 'LITERAL' && p.patternType !== 'PREFIXED')) return undefined
  if (typeof e.principal !== 'string' || typeof e.host !== 'string' || !OPERATIONS.has(e.operation as string) || (e.permission !== 'ALLOW' && e.permission !== 'DENY')) return undefined
  return { pattern: { resourceType: p.resourceType, name: p.name, patternType: p.patternType }, entry: { principal: e.principal, host: e.host, operation: e.operation, permission: e.permission } } as AclBinding
}

function isId(s: string | undefined): s is string {
  return s !== undefined && /^(0|[1-9]\d{0,9})$/.test(s)
}

/** JSON of a value the store writes, refused with POLICY_VIOLATION when etcd would refuse it. */
export function encodeValue(what: string, value: unknown): Buffer {
  const buf = Buffer.from(JSON.stringify(value))
  if (buf.length > MAX_VALUE_BYTES) {
    throw new KafkaError('POLICY_VIOLATION', `${what} would take ${buf.length} bytes in etcd, more than the ${MAX_VALUE_BYTES} one value may hold (etcd's --max-request-bytes is 1.5 MiB by default); use fewer partitions per topic or fewer configs`)
  }
  return buf
}

// Decoders check the shape: a value another program wrote must not crash the broker.

export function decodeTopic(buf: Buffer): StoredTopic | undefined {
  const v = parse(buf) as Partial<StoredTopic> | undefined
  if (!v || typeof v.name !== 'string' || !isStringMap(v.configs) || !isIdLists(v.replicas) || !isIdLists(v.isr) || v.isr.length !== v.replicas.length) return undefined
  return v as StoredTopic
}

export function decodePartitionState(buf: Buffer): StoredPartitionState | undefined {
  const v = parse(buf) as Partial<StoredPartitionState> | undefined
  if (!v || !Number.isInteger(v.leader) || !Number.isInteger(v.leaderEpoch) || !Number.isInteger(v.partitionEpoch) || !isIds(v.isr)) return undefined
  if ((v.replicas !== undefined && !isIds(v.replicas)) || (v.addingReplicas !== undefined && !isIds(v.addingReplicas)) || (v.removingReplicas !== undefined && !isIds(v.removingReplicas))) return undefined
  return v as StoredPartitionState
}

export function decodeName(buf: Buffer): StoredName | undefined {
  const v = parse(buf) as Partial<StoredName> | undefined
  return v && typeof v.name === 'string' && typeof v.topicId === 'string' ? (v as StoredName) : undefined
}

export function decodeBroker(buf: Buffer): BrokerInfo | undefined {
  const v = parse(buf) as Partial<BrokerInfo> | undefined
  if (!v || !Number.isInteger(v.nodeId) || typeof v.host !== 'string' || !Number.isInteger(v.port) || (v.rack !== null && typeof v.rack !== 'string')) return undefined
  const endpoints = Array.isArray(v.endpoints)
    ? v.endpoints.filter((e): e is BrokerEndpoint => !!e && typeof e.listener === 'string' && typeof e.host === 'string' && Number.isInteger(e.port)).map((e) => ({ listener: e.listener, host: e.host, port: e.port }))
    : undefined
  return { nodeId: v.nodeId!, host: v.host, port: v.port!, rack: v.rack ?? null, ...(endpoints ? { endpoints } : {}) }
}

export function decodeController(buf: Buffer): { nodeId: number } | undefined {
  const v = parse(buf) as { nodeId?: unknown } | undefined
  return v && Number.isInteger(v.nodeId) ? { nodeId: v.nodeId as number } : undefined
}

export function decodeConfigs(buf: Buffer): Record<string, string> | undefined {
  const v = parse(buf)
  return isStringMap(v) ? v : undefined
}

/** A client quota record: key to number. */
export function decodeQuotaValues(buf: Buffer): Record<string, number> | undefined {
  const v = parse(buf)
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined
  return Object.values(v).every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v as Record<string, number>) : undefined
}

function parse(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch {
    return undefined
  }
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
}

function isIds(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x))
}

function isIdLists(v: unknown): v is number[][] {
  return Array.isArray(v) && v.every(isIds)
}
