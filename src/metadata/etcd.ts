/**
 * The cluster metadata store: MetadataStore on etcd (3.4+), through the `etcd3` client.
 * Key layout and stored JSON: etcd-layout.ts. The broker's lease: etcd-session.ts.
 *
 * Reads are synchronous, from a cache of the whole prefix: loaded by one range read at open and
 * kept current by a watch from that revision on (a watch cancelled by compaction reloads the
 * prefix and announces the difference). Every change, this broker's or another's, reaches the
 * cache through the watch and is announced to subscribers there, in revision order; so every
 * broker sees the same changes in the same order.
 *
 * Every mutation is one etcd transaction guarded by compares on what it was decided on (the
 * cached keys' revisions): decide from the cache, commit; when a compare fails, wait until the
 * cache has seen what changed and decide again (bounded). A mutation resolves once the cache
 * reflects its revision (read-your-writes) with its result as of that revision. So the checks
 * and error codes are LocalMetadataStore's, made against a cache that cannot be stale at commit.
 *
 * Mutations run one at a time per store in call order, except alterPartition (a CAS on its own
 * key: the controller's passes run many at once). While etcd is unreachable reads keep answering
 * from the cache and mutations fail within requestTimeoutMs with REQUEST_TIMED_OUT.
 *
 * Brokers register under this store's lease (one per broker process); the controller is the
 * broker whose lease holds `<prefix>/controller` (campaign()). A lost lease makes the keys
 * vanish everywhere (brokerUnregistered, controllerChanged); the store that lost it says so
 * (onSession) and registers again, and campaigns again, once etcd answers and the id is free.
 */
import { describeEntity, entityKey, parseEntityKey, type QuotaEntity } from '../broker/quotas/entity.js'
import type { QuotaTable } from '../broker/quotas/resolve.js'
import { CompareResult, CompareTarget, Etcd3, type ICompare, type IEvent, type IKeyValue, type IRequestOp, type Watcher } from 'etcd3'
import { ExponentialBackoff, noop, type IBackoff } from 'cockatiel'
import { KafkaError } from '../protocol/errors.js'
import { randomUuid } from '../protocol/primitives/uuid.js'
import { EtcdSession } from './etcd-session.js'
import {
  decodeAcl,
  decodeBroker,
  decodeConfigs,
  decodeQuotaValues,
  decodeController,
  decodeName,
  decodePartitionState,
  decodeTopic,
  encodeValue,
  EtcdLayout,
  type StoredName,
  type StoredPartitionState,
  type StoredTopic,
} from './etcd-layout.js'
import { checkPartitionChange } from './partition-change.js'
import { collisionKey, isInternalTopic } from './topic-name.js'
import { MAX_ACLS_PER_CHANGE, type MetadataChange, type MetadataStore, type NewTopic, type PartitionChange, type ProducerIdBlock, type ScramTable } from './store.js'
import { decodeScramCredential, encodeScramCredential, scramMechanism, type ScramCredential, type ScramMechanismName } from '../security/sasl/scram-credential.js'
import type { AclBinding } from '../security/authorizer/acl.js'
import type { BrokerInfo, PartitionInfo, TopicInfo } from './types.js'
import type { Logger } from '../util/logger.js'

export type SessionEvent = { state: 'lost'; reason: string } | { state: 'restored'; leaseId: string }

export interface EtcdStoreOptions {
  /** etcd client URLs, e.g. ['http://127.0.0.1:2379']. */
  endpoints: string[]
  /** Key prefix of this cluster, e.g. /samsa/prod. */
  prefix: string
  /** cluster.id from the config; empty: use the cluster's, or create one when the cluster is new. */
  clusterId?: string
  /** This broker, as clients reach it (read when it registers: ports are known only after listen). */
  self: () => BrokerInfo
  /** The lease TTL in whole seconds (>= 1): how long a broker that stopped answering stays registered. */
  leaseTtlSeconds: number
  /** Bound of each etcd request and of waiting for a change to come back through the watch; default 5000. */
  requestTimeoutMs?: number
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
  /** Told when this store's session (lease) is lost and when it has registered again. */
  onSession?: (event: SessionEvent) => void
}

/** How often a compare that failed is decided again before the mutation gives up. */
const MAX_ATTEMPTS = 10
/**
 * How soon a broken watch reconnects (cockatiel's default grows to 30 s, far past a session
 * timeout). etcd3 types the option as a backoff but calls it as a factory, as its default is.
 */
const WATCH_BACKOFF = new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }) as unknown as IBackoff<unknown>
/** Pause between attempts to register again after the session was lost. */
const REJOIN_INTERVAL_MS = 500

/** A watch event, or one made up by a reload. */
type KvEvent = Pick<IEvent, 'type' | 'kv'>

interface Cached<T> {
  modRevision: number
  createRevision: number
  lease: string
  value: T
}

interface Plan<T> {
  compare: ICompare[]
  success: IRequestOp[]
  /** The mutation's answer, computed when the cache has reached the transaction's revision. */
  result: () => T
  /** True once the cache shows a change to what was compared (a failed compare was decided on stale state). */
  stale: () => boolean
}

interface Waiter {
  ready: () => boolean
  resolve: () => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

export class EtcdMetadataStore implements MetadataStore {
  clusterId = ''
  existed = true
  readonly layout: EtcdLayout
  private readonly opts: EtcdStoreOptions
  private readonly client: Etcd3
  private readonly timeoutMs: number
  private readonly session: EtcdSession
  private watcher: Watcher | undefined
  /** The revision the cache reflects. */
  private revision = 0

  // Raw cache of the prefix.
  private readonly rawTopics = new Map<string, Cached<StoredTopic>>()
  private readonly rawNames = new Map<string, Cached<StoredName>>()
  private readonly rawPartitions = new Map<string, Map<number, Cached<StoredPartitionState>>>()
  private readonly rawBrokers = new Map<number, Cached<BrokerInfo>>()
  private rawController: Cached<{ nodeId: number }> | undefined
  private readonly rawBrokerConfigs = new Map<string, Cached<Record<string, string>>>()
  private readonly rawAcls = new Map<string, Cached<AclBinding>>()
  private readonly rawQuotas = new Map<string, Cached<Record<string, number>>>()
  /** SCRAM credentials by etcd key, with the view by user (rebuilt, a new map, when one changes). */
  private readonly rawScram = new Map<string, Cached<ScramCredential>>()
  private scramView: ScramTable = new Map()
  /** The client quota view, rebuilt (a new map) when a quota changes. */
  private quotaView = new Map<string, { entity: QuotaEntity; values: Record<string, number> }>()
  // What the view serves, rebuilt from the raw cache as it changes (new objects on each change).
  private readonly byName = new Map<string, TopicInfo>()
  private readonly byId = new Map<string, TopicInfo>()

  private readonly listeners = new Set<(c: MetadataChange) => void>()
  private waiters: Waiter[] = []
  private chain: Promise<unknown> = Promise.resolve()
  /** Brokers registered through this store, registered again after a lost session. */
  private readonly registered = new Map<number, BrokerInfo>()
  private campaigning = false
  private electing: Promise<void> | undefined
  private rejoinTimer: NodeJS.Timeout | undefined
  private closed = false

  private constructor(opts: EtcdStoreOptions) {
    this.opts = opts
    this.layout = new EtcdLayout(opts.prefix)
    this.timeoutMs = opts.requestTimeoutMs ?? 5000
    if (opts.endpoints.length === 0) throw new Error('etcd.endpoints is empty: set it to the etcd client URLs, e.g. http://127.0.0.1:2379')
    if (!Number.isInteger(opts.leaseTtlSeconds) || opts.leaseTtlSeconds < 1) throw new Error(`the etcd lease TTL must be a whole number of seconds >= 1, got ${opts.leaseTtlSeconds}`)
    this.client = new Etcd3({
      hosts: opts.endpoints,
      dialTimeout: this.timeoutMs,
      // Every unary call is bounded; streams (watch, keepalive) are not.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + this.timeoutMs }),
      // No retries inside the client: a retried transaction whose first try did apply would
      // fail its compares and be answered as someone else's change. No circuit breaker: it
      // would refuse calls for seconds after etcd is back.
      faultHandling: { host: () => noop, global: noop, watchBackoff: WATCH_BACKOFF },
      grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
    })
    this.session = new EtcdSession({ client: this.client, ttlSeconds: opts.leaseTtlSeconds, requestTimeoutMs: this.timeoutMs, onLost: (reason) => this.sessionLost(reason) })
  }

  /**
   * Connects, settles the cluster id (created by the first broker of the cluster; cluster.id,
   * if set, must match), loads the prefix and starts the watch. Throws a clear Error when
   * etcd cannot be reached within the request timeout.
   */
  static async open(opts: EtcdStoreOptions): Promise<EtcdMetadataStore> {
    const store = new EtcdMetadataStore(opts)
    try {
      await store.settleClusterId()
      await store.load()
    } catch (err) {
      await store.close()
      if (err instanceof KafkaError || (err as Error).message.includes('cluster.id')) throw err
      throw new Error(`cannot open the metadata in etcd at ${opts.endpoints.join(',')} (prefix ${store.layout.prefix}): ${(err as Error).message}; check that etcd is running there and etcd.endpoints is right`)
    }
    return store
  }

  private async settleClusterId(): Promise<void> {
    const key = Buffer.from(this.layout.clusterId)
    const wanted = this.opts.clusterId || randomUuid()
    const res = await this.client.kv.txn({
      compare: [{ key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
      success: [{ request_put: { key, value: Buffer.from(wanted) } }],
      failure: [{ request_range: { key } }],
    })
    if (res.succeeded) {
      this.clusterId = wanted
      this.existed = false
      return
    }
    const stored = res.responses[0]?.response_range?.kvs[0]?.value.toString('utf8') ?? ''
    if (this.opts.clusterId && stored !== this.opts.clusterId) {
      throw new Error(`the cluster at ${this.layout.prefix} in etcd has cluster id ${stored}, but cluster.id is ${this.opts.clusterId}; fix cluster.id, or use another etcd.prefix for a new cluster`)
    }
    this.clusterId = stored
  }

  // ---- view ------------------------------------------------------------------------------

  controllerId(): number {
    const c = this.rawController
    // Only a registered broker is a controller clients may be told of (kafkajs waits otherwise).
    return c && this.rawBrokers.get(c.value.nodeId)?.lease === c.lease ? c.value.nodeId : -1
  }
  brokers(): BrokerInfo[] {
    return [...this.rawBrokers.values()].map((b) => b.value).sort((a, b) => a.nodeId - b.nodeId)
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
    return this.rawBrokerConfigs.get(configKey(nodeId))?.value ?? {}
  }
  clientQuotas(): QuotaTable {
    return this.quotaView
  }
  scramCredentials(): ScramTable {
    return this.scramView
  }
  scramCredential(user: string, mechanism: ScramMechanismName): ScramCredential | undefined {
    return this.scramView.get(user)?.get(mechanism)
  }
  /** The lease of this store's session while it is alive (tests revoke it to simulate a lost broker). */
  get leaseId(): string | undefined {
    return this.session.leaseId
  }

  // ---- brokers and the controller --------------------------------------------------------

  registerBroker(broker: BrokerInfo): Promise<void> {
    return this.serial(async () => {
      await this.register(broker)
      this.registered.set(broker.nodeId, { ...broker })
    })
  }

  private async register(broker: BrokerInfo): Promise<void> {
    const lease = await this.etcd('register the broker', () => this.session.grant())
    const key = this.layout.broker(broker.nodeId)
    const value = encodeValue(`broker ${broker.nodeId}`, broker)
    await this.commit(`register broker ${broker.nodeId}`, () => {
      const held = this.rawBrokers.get(broker.nodeId)
      if (held) {
        const how = held.lease === lease ? 'by this broker' : held.lease === this.session.staleLeaseId ? "by this broker's previous session, until etcd expires it" : 'by another live broker'
        throw new KafkaError('DUPLICATE_BROKER_REGISTRATION', `Broker ${broker.nodeId} is already registered ${how} (${held.value.host}:${held.value.port}); each broker needs its own broker.id.`)
      }
      return { compare: [absent(key)], success: [put(key, value, lease)], result: () => undefined, stale: this.changed(key) }
    })
  }

  unregisterBroker(nodeId: number): Promise<void> {
    return this.serial(async () => {
      // Taken out first, so the deletion coming back through the watch is not a lost session.
      const mine = this.registered.get(nodeId)
      this.registered.delete(nodeId)
      const key = this.layout.broker(nodeId)
      try {
        await this.commit(`unregister broker ${nodeId}`, () => {
          const held = this.rawBrokers.get(nodeId)
          if (!held) throw new KafkaError('BROKER_ID_NOT_REGISTERED', `Broker ${nodeId} is not registered.`)
          if (held.lease !== this.session.leaseId) throw new KafkaError('BROKER_ID_NOT_REGISTERED', `Broker ${nodeId} is registered by another broker's session, not this one; stop that broker instead.`)
          return { compare: [modIs(key, held.modRevision)], success: [del(key)], result: () => undefined, stale: this.changed(key) }
        })
      } catch (err) {
        if (mine && this.rawBrokers.get(nodeId)?.lease === this.session.leaseId) this.registered.set(nodeId, mine)
        throw err
      }
    })
  }

  /**
   * Joins the controller election: holds `<prefix>/controller` under this store's lease while
   * it can, and tries again whenever the key is free. Call after registering this broker.
   * controllerChanged events tell who holds it.
   */
  campaign(): Promise<void> {
    this.campaigning = true
    return this.elect()
  }

  /** Gives up the controller role (if held) and stops campaigning. */
  async resign(): Promise<void> {
    this.campaigning = false
    const c = this.rawController
    if (!c || c.lease !== this.session.leaseId) return
    const key = Buffer.from(this.layout.controller)
    await this.etcd('resign as controller', () => this.client.kv.txn({ compare: [{ key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: c.modRevision }], success: [{ request_delete_range: { key } }] }))
  }

  private elect(): Promise<void> {
    this.electing ??= this.tryElect().finally(() => (this.electing = undefined))
    return this.electing
  }

  private async tryElect(): Promise<void> {
    if (!this.campaigning || this.closed || this.rawController) return
    const nodeId = this.opts.self().nodeId
    const lease = this.session.leaseId
    if (lease === undefined || this.rawBrokers.get(nodeId)?.lease !== lease) return
    const key = this.layout.controller
    const res = await this.etcd('claim the controller', () => this.client.kv.txn({ compare: [absent(key)], success: [put(key, Buffer.from(JSON.stringify({ nodeId })), lease)] }))
    // Won or lost, the watch brings the holder; losing is normal (another broker got there first).
    if (res.succeeded) await this.caughtUp(Number(res.header.revision), () => undefined)
  }

  private sessionLost(reason: string): void {
    if (this.closed) return
    this.opts.logger?.warn('etcd session lost: this broker is no longer registered and not controller; registering again when etcd answers', { reason, brokers: [...this.registered.keys()] })
    this.opts.onSession?.({ state: 'lost', reason })
    this.scheduleRejoin()
  }

  private scheduleRejoin(): void {
    if (this.closed || this.rejoinTimer) return
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = undefined
      this.serial(() => this.rejoin()).catch((err: Error) => {
        this.opts.logger?.warn('registering again with etcd failed; retrying', { error: err.message })
        this.scheduleRejoin()
      })
    }, REJOIN_INTERVAL_MS)
    this.rejoinTimer.unref()
  }

  private async rejoin(): Promise<void> {
    if (this.closed || this.registered.size === 0) return
    // Our old keys may outlive the lost session until etcd expires its lease; revoking it frees them now.
    await this.session.revokeStale().catch(() => undefined)
    for (const b of this.registered.values()) {
      if (this.rawBrokers.get(b.nodeId)?.lease === this.session.leaseId && this.session.leaseId !== undefined) continue
      await this.register(b)
    }
    const lease = this.session.leaseId!
    this.opts.logger?.info('registered with etcd again', { brokers: [...this.registered.keys()], lease })
    this.opts.onSession?.({ state: 'restored', leaseId: lease })
    if (this.campaigning) await this.elect()
  }

  // ---- topics ----------------------------------------------------------------------------

  createTopic(spec: NewTopic): Promise<TopicInfo> {
    return this.serial(() =>
      this.commit(`create topic ${spec.name}`, () => {
        const ck = collisionKey(spec.name)
        const clash = this.rawNames.get(ck)
        if (this.byName.has(spec.name) || clash?.value.name === spec.name) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${spec.name}' already exists.`)
        if (clash) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Topic '${spec.name}' collides with existing topic '${clash.value.name}' ('.' and '_' are treated alike).`)
        if (spec.topicId !== undefined && (this.byId.has(spec.topicId) || this.rawTopics.has(spec.topicId))) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic id ${spec.topicId} is taken.`)
        const topicId = spec.topicId ?? this.newTopicId()
        const stored: StoredTopic = { name: spec.name, configs: { ...spec.configs }, replicas: [], isr: [] }
        for (const r of spec.assignments) this.addPartition(stored, r)
        const topicKey = this.layout.topic(topicId)
        const nameKey = this.layout.name(ck)
        return {
          compare: [absent(topicKey), absent(nameKey)],
          success: [put(topicKey, encodeValue(`topic ${spec.name}`, stored)), put(nameKey, encodeValue('a topic name', { name: spec.name, topicId }))],
          result: () => this.byId.get(topicId)!,
          stale: this.changed(topicKey, nameKey),
        }
      }),
    )
  }

  /** A new partition: the live replicas are in sync and the first of them leads (KRaft's rule). */
  private addPartition(t: StoredTopic, replicas: number[]): void {
    if (replicas.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'A partition needs at least one replica.')
    // The broker creating the topic is alive even before it has registered (it adopts its logs first).
    const live = new Set([...this.rawBrokers.keys(), this.opts.self().nodeId])
    t.replicas.push([...replicas])
    t.isr.push(replicas.filter((r) => live.has(r)))
  }

  deleteTopic(name: string): Promise<TopicInfo> {
    return this.serial(() =>
      this.commit(`delete topic ${name}`, () => {
        const t = this.byName.get(name)
        if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`)
        const topicKey = this.layout.topic(t.topicId)
        const nameKey = this.layout.name(collisionKey(name))
        const raw = this.rawTopics.get(t.topicId)!
        const rawName = this.rawNames.get(collisionKey(name))!
        return {
          compare: [modIs(topicKey, raw.modRevision), modIs(nameKey, rawName.modRevision)],
          success: [del(topicKey), del(nameKey), delPrefix(this.layout.partitions(t.topicId))],
          result: () => t,
          stale: this.changed(topicKey, nameKey),
        }
      }),
    )
  }

  createPartitions(name: string, total: number, assignments: number[][]): Promise<TopicInfo> {
    return this.serial(() =>
      this.commit(`create partitions of ${name}`, () => {
        const t = this.byName.get(name)
        if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`)
        const from = t.partitions.length
        if (total <= from) throw new KafkaError('INVALID_PARTITIONS', `Topic '${name}' has ${from} partitions; the new count must be larger, got ${total}.`)
        if (assignments.length !== total - from) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Adding ${total - from} partition(s) needs as many replica lists, got ${assignments.length}.`)
        const raw = this.rawTopics.get(t.topicId)!
        const stored: StoredTopic = { ...raw.value, replicas: [...raw.value.replicas], isr: [...raw.value.isr] }
        for (const r of assignments) this.addPartition(stored, r)
        const key = this.layout.topic(t.topicId)
        return { compare: [modIs(key, raw.modRevision)], success: [put(key, encodeValue(`topic ${name}`, stored))], result: () => this.byId.get(t.topicId)!, stale: this.changed(key) }
      }),
    )
  }

  setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicInfo> {
    return this.serial(() =>
      this.commit(`set configs of topic ${name}`, () => {
        const t = this.byName.get(name)
        if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`)
        const raw = this.rawTopics.get(t.topicId)!
        const key = this.layout.topic(t.topicId)
        const stored: StoredTopic = { ...raw.value, configs: { ...configs } }
        return { compare: [modIs(key, raw.modRevision)], success: [put(key, encodeValue(`topic ${name}`, stored))], result: () => this.byId.get(t.topicId)!, stale: this.changed(key) }
      }),
    )
  }

  setBrokerConfigs(nodeId: number | null, configs: Record<string, string>): Promise<void> {
    return this.serial(() =>
      this.commit(`set broker configs of ${nodeId ?? 'the cluster default'}`, () => {
        const key = this.layout.brokerConfig(nodeId)
        const raw = this.rawBrokerConfigs.get(configKey(nodeId))
        const guard = raw ? modIs(key, raw.modRevision) : absent(key)
        const op = Object.keys(configs).length === 0 ? del(key) : put(key, encodeValue('broker configs', configs))
        return { compare: [guard], success: [op], result: () => undefined, stale: this.changed(key) }
      }),
    )
  }

  acls(): readonly AclBinding[] {
    return [...this.rawAcls.values()].map((c) => c.value)
  }

  /** One transaction: every new ACL's key must still be absent, so a create either lands whole or is decided again. */
  async createAcls(bindings: readonly AclBinding[]): Promise<void> {
    checkAclCount(bindings.length)
    return this.serial(() =>
      this.commit('create ACLs', () => {
        const keys = [...new Map(bindings.map((b) => [this.layout.acl(b), b])).entries()].filter(([k]) => !this.rawAcls.has(k))
        return {
          compare: keys.map(([k]) => absent(k)),
          success: keys.map(([k, b]) => put(k, encodeValue('an ACL', b))),
          result: () => undefined,
          stale: this.changed(...keys.map(([k]) => k)),
        }
      }),
    )
  }

  async deleteAcls(bindings: readonly AclBinding[]): Promise<AclBinding[]> {
    checkAclCount(bindings.length)
    return this.serial(() =>
      this.commit('delete ACLs', () => {
        const present = bindings.map((b) => ({ key: this.layout.acl(b), raw: this.rawAcls.get(this.layout.acl(b)) })).filter((x) => x.raw !== undefined)
        const unique = [...new Map(present.map((x) => [x.key, x])).values()]
        return {
          compare: unique.map((x) => modIs(x.key, x.raw!.modRevision)),
          success: unique.map((x) => del(x.key)),
          result: () => unique.map((x) => x.raw!.value),
          stale: this.changed(...unique.map((x) => x.key)),
        }
      }),
    )
  }

  alterClientQuotas(entity: QuotaEntity, changes: Readonly<Record<string, number | null>>): Promise<void> {
    const ek = entityKey(entity)
    return this.serial(() =>
      this.commit(`alter the client quotas of ${describeEntity(entity)}`, () => {
        const key = this.layout.clientQuota(ek)
        const raw = this.rawQuotas.get(ek)
        const values = { ...raw?.value }
        for (const [k, v] of Object.entries(changes)) {
          if (v === null) delete values[k]
          else values[k] = v
        }
        const guard = raw ? modIs(key, raw.modRevision) : absent(key)
        const op = Object.keys(values).length === 0 ? del(key) : put(key, encodeValue('client quotas', values))
        return { compare: [guard], success: [op], result: () => undefined, stale: this.changed(key) }
      }),
    )
  }

  /** One transaction over the user's keys, each guarded by the revision it was decided on. */
  alterScramCredentials(user: string, changes: ReadonlyMap<ScramMechanismName, ScramCredential | null>): Promise<void> {
    return this.serial(() =>
      this.commit(`alter the SCRAM credentials of user ${user}`, () => {
        const keys = [...changes].map(([mechanism, credential]) => ({ key: this.layout.scramCredential(user, mechanism), credential }))
        const compare: ICompare[] = []
        const success: IRequestOp[] = []
        for (const { key, credential } of keys) {
          const raw = this.rawScram.get(key)
          if (credential === null && !raw) throw new KafkaError('RESOURCE_NOT_FOUND', 'Attempt to delete a user credential that does not exist')
          compare.push(raw ? modIs(key, raw.modRevision) : absent(key))
          success.push(credential === null ? del(key) : put(key, encodeValue('a SCRAM credential', encodeScramCredential(credential))))
        }
        return { compare, success, result: () => undefined, stale: this.changed(...keys.map((k) => k.key)) }
      }),
    )
  }

  /**
   * A block of producer ids by compare-and-swap of the next free id (`<prefix>/producer-ids`),
   * read from etcd rather than the cache: every broker allocates from the one counter. A block
   * whose transaction timed out but was applied later is skipped, never handed out twice.
   */
  async allocateProducerIds(count: number): Promise<ProducerIdBlock> {
    if (!Number.isSafeInteger(count) || count < 1) throw new KafkaError('INVALID_REQUEST', `Cannot allocate ${count} producer ids.`)
    const key = this.layout.producerIds()
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (this.closed) throw new KafkaError('REQUEST_TIMED_OUT', 'cannot allocate producer ids: the metadata store is closed')
      const res = await this.etcd('read the next producer id', () => this.client.kv.range({ key: Buffer.from(key) }))
      const kv = res.kvs[0]
      const first = kv ? Number(kv.value.toString()) : 0
      if (!Number.isSafeInteger(first) || first < 0) throw new KafkaError('UNKNOWN_SERVER_ERROR', `${key} in etcd holds ${JSON.stringify(kv?.value.toString())}, not a producer id; fix or delete that key`)
      if (first + count > Number.MAX_SAFE_INTEGER) throw new KafkaError('UNKNOWN_SERVER_ERROR', 'Producer ids are exhausted.')
      const guard = kv ? modIs(key, Number(kv.mod_revision)) : absent(key)
      const done = await this.etcd('allocate producer ids', () => this.client.kv.txn({ compare: [guard], success: [put(key, Buffer.from(String(first + count)))] }))
      if (done.succeeded) return { firstProducerId: BigInt(first), count }
    }
    throw new KafkaError('REQUEST_TIMED_OUT', `cannot allocate producer ids: other brokers kept allocating (${MAX_ATTEMPTS} attempts); retry`)
  }

  alterPartition(change: PartitionChange): Promise<PartitionInfo> {
    const what = `${change.topic}-${change.partition}`
    return this.commit(`alter partition ${what}`, () => {
      const t = this.byName.get(change.topic)
      const current = t?.partitions[change.partition]
      if (!t || !current) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Partition ${what} does not exist.`)
      const next = checkPartitionChange(change, current)
      const key = this.layout.partition(t.topicId, change.partition)
      const topicKey = this.layout.topic(t.topicId)
      const raw = this.rawPartitions.get(t.topicId)?.get(change.partition)
      const initial = this.rawTopics.get(t.topicId)!.value.replicas[change.partition]!
      const state: StoredPartitionState = {
        ...(sameList(next.replicas, initial) ? {} : { replicas: next.replicas }),
        leader: next.leader,
        leaderEpoch: next.leaderEpoch,
        partitionEpoch: next.partitionEpoch,
        isr: next.isr,
        ...(next.addingReplicas.length > 0 ? { addingReplicas: next.addingReplicas } : {}),
        ...(next.removingReplicas.length > 0 ? { removingReplicas: next.removingReplicas } : {}),
      }
      return {
        // The partition's key unchanged (absent: still its initial state), and its topic not
        // deleted (a re-created topic has another id, so other keys).
        compare: [raw ? modIs(key, raw.modRevision) : absent(key), createIs(topicKey, this.rawTopics.get(t.topicId)!.createRevision)],
        success: [put(key, encodeValue(`partition ${what}`, state))],
        result: () => this.byId.get(t.topicId)?.partitions[change.partition] ?? next,
        stale: this.changed(key, topicKey),
      }
    })
  }

  subscribe(listener: (change: MetadataChange) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Revokes the lease (this broker's keys vanish at once everywhere), stops the watch, waits for mutations in flight. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.rejoinTimer)
    await this.chain.catch(() => undefined)
    await this.session.close()
    await this.watcher?.cancel().catch(() => undefined)
    for (const w of this.waiters) {
      clearTimeout(w.timer)
      w.reject(new KafkaError('REQUEST_TIMED_OUT', 'the metadata store was closed before the change came back from etcd'))
    }
    this.waiters = []
    this.client.close()
  }

  // ---- mutation machinery ----------------------------------------------------------------

  /** Runs `fn` after the mutations before it (call order, as LocalMetadataStore). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new KafkaError('REQUEST_TIMED_OUT', 'the metadata store is closed'))
    const p = this.chain.then(fn, fn)
    this.chain = p.catch(() => undefined)
    return p
  }

  /** Decide from the cache, commit with compares; on a failed compare, catch up and decide again. */
  private async commit<T>(what: string, decide: () => Plan<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new KafkaError('REQUEST_TIMED_OUT', `cannot ${what}: the metadata store is closed`)
      const plan = decide()
      const res = await this.etcd(what, () => this.client.kv.txn({ compare: plan.compare, success: plan.success }))
      const revision = Number(res.header.revision)
      if (res.succeeded) return this.caughtUp(revision, plan.result, what)
      if (attempt >= MAX_ATTEMPTS) throw new KafkaError('REQUEST_TIMED_OUT', `cannot ${what}: etcd kept changing under it (${attempt} attempts); retry`)
      // What failed the compare reaches the cache through the watch; decide again once it has.
      await this.until(() => plan.stale() || this.revision >= revision, what)
    }
  }

  /** A predicate that turns true once any of these keys changes in the cache. */
  private changed(...keys: string[]): () => boolean {
    const before = keys.map((k) => this.cachedRevision(k))
    return () => keys.some((k, i) => this.cachedRevision(k) !== before[i])
  }

  private cachedRevision(key: string): number {
    const k = this.layout.parse(key)
    if (!k) return 0
    switch (k.kind) {
      case 'topic':
        return this.rawTopics.get(k.topicId)?.modRevision ?? 0
      case 'name':
        return this.rawNames.get(k.collisionKey)?.modRevision ?? 0
      case 'partition':
        return this.rawPartitions.get(k.topicId)?.get(k.partition)?.modRevision ?? 0
      case 'broker':
        return this.rawBrokers.get(k.nodeId)?.modRevision ?? 0
      case 'brokerConfig':
        return this.rawBrokerConfigs.get(configKey(k.nodeId))?.modRevision ?? 0
      case 'clientQuota':
        return this.rawQuotas.get(k.entityKey)?.modRevision ?? 0
      case 'scram':
        return this.rawScram.get(key)?.modRevision ?? 0
      case 'controller':
        return this.rawController?.modRevision ?? 0
      case 'acl':
        return this.rawAcls.get(key)?.modRevision ?? 0
      case 'clusterId':
        return 0
    }
  }

  /** Resolves with `result()` computed at the moment the cache reaches `revision`. */
  private caughtUp<T>(revision: number, result: () => T, what = 'apply the change'): Promise<T> {
    let value: T
    return this.until(() => {
      if (this.revision < revision) return false
      value = result()
      return true
    }, what).then(() => value)
  }

  private until(ready: () => boolean, what: string): Promise<void> {
    if (ready()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        ready,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w)
          reject(new KafkaError('REQUEST_TIMED_OUT', `cannot ${what}: etcd accepted it but its watch did not bring it back within ${this.timeoutMs} ms (etcd unreachable?); the change may be applied: check before retrying`))
        }, this.timeoutMs),
      }
      this.waiters.push(w)
    })
  }

  /** An etcd call, its failure turned into a KafkaError that says what to do. */
  private async etcd<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (err) {
      if (err instanceof KafkaError) throw err
      throw new KafkaError('REQUEST_TIMED_OUT', `cannot ${what}: etcd at ${this.opts.endpoints.join(',')} did not answer (${(err as Error).message}); check that etcd is up and reachable, then retry (a change that timed out may still have been applied)`)
    }
  }

  private newTopicId(): string {
    for (;;) {
      const id = randomUuid()
      if (!this.byId.has(id) && !this.rawTopics.has(id)) return id
    }
  }

  // ---- the cache -------------------------------------------------------------------------

  /** Loads the prefix at one revision, then watches from the next; announces what differs from the cache (a reload). */
  private async load(): Promise<void> {
    const start = Buffer.from(this.layout.all)
    const res = await this.client.kv.range({ key: start, range_end: prefixEnd(start) })
    const revision = Number(res.header.revision)
    const seen = new Set(res.kvs.map((kv) => kv.key.toString('utf8')))
    // Keys the cache holds that are gone now: announced as deletes of the new revision.
    const gone: KvEvent[] = this.cachedKeys()
      .filter((k) => !seen.has(k))
      .map((k) => ({ type: 'Delete', kv: { key: Buffer.from(k), create_revision: '0', mod_revision: String(revision), version: '0', value: Buffer.alloc(0), lease: '0' } }))
    const present: KvEvent[] = res.kvs.filter((kv) => this.cachedRevision(kv.key.toString('utf8')) !== Number(kv.mod_revision)).map((kv) => ({ type: 'Put', kv }))
    this.applyRevision([...present, ...gone])
    this.revision = Math.max(this.revision, revision)
    this.release()
    this.watch(revision + 1)
  }

  private watch(from: number): void {
    const w = this.client.watch().prefix(this.layout.all).startRevision(String(from)).watcher()
    this.watcher = w
    w.on('data', (res) => {
      if (this.watcher !== w || this.closed) return
      try {
        this.applyResponse(res.events, Number(res.header.revision))
      } catch (err) {
        this.opts.logger?.error('applying a metadata change from etcd failed', { error: (err as Error).message })
      }
    })
    w.on('error', (err) => {
      // Cancelled by etcd, e.g. its start revision was compacted: what we missed is lost to
      // the watch, so read everything again and announce the difference.
      if (this.watcher !== w || this.closed) return
      this.watcher = undefined
      this.opts.logger?.warn('etcd metadata watch cancelled; reloading', { error: err.message })
      w.cancel().catch(() => undefined)
      this.reload()
    })
  }

  private reload(): void {
    if (this.closed) return
    this.load().catch((err: Error) => {
      this.opts.logger?.warn('reloading metadata from etcd failed; retrying', { error: err.message })
      setTimeout(() => this.reload(), REJOIN_INTERVAL_MS).unref()
    })
  }

  private cachedKeys(): string[] {
    const keys: string[] = []
    for (const id of this.rawTopics.keys()) keys.push(this.layout.topic(id))
    for (const ck of this.rawNames.keys()) keys.push(this.layout.name(ck))
    for (const [id, parts] of this.rawPartitions) for (const p of parts.keys()) keys.push(this.layout.partition(id, p))
    for (const id of this.rawBrokers.keys()) keys.push(this.layout.broker(id))
    if (this.rawController) keys.push(this.layout.controller)
    for (const k of this.rawBrokerConfigs.keys()) keys.push(this.layout.brokerConfig(k === '' ? null : Number(k)))
    keys.push(...this.rawAcls.keys())
    for (const k of this.rawQuotas.keys()) keys.push(this.layout.clientQuota(k))
    keys.push(...this.rawScram.keys())
    return keys
  }

  private applyResponse(events: KvEvent[], headerRevision: number): void {
    if (events.length === 0) {
      // A progress notification: nothing at or below this revision is still to come.
      this.revision = Math.max(this.revision, headerRevision)
      this.release()
      return
    }
    for (let i = 0; i < events.length; ) {
      const rev = Number(events[i]!.kv.mod_revision)
      let j = i
      while (j < events.length && Number(events[j]!.kv.mod_revision) === rev) j++
      this.applyRevision(events.slice(i, j))
      this.revision = Math.max(this.revision, rev)
      this.release()
      i = j
    }
  }

  /** Wakes the waiters whose condition now holds (each sees the cache exactly as of this revision). */
  private release(): void {
    if (this.waiters.length === 0) return
    const still: Waiter[] = []
    for (const w of this.waiters) {
      let ready = false
      try {
        ready = w.ready()
      } catch (err) {
        clearTimeout(w.timer)
        w.reject(err as Error)
        continue
      }
      if (ready) {
        clearTimeout(w.timer)
        w.resolve()
      } else {
        still.push(w)
      }
    }
    this.waiters = still
  }

  /** Applies the events of one revision to the raw cache, rebuilds what they touch, announces the changes. */
  private applyRevision(events: KvEvent[]): void {
    const topicsBefore = new Map<string, TopicInfo | undefined>()
    const partitionsTouched: Array<{ topicId: string; partition: number; previous: PartitionInfo | undefined }> = []
    const changes: MetadataChange[] = []
    const controllerBefore = this.controllerId()
    let controllerFreed = false
    let brokersChanged = false
    const aclsAdded: AclBinding[] = []
    const aclsRemoved: AclBinding[] = []
    for (const ev of events) {
      const keyText = ev.kv.key.toString('utf8')
      const k = this.layout.parse(keyText)
      if (!k) continue
      const put = ev.type === 'Put'
      switch (k.kind) {
        case 'topic': {
          if (!topicsBefore.has(k.topicId)) topicsBefore.set(k.topicId, this.byId.get(k.topicId))
          const v = put ? decodeTopic(ev.kv.value) : undefined
          if (put && !v) this.malformed(keyText)
          if (v) this.rawTopics.set(k.topicId, cached(ev.kv, v))
          else this.rawTopics.delete(k.topicId)
          break
        }
        case 'name': {
          const v = put ? decodeName(ev.kv.value) : undefined
          if (put && !v) this.malformed(keyText)
          if (v) this.rawNames.set(k.collisionKey, cached(ev.kv, v))
          else this.rawNames.delete(k.collisionKey)
          break
        }
        case 'partition': {
          partitionsTouched.push({ topicId: k.topicId, partition: k.partition, previous: this.byId.get(k.topicId)?.partitions[k.partition] })
          const v = put ? decodePartitionState(ev.kv.value) : undefined
          if (put && !v) this.malformed(keyText)
          let parts = this.rawPartitions.get(k.topicId)
          if (v) {
            if (!parts) this.rawPartitions.set(k.topicId, (parts = new Map()))
            parts.set(k.partition, cached(ev.kv, v))
          } else if (parts) {
            parts.delete(k.partition)
            if (parts.size === 0) this.rawPartitions.delete(k.topicId)
          }
          break
        }
        case 'broker': {
          brokersChanged = true
          const before = this.rawBrokers.get(k.nodeId)
          const v = put ? decodeBroker(ev.kv.value) : undefined
          if (put && !v) this.malformed(keyText)
          if (v) {
            this.rawBrokers.set(k.nodeId, cached(ev.kv, v))
            if (!before) changes.push({ type: 'brokerRegistered', broker: { ...v } })
          } else if (before) {
            this.rawBrokers.delete(k.nodeId)
            changes.push({ type: 'brokerUnregistered', broker: { ...before.value } })
            if (this.registered.has(k.nodeId) && before.lease === this.session.leaseId) this.session.lose(`the registration of broker ${k.nodeId} was removed from etcd (its lease was revoked or expired)`)
          }
          break
        }
        case 'controller': {
          const v = put ? decodeController(ev.kv.value) : undefined
          if (put && !v) this.malformed(keyText)
          this.rawController = v ? cached(ev.kv, v) : undefined
          if (!v) controllerFreed = true
          break
        }
        case 'brokerConfig': {
          const v = put ? decodeConfigs(ev.kv.value) : undefined
          if (put && !v) this.malformed(keyText)
          if (v) this.rawBrokerConfigs.set(configKey(k.nodeId), cached(ev.kv, v))
          else this.rawBrokerConfigs.delete(configKey(k.nodeId))
          changes.push({ type: 'brokerConfigChanged', nodeId: k.nodeId })
          break
        }
        case 'acl': {
          const v = put ? decodeAcl(ev.kv.value) : undefined
          if (put && !v) this.malformed(keyText)
          const before = this.rawAcls.get(keyText)
          if (v) {
            this.rawAcls.set(keyText, cached(ev.kv, v))
            if (!before) aclsAdded.push(v)
          } else if (before) {
            this.rawAcls.delete(keyText)
            aclsRemoved.push(before.value)
          }
          break
        }
        case 'clientQuota': {
          const entity = parseEntityKey(k.entityKey)
          const v = put && entity ? decodeQuotaValues(ev.kv.value) : undefined
          if (put && !v) this.malformed(keyText)
          if (v) this.rawQuotas.set(k.entityKey, cached(ev.kv, v))
          else this.rawQuotas.delete(k.entityKey)
          const view = new Map(this.quotaView)
          if (v && entity) view.set(entityKey(entity), { entity, values: { ...v } })
          else if (entity) view.delete(entityKey(entity))
          this.quotaView = view
          if (entity) changes.push({ type: 'clientQuotasChanged', entity })
          break
        }
        case 'scram': {
          const v = put ? decodeScramCredential(scramMechanism(k.mechanism)!, parseJson(ev.kv.value)) : undefined
          if (put && !v) this.malformed(keyText)
          const had = this.rawScram.has(keyText)
          if (v) this.rawScram.set(keyText, cached(ev.kv, v))
          else this.rawScram.delete(keyText)
          if (!v && !had) break
          const view = new Map(this.scramView)
          const mechs = new Map(view.get(k.user))
          if (v) mechs.set(k.mechanism, v)
          else mechs.delete(k.mechanism)
          if (mechs.size === 0) view.delete(k.user)
          else view.set(k.user, mechs)
          this.scramView = view
          changes.push({ type: 'scramCredentialChanged', user: k.user, mechanism: k.mechanism })
          break
        }
        case 'clusterId':
          break
      }
    }
    if (aclsAdded.length > 0 || aclsRemoved.length > 0) changes.push({ type: 'aclsChanged', added: aclsAdded, removed: aclsRemoved })
    for (const [topicId, before] of topicsBefore) {
      const after = this.rebuild(topicId, before)
      if (!before && after) changes.push({ type: 'topicCreated', topic: after })
      else if (before && !after) changes.push({ type: 'topicDeleted', topic: before })
      else if (before && after) {
        if (after.partitions.length > before.partitions.length) changes.push({ type: 'partitionsCreated', topic: after, from: before.partitions.length })
        if (JSON.stringify(after.configs) !== JSON.stringify(before.configs)) changes.push({ type: 'topicConfigChanged', topic: after })
      }
    }
    for (const p of partitionsTouched) {
      if (topicsBefore.has(p.topicId)) continue
      const after = this.rebuildPartition(p.topicId, p.partition)
      if (after && p.previous) changes.push({ type: 'partitionChanged', topic: this.byId.get(p.topicId)!, partition: after, previous: p.previous })
    }
    // Offline replicas follow the registrations: every other topic is rebuilt (no event: its state did not change).
    if (brokersChanged) for (const topicId of [...this.rawTopics.keys()]) if (!topicsBefore.has(topicId)) this.rebuild(topicId, this.byId.get(topicId))
    const controllerAfter = this.controllerId()
    if (controllerAfter !== controllerBefore) changes.push({ type: 'controllerChanged', controllerId: controllerAfter, previous: controllerBefore })
    for (const c of changes) this.announce(c)
    if (controllerFreed && this.campaigning) {
      this.elect().catch((err: Error) => this.opts.logger?.warn('claiming the controller failed; trying again when it is next free', { error: err.message }))
    }
  }

  private malformed(key: string): void {
    this.opts.logger?.error('ignoring a malformed metadata value in etcd (written by something else than Samsa?)', { key })
  }

  private announce(change: MetadataChange): void {
    for (const l of this.listeners) {
      try {
        l(change)
      } catch (err) {
        this.opts.logger?.error('metadata change listener failed', { change: change.type, error: (err as Error).message })
      }
    }
  }

  /** Rebuilds one topic's TopicInfo from the raw cache (undefined when the topic is gone). */
  private rebuild(topicId: string, before: TopicInfo | undefined): TopicInfo | undefined {
    const raw = this.rawTopics.get(topicId)
    if (before && this.byName.get(before.name)?.topicId === topicId) this.byName.delete(before.name)
    this.byId.delete(topicId)
    if (!raw) return undefined
    const parts = this.rawPartitions.get(topicId)
    const live = this.liveIds()
    const partitions = raw.value.replicas.map((replicas, p) => partitionInfo(p, replicas, raw.value.isr[p]!, parts?.get(p)?.value, live))
    const t: TopicInfo = { name: raw.value.name, topicId, internal: isInternalTopic(raw.value.name), partitions, configs: raw.value.configs }
    this.byName.set(t.name, t)
    this.byId.set(topicId, t)
    return t
  }

  private liveIds(): ReadonlySet<number> {
    return new Set(this.rawBrokers.keys())
  }

  /** Replaces one partition of a cached topic (a new TopicInfo; the old one stays as it was). */
  private rebuildPartition(topicId: string, partition: number): PartitionInfo | undefined {
    const t = this.byId.get(topicId)
    const raw = this.rawTopics.get(topicId)
    if (!t || !raw || partition >= raw.value.replicas.length) return undefined
    const next = partitionInfo(partition, raw.value.replicas[partition]!, raw.value.isr[partition]!, this.rawPartitions.get(topicId)?.get(partition)?.value, this.liveIds())
    const partitions = [...t.partitions]
    partitions[partition] = next
    const updated: TopicInfo = { ...t, partitions }
    this.byName.set(t.name, updated)
    this.byId.set(topicId, updated)
    return next
  }
}

/** A partition's state from its topic key and its own key (if it changed); offline: replicas not registered. */
function partitionInfo(partition: number, initialReplicas: number[], initialIsr: number[], state: StoredPartitionState | undefined, live: ReadonlySet<number>): PartitionInfo {
  const replicas = state?.replicas ?? initialReplicas
  return {
    partition,
    leader: state ? state.leader : (initialIsr[0] ?? -1),
    leaderEpoch: state?.leaderEpoch ?? 0,
    partitionEpoch: state?.partitionEpoch ?? 0,
    replicas,
    isr: state?.isr ?? initialIsr,
    addingReplicas: state?.addingReplicas ?? [],
    removingReplicas: state?.removingReplicas ?? [],
    offlineReplicas: replicas.filter((r) => !live.has(r)),
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function cached<T>(kv: IKeyValue, value: T): Cached<T> {
  return { modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision), lease: kv.lease, value }
}

function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch {
    return undefined
  }
}

function checkAclCount(n: number): void {
  if (n > MAX_ACLS_PER_CHANGE) throw new KafkaError('INVALID_REQUEST', `${n} ACLs in one change; at most ${MAX_ACLS_PER_CHANGE} are changed at once (one etcd transaction): send them in several requests`)
}

function configKey(nodeId: number | null): string {
  return nodeId === null ? '' : String(nodeId)
}

function absent(key: string): ICompare {
  return { key: Buffer.from(key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }
}

function modIs(key: string, revision: number): ICompare {
  return { key: Buffer.from(key), target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: revision }
}

function createIs(key: string, revision: number): ICompare {
  return { key: Buffer.from(key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: revision }
}

function put(key: string, value: Buffer, lease?: string): IRequestOp {
  return { request_put: { key: Buffer.from(key), value, ...(lease !== undefined ? { lease } : {}) } }
}

function del(key: string): IRequestOp {
  return { request_delete_range: { key: Buffer.from(key) } }
}

function delPrefix(prefix: string): IRequestOp {
  const key = Buffer.from(prefix)
  return { request_delete_range: { key, range_end: prefixEnd(key) } }
}

/** The end of the key range of a prefix (its last byte plus one; Samsa's prefixes end in '/'). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix)
  end[end.length - 1] = end[end.length - 1]! + 1
  return end
}
