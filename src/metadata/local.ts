/**
 * Single-node metadata store: topics (names, ids, config overrides) with each partition's
 * stored state (replicas, leader, leader epoch, partition epoch, ISR), dynamic broker configs,
 * registered brokers and the cluster id, kept in memory and written as one JSON file
 * (`samsa-metadata.json` in the first log dir) by write-rename-fsync after every change, so a
 * change is durable when its promise resolves and a crash leaves either the old or the new file.
 *
 * It keeps the cluster store's contract on one node: partition state changes only through
 * alterPartition's compare-and-swap, and changes are applied one at a time, so of two updates
 * based on the same partition epoch exactly one wins. Registrations are not persisted (a
 * broker registers each time it starts); this broker is always registered.
 */
import { entityKey, parseEntityKey, type QuotaEntity } from '../broker/quotas/entity.js'
import type { QuotaTable } from '../broker/quotas/resolve.js'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KafkaError } from '../protocol/errors.js'
import { randomUuid } from '../protocol/primitives/uuid.js'
import { readMetaProperties } from '../storage/checkpoint/meta-properties.js'
import { removeIfExists, writeFileAtomic } from '../storage/io/files.js'
import { META_PROPERTIES_FILE } from '../storage/log/file-names.js'
import { checkPartitionChange } from './partition-change.js'
import { collisionKey, isInternalTopic } from './topic-name.js'
import { MAX_ACLS_PER_CHANGE, type MetadataChange, type MetadataStore, type NewTopic, type PartitionChange, type ProducerIdBlock, type ScramTable } from './store.js'
import { decodeScramCredential, encodeScramCredential, scramMechanism, type ScramCredential, type ScramMechanismName, type StoredScramCredential } from '../security/sasl/scram-credential.js'
import { bindingKey, type AclBinding } from '../security/authorizer/acl.js'
import type { BrokerInfo, PartitionInfo, TopicInfo } from './types.js'
import type { FaultHooks } from '../util/faults.js'
import type { Logger } from '../util/logger.js'

export const METADATA_FILE = 'samsa-metadata.json'
/** Version 2 stores partition state; version 1 (replica lists only) is read and upgraded. */
const FORMAT_VERSION = 2

interface StoredPartition {
  replicas: number[]
  leader: number
  leaderEpoch: number
  partitionEpoch: number
  isr: number[]
  addingReplicas?: number[]
  removingReplicas?: number[]
}

interface StoredTopic {
  name: string
  topicId: string
  partitions: StoredPartition[]
  configs: Record<string, string>
}

/** Version 1 kept only replica lists; the leader was the first replica, in epoch 0, all in sync. */
interface StoredTopicV1 {
  name: string
  topicId: string
  replicas: number[][]
  configs: Record<string, string>
}

interface StoredState {
  version: number
  clusterId: string
  topics: StoredTopic[]
  /** '' holds the cluster-wide default, otherwise the node id. */
  brokerConfigs: Record<string, Record<string, string>>
  /** The first producer id not yet handed out (absent: 0). */
  nextProducerId?: number
  /** ACLs (absent: none). */
  acls?: AclBinding[]
  /** Client quotas by entityKey (absent: none). */
  clientQuotas?: Record<string, Record<string, number>>
  /** SCRAM credentials by user, then mechanism (absent: none). */
  scramCredentials?: Record<string, Record<string, StoredScramCredential>>
}

export interface LocalStoreOptions {
  /** Directory holding the metadata file (the first log dir). */
  dir: string
  /** cluster.id from the config; empty means: keep the stored one, or generate one. */
  clusterId?: string
  /** This broker, as clients should reach it (read on every call: ports are known only after listen). */
  self: () => BrokerInfo
  logger?: Pick<Logger, 'error'>
  /** Test hooks: `metadata.write` (detail: the file path) fails the next write of the file. */
  faults?: FaultHooks
}

export class LocalMetadataStore implements MetadataStore {
  readonly clusterId: string
  /** False when no metadata file existed (a fresh dir, or one written before the store). */
  readonly existed: boolean
  private readonly path: string
  private readonly self: () => BrokerInfo
  private logger: Pick<Logger, 'error'> | undefined
  private faults: FaultHooks | undefined
  private readonly byName = new Map<string, TopicInfo>()
  private readonly byId = new Map<string, TopicInfo>()
  private readonly byCollisionKey = new Map<string, string>()
  private brokerOverrides: Record<string, Record<string, string>> = {}
  private quotas = new Map<string, { entity: QuotaEntity; values: Record<string, number> }>()
  private nextProducerId = 0
  private aclMap = new Map<string, AclBinding>()
  /** Replaced, never changed in place: snapshots share it. */
  private scram: ScramTable = new Map()
  /** Brokers registered besides this one (tests of leadership changes register others). */
  private readonly others = new Map<number, BrokerInfo>()
  private readonly listeners = new Set<(c: MetadataChange) => void>()
  /** Serialises mutations so the file is written in the order changes were made. */
  private chain: Promise<unknown> = Promise.resolve()

  private constructor(path: string, clusterId: string, existed: boolean, self: () => BrokerInfo) {
    this.path = path
    this.clusterId = clusterId
    this.existed = existed
    this.self = self
  }

  static async open(options: LocalStoreOptions): Promise<LocalMetadataStore> {
    await mkdir(options.dir, { recursive: true })
    const path = join(options.dir, METADATA_FILE)
    let state: StoredState | undefined
    try {
      state = parseState(await readFile(path, 'utf8'), path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    if (state && options.clusterId && state.clusterId !== options.clusterId) {
      throw new Error(`${path} belongs to cluster ${state.clusterId}, but cluster.id is ${options.clusterId}; point log.dirs elsewhere or fix cluster.id`)
    }
    // Without a metadata file (a lost file, or data from before the store) the log dir's
    // meta.properties may already name the cluster; a new random id would make the log dir
    // refuse to open, and the logs could never be adopted.
    const fromLogDir = state || options.clusterId ? undefined : (await readMetaProperties(join(options.dir, META_PROPERTIES_FILE)))?.['cluster.id']
    const store = new LocalMetadataStore(path, state?.clusterId ?? (options.clusterId || fromLogDir || randomUuid()), state !== undefined, options.self)
    store.logger = options.logger
    store.faults = options.faults
    if (state) {
      for (const t of state.topics) store.index(store.toInfo(t))
      store.brokerOverrides = state.brokerConfigs
      store.nextProducerId = state.nextProducerId ?? 0
      for (const b of state.acls ?? []) store.aclMap.set(bindingKey(b), b)
      store.quotas = quotaMap(state.clientQuotas ?? {}, path)
      store.scram = scramTable(state.scramCredentials ?? {}, path)
    } else {
      await store.persist()
    }
    return store
  }

  // ---- view ------------------------------------------------------------------------------

  controllerId(): number {
    return this.self().nodeId
  }
  brokers(): BrokerInfo[] {
    return [this.self(), ...this.others.values()].sort((a, b) => a.nodeId - b.nodeId)
  }
  topics(): Iterable<TopicInfo> {
    return this.byName.values()
  }
  topic(name: string): TopicInfo | undefined {
    return this.byName.get(name)
  }
  topicById(id: string): TopicInfo | undefined {
    return this.byId.get(id)
  }
  brokerConfigs(nodeId: number | null): Readonly<Record<string, string>> {
    return this.brokerOverrides[nodeId === null ? '' : String(nodeId)] ?? {}
  }

  clientQuotas(): QuotaTable {
    return this.quotas
  }

  scramCredentials(): ScramTable {
    return this.scram
  }

  scramCredential(user: string, mechanism: ScramMechanismName): ScramCredential | undefined {
    return this.scram.get(user)?.get(mechanism)
  }

  // ---- changes ---------------------------------------------------------------------------

  registerBroker(broker: BrokerInfo): Promise<void> {
    return this.mutate(() => {
      if (broker.nodeId === this.self().nodeId || this.others.has(broker.nodeId)) {
        throw new KafkaError('DUPLICATE_BROKER_REGISTRATION', `Broker ${broker.nodeId} is already registered.`)
      }
      this.others.set(broker.nodeId, { ...broker })
      this.refreshOffline(broker.nodeId)
      return { result: undefined, change: { type: 'brokerRegistered', broker: { ...broker } } }
    }, { persist: false })
  }

  unregisterBroker(nodeId: number): Promise<void> {
    return this.mutate(() => {
      const b = this.others.get(nodeId)
      if (!b) throw new KafkaError('BROKER_ID_NOT_REGISTERED', `Broker ${nodeId} is not registered${nodeId === this.self().nodeId ? ' (a broker cannot unregister itself from its own store)' : ''}.`)
      this.others.delete(nodeId)
      this.refreshOffline(nodeId)
      return { result: undefined, change: { type: 'brokerUnregistered', broker: b } }
    }, { persist: false })
  }

  createTopic(spec: NewTopic): Promise<TopicInfo> {
    return this.mutate(() => {
      if (this.byName.has(spec.name)) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${spec.name}' already exists.`)
      const clash = this.byCollisionKey.get(collisionKey(spec.name))
      if (clash !== undefined) {
        throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Topic '${spec.name}' collides with existing topic '${clash}' ('.' and '_' are treated alike).`)
      }
      if (spec.topicId !== undefined && this.byId.has(spec.topicId)) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic id ${spec.topicId} is taken.`)
      const t = this.toInfo({ name: spec.name, topicId: spec.topicId ?? this.newTopicId(), partitions: spec.assignments.map((r) => this.newPartition(r)), configs: { ...spec.configs } })
      this.index(t)
      return { result: t, change: { type: 'topicCreated', topic: t } }
    })
  }

  /** A new partition's state: the first live replica leads, the live replicas are in sync (KRaft's rule). */
  private newPartition(replicas: number[]): StoredPartition {
    if (replicas.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'A partition needs at least one replica.')
    const live = new Set(this.brokers().map((b) => b.nodeId))
    const isr = replicas.filter((r) => live.has(r))
    return { replicas: [...replicas], leader: isr[0] ?? -1, leaderEpoch: 0, partitionEpoch: 0, isr }
  }

  deleteTopic(name: string): Promise<TopicInfo> {
    return this.mutate(() => {
      const t = this.byName.get(name)
      if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`)
      this.byName.delete(name)
      this.byId.delete(t.topicId)
      this.byCollisionKey.delete(collisionKey(name))
      return { result: t, change: { type: 'topicDeleted', topic: t } }
    })
  }

  createPartitions(name: string, total: number, assignments: number[][]): Promise<TopicInfo> {
    return this.mutate(() => {
      const t = this.byName.get(name)
      if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`)
      const from = t.partitions.length
      if (total <= from) {
        throw new KafkaError('INVALID_PARTITIONS', `Topic '${name}' has ${from} partitions; the new count must be larger, got ${total}.`)
      }
      if (assignments.length !== total - from) {
        throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Adding ${total - from} partition(s) needs as many replica lists, got ${assignments.length}.`)
      }
      const stored = this.stored(t)
      const updated = this.toInfo({ ...stored, partitions: [...stored.partitions, ...assignments.map((r) => this.newPartition(r))] })
      this.index(updated)
      return { result: updated, change: { type: 'partitionsCreated', topic: updated, from } }
    })
  }

  alterPartition(change: PartitionChange): Promise<PartitionInfo> {
    return this.mutate(() => {
      const t = this.byName.get(change.topic)
      const current = t?.partitions[change.partition]
      if (!t || !current) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Partition ${change.topic}-${change.partition} does not exist.`)
      const next = this.withOffline(checkPartitionChange(change, current))
      const partitions = [...t.partitions]
      partitions[change.partition] = next
      const updated: TopicInfo = { ...t, partitions }
      this.index(updated)
      return { result: next, change: { type: 'partitionChanged', topic: updated, partition: next, previous: current } }
    })
  }

  setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicInfo> {
    return this.mutate(() => {
      const t = this.byName.get(name)
      if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`)
      const updated: TopicInfo = { ...t, configs: { ...configs } }
      this.index(updated)
      return { result: updated, change: { type: 'topicConfigChanged', topic: updated } }
    })
  }

  setBrokerConfigs(nodeId: number | null, configs: Record<string, string>): Promise<void> {
    return this.mutate(() => {
      const key = nodeId === null ? '' : String(nodeId)
      if (Object.keys(configs).length === 0) delete this.brokerOverrides[key]
      else this.brokerOverrides[key] = { ...configs }
      return { result: undefined, change: { type: 'brokerConfigChanged', nodeId } }
    })
  }

  acls(): readonly AclBinding[] {
    return [...this.aclMap.values()]
  }

  createAcls(bindings: readonly AclBinding[]): Promise<void> {
    return this.mutate(() => {
      checkAclCount(bindings.length)
      const added: AclBinding[] = []
      for (const b of bindings) {
        const key = bindingKey(b)
        if (this.aclMap.has(key)) continue
        this.aclMap.set(key, structuredClone(b))
        added.push(b)
      }
      return { result: undefined, change: { type: 'aclsChanged', added, removed: [] } }
    })
  }

  deleteAcls(bindings: readonly AclBinding[]): Promise<AclBinding[]> {
    return this.mutate(() => {
      checkAclCount(bindings.length)
      const removed: AclBinding[] = []
      for (const b of bindings) {
        const key = bindingKey(b)
        const had = this.aclMap.get(key)
        if (!had) continue
        this.aclMap.delete(key)
        removed.push(had)
      }
      return { result: removed, change: { type: 'aclsChanged', added: [], removed } }
    })
  }

  alterClientQuotas(entity: QuotaEntity, changes: Readonly<Record<string, number | null>>): Promise<void> {
    return this.mutate(() => {
      const key = entityKey(entity)
      const values = { ...this.quotas.get(key)?.values }
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) delete values[k]
        else values[k] = v
      }
      // A new map: readers holding the old one (and restore()) keep a consistent view.
      const next = new Map(this.quotas)
      if (Object.keys(values).length === 0) next.delete(key)
      else next.set(key, { entity: { ...entity }, values })
      this.quotas = next
      return { result: undefined, change: { type: 'clientQuotasChanged', entity: { ...entity } } }
    })
  }

  alterScramCredentials(user: string, changes: ReadonlyMap<ScramMechanismName, ScramCredential | null>): Promise<void> {
    return this.mutate(() => {
      const mechs = new Map(this.scram.get(user))
      for (const [mechanism, credential] of changes) {
        if (credential === null) {
          if (!mechs.delete(mechanism)) throw new KafkaError('RESOURCE_NOT_FOUND', 'Attempt to delete a user credential that does not exist')
        } else {
          mechs.set(mechanism, { ...credential })
        }
      }
      const next = new Map(this.scram)
      if (mechs.size === 0) next.delete(user)
      else next.set(user, mechs)
      this.scram = next
      return { result: undefined, changes: [...changes.keys()].map((mechanism) => ({ type: 'scramCredentialChanged' as const, user, mechanism })) }
    })
  }

  async allocateProducerIds(count: number): Promise<ProducerIdBlock> {
    if (!Number.isSafeInteger(count) || count < 1) throw new KafkaError('INVALID_REQUEST', `Cannot allocate ${count} producer ids.`)
    const run = async (): Promise<ProducerIdBlock> => {
      const first = this.nextProducerId
      // Producer ids are int64 on the wire; the file keeps a JSON number, exact below 2^53.
      if (first + count > Number.MAX_SAFE_INTEGER) throw new KafkaError('UNKNOWN_SERVER_ERROR', 'Producer ids are exhausted.')
      this.nextProducerId = first + count
      try {
        await this.persist()
      } catch (err) {
        this.nextProducerId = first
        throw new KafkaError('KAFKA_STORAGE_ERROR', `cannot write ${this.path}: ${(err as Error).message}; no producer ids were allocated`)
      }
      return { firstProducerId: BigInt(first), count }
    }
    const p = this.chain.then(run, run)
    this.chain = p.catch(() => undefined)
    return p
  }

  subscribe(listener: (change: MetadataChange) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined)
  }

  // ---- internals -------------------------------------------------------------------------

  /**
   * Decides the change with `fn` on the in-memory state, puts the state from before back while
   * the file is written, and shows the new one only once it is durable, then notifies listeners:
   * memory never runs ahead of disk, and a change whose write fails (a full disk) was never seen.
   */
  private mutate<T>(fn: () => { result: T; change: MetadataChange } | { result: T; changes: MetadataChange[] }, options: { persist: boolean } = { persist: true }): Promise<T> {
    const run = async (): Promise<T> => {
      const before = this.snapshot()
      const outcome = fn()
      if (options.persist) {
        // Readers keep seeing the durable state while the file is written: the new state is
        // decided, written, and only then shown, so a change that fails was never visible.
        const after = this.snapshot()
        const state = this.serialize()
        this.restore(before)
        try {
          await this.writeState(state)
        } catch (err) {
          throw new KafkaError('KAFKA_STORAGE_ERROR', `cannot write ${this.path}: ${(err as Error).message}; nothing was changed: free space on that disk (or fix it) and retry`)
        }
        this.restore(after)
      }
      // The change is durable: a listener's failure must neither undo it nor starve the others.
      for (const change of 'change' in outcome ? [outcome.change] : outcome.changes) {
        for (const l of this.listeners) {
          try {
            l(change)
          } catch (err) {
            this.logger?.error('metadata change listener failed', { change: change.type, error: (err as Error).message })
          }
        }
      }
      return outcome.result
    }
    const p = this.chain.then(run, run)
    this.chain = p.catch(() => undefined)
    return p
  }

  private persist(): Promise<void> {
    return this.writeState(this.serialize())
  }

  private serialize(): StoredState {
    return {
      version: FORMAT_VERSION,
      clusterId: this.clusterId,
      topics: [...this.byName.values()].map((t) => this.stored(t)),
      brokerConfigs: structuredClone(this.brokerOverrides),
      ...(this.nextProducerId > 0 ? { nextProducerId: this.nextProducerId } : {}),
      ...(this.aclMap.size > 0 ? { acls: [...this.aclMap.values()] } : {}),
      ...(this.quotas.size > 0 ? { clientQuotas: Object.fromEntries([...this.quotas].map(([k, q]) => [k, { ...q.values }])) } : {}),
      ...(this.scram.size > 0 ? { scramCredentials: Object.fromEntries([...this.scram].map(([u, ms]) => [u, Object.fromEntries([...ms].map(([m, c]) => [m, encodeScramCredential(c)]))])) } : {}),
    }
  }

  private async writeState(state: StoredState): Promise<void> {
    try {
      this.faults?.check('metadata.write', this.path)
      await writeFileAtomic(this.path, JSON.stringify(state, null, 1) + '\n', { fsync: true })
    } catch (err) {
      // The old file is intact (the new one is renamed over it only once complete); the partial
      // temp file would only take space on a disk that is likely full.
      await removeIfExists(`${this.path}.tmp`).catch(() => undefined)
      throw err
    }
  }

  private snapshot(): Snapshot {
    return { topics: [...this.byName.values()], broker: structuredClone(this.brokerOverrides), acls: new Map(this.aclMap), quotas: this.quotas, scram: this.scram }
  }

  private restore(s: Snapshot): void {
    this.aclMap = s.acls
    this.quotas = s.quotas
    this.scram = s.scram
    this.byName.clear()
    this.byId.clear()
    this.byCollisionKey.clear()
    for (const t of s.topics) this.index(t)
    this.brokerOverrides = s.broker
  }

  /** offlineReplicas: the replicas that are not registered brokers (as Metadata reports them). */
  private withOffline(p: PartitionInfo): PartitionInfo {
    const live = new Set(this.brokers().map((b) => b.nodeId))
    return { ...p, offlineReplicas: p.replicas.filter((r) => !live.has(r)) }
  }

  /** A broker came or went: the partitions naming it get their offline replicas again (no event: their state did not change). */
  private refreshOffline(nodeId: number): void {
    for (const t of [...this.byName.values()]) {
      if (!t.partitions.some((p) => p.replicas.includes(nodeId))) continue
      this.index({ ...t, partitions: t.partitions.map((p) => (p.replicas.includes(nodeId) ? this.withOffline(p) : p)) })
    }
  }

  private index(t: TopicInfo): void {
    const old = this.byName.get(t.name)
    if (old) this.byId.delete(old.topicId)
    this.byName.set(t.name, t)
    this.byId.set(t.topicId, t)
    this.byCollisionKey.set(collisionKey(t.name), t.name)
  }

  private newTopicId(): string {
    for (;;) {
      const id = randomUuid()
      if (!this.byId.has(id)) return id
    }
  }

  private stored(t: TopicInfo): StoredTopic {
    return {
      name: t.name,
      topicId: t.topicId,
      partitions: t.partitions.map((p) => ({
        replicas: p.replicas,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        isr: p.isr,
        ...(p.addingReplicas.length > 0 ? { addingReplicas: p.addingReplicas } : {}),
        ...(p.removingReplicas.length > 0 ? { removingReplicas: p.removingReplicas } : {}),
      })),
      configs: t.configs,
    }
  }

  private toInfo(s: StoredTopic): TopicInfo {
    const partitions: PartitionInfo[] = s.partitions.map((p, partition) => this.withOffline({
      partition,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      partitionEpoch: p.partitionEpoch,
      replicas: p.replicas,
      isr: p.isr,
      addingReplicas: p.addingReplicas ?? [],
      removingReplicas: p.removingReplicas ?? [],
      offlineReplicas: [],
    }))
    return { name: s.name, topicId: s.topicId, internal: isInternalTopic(s.name), partitions, configs: s.configs }
  }
}

function parseState(text: string, path: string): StoredState {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message}); restore it from a backup or remove it to rebuild topics from the logs`)
  }
  // JSON.parse('null') is null: reading .version from it would throw a bare TypeError.
  const s = (raw ?? {}) as Partial<StoredState>
  if ((s.version !== FORMAT_VERSION && s.version !== 1) || typeof s.clusterId !== 'string' || !Array.isArray(s.topics)) {
    throw new Error(`${path} has an unknown format (version ${String(s.version)}); this Samsa reads versions 1 and ${FORMAT_VERSION}`)
  }
  const topics = s.version === 1 ? (s.topics as unknown as StoredTopicV1[]).map(upgradeV1) : s.topics
  const nextProducerId = s.nextProducerId ?? 0
  // Guessing here could hand out producer ids already in use: their batches would be taken for another producer's.
  if (typeof nextProducerId !== 'number' || !Number.isSafeInteger(nextProducerId) || nextProducerId < 0) {
    throw new Error(`${path} has an invalid nextProducerId ${JSON.stringify(nextProducerId)}; restore the file from a backup`)
  }
  if (s.acls !== undefined && !Array.isArray(s.acls)) throw new Error(`${path} has invalid acls; restore the file from a backup`)
  return { version: FORMAT_VERSION, clusterId: s.clusterId, topics, brokerConfigs: s.brokerConfigs ?? {}, nextProducerId, ...(s.acls ? { acls: s.acls } : {}), ...(s.clientQuotas ? { clientQuotas: s.clientQuotas } : {}), ...(s.scramCredentials ? { scramCredentials: s.scramCredentials } : {}) }
}

interface Snapshot {
  topics: TopicInfo[]
  broker: Record<string, Record<string, string>>
  acls: Map<string, AclBinding>
  quotas: Map<string, { entity: QuotaEntity; values: Record<string, number> }>
  scram: ScramTable
}

/** The stored SCRAM credentials, refusing a file holding one this version cannot use (a login would silently fail). */
function scramTable(stored: Record<string, Record<string, StoredScramCredential>>, path: string): ScramTable {
  const out = new Map<string, Map<ScramMechanismName, ScramCredential>>()
  if (typeof stored !== 'object' || stored === null) throw new Error(`${path} has invalid scramCredentials; restore the file from a backup`)
  for (const [user, mechs] of Object.entries(stored)) {
    const m = new Map<ScramMechanismName, ScramCredential>()
    for (const [name, value] of Object.entries(mechs ?? {})) {
      const info = scramMechanism(name)
      const c = info ? decodeScramCredential(info, value) : undefined
      if (!info || !c) throw new Error(`${path} holds a SCRAM credential this Samsa cannot read (user ${JSON.stringify(user)}, ${JSON.stringify(name)}); restore the file from a backup`)
      m.set(info.name, c)
    }
    if (m.size > 0) out.set(user, m)
  }
  return out
}

/** The stored client quotas, refusing a file whose entity keys or values this version cannot read. */
function quotaMap(stored: Record<string, Record<string, number>>, path: string): Map<string, { entity: QuotaEntity; values: Record<string, number> }> {
  const out = new Map<string, { entity: QuotaEntity; values: Record<string, number> }>()
  for (const [key, values] of Object.entries(stored)) {
    const entity = parseEntityKey(key)
    if (!entity || typeof values !== 'object' || values === null || Object.values(values).some((v) => typeof v !== 'number')) {
      throw new Error(`${path} holds a client quota this Samsa cannot read (${JSON.stringify(key)}); restore the file from a backup`)
    }
    out.set(entityKey(entity), { entity, values: { ...values } })
  }
  return out
}

/** A version 1 topic as version 2 stores it: what version 1 derived at load, now written down. */
function upgradeV1(t: StoredTopicV1): StoredTopic {
  return { name: t.name, topicId: t.topicId, configs: t.configs, partitions: t.replicas.map((replicas) => ({ replicas, leader: replicas[0] ?? -1, leaderEpoch: 0, partitionEpoch: 0, isr: replicas })) }
}

function checkAclCount(n: number): void {
  if (n > MAX_ACLS_PER_CHANGE) throw new KafkaError('INVALID_REQUEST', `${n} ACLs in one change; at most ${MAX_ACLS_PER_CHANGE} are changed at once: send them in several requests`)
}
