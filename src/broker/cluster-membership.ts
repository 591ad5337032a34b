/**
 * How a broker takes part in its cluster, by `metadata.store`: `local` (the default) opens the
 * single-node store in the first log dir and nothing more; `etcd` opens the etcd store and,
 * once the listeners are bound (the advertised address is known), registers the broker under its
 * lease, joins the controller election and runs the controller's duties while elected.
 */
import { Controller, type RebalanceOptions } from '../metadata/controller.js'
import type { EtcdMetadataStore } from '../metadata/etcd.js'
import { LocalMetadataStore } from '../metadata/local.js'
import type { MetadataStore } from '../metadata/store.js'
import type { BrokerInfo, TopicInfo } from '../metadata/types.js'
import { KafkaError } from '../protocol/errors.js'
import type { FaultHooks } from '../util/faults.js'
import type { Logger } from '../util/logger.js'
import { leaseTtlSeconds, type BrokerConfig } from './config.js'

export interface OpenStoreOptions {
  config: BrokerConfig
  self: () => BrokerInfo
  logger: Logger
  faults: FaultHooks
}

/**
 * The etcd store and its client (etcd3, gRPC, protobufjs) load only for metadata.store=etcd: they
 * cost a single-node broker about 0.4 s of start-up and 25 MiB of memory it never uses.
 */
function loadEtcd(): Promise<typeof import('../metadata/etcd.js')> {
  return import('../metadata/etcd.js')
}

export async function openMetadataStore(opts: OpenStoreOptions): Promise<MetadataStore> {
  const { config, logger } = opts
  if (config.get('metadata.store') !== 'etcd') {
    return LocalMetadataStore.open({ dir: config.get('log.dirs')[0]!, clusterId: config.get('cluster.id'), self: opts.self, logger, faults: opts.faults })
  }
  const ttl = leaseTtlSeconds(config)
  const { EtcdMetadataStore } = await loadEtcd()
  return EtcdMetadataStore.open({
    endpoints: config.get('etcd.endpoints'),
    prefix: config.get('etcd.prefix'),
    clusterId: config.get('cluster.id'),
    self: opts.self,
    leaseTtlSeconds: ttl,
    // A change etcd cannot make within a session timeout fails rather than holding a request longer.
    requestTimeoutMs: Math.max(1000, config.get('broker.session.timeout.ms')),
    logger,
    onSession: (e) => {
      if (e.state === 'lost') logger.warn('etcd session lost: other brokers now see this broker as gone, and its partitions move; it registers again when etcd answers', { reason: e.reason })
      else logger.warn('etcd session restored: this broker is registered again', { lease: e.leaseId })
    },
  })
}

export interface ClusterMembership {
  readonly controller: Controller
  close(): Promise<void>
}

export interface JoinOptions {
  store: MetadataStore
  config: BrokerConfig
  self: BrokerInfo
  logger: Logger
  uncleanLeaderElection: (topic: TopicInfo) => boolean
}

/** Registers, campaigns and starts the controller (etcd store only; the local store needs none of it). */
export async function joinCluster(opts: JoinOptions): Promise<ClusterMembership | undefined> {
  const { store, logger } = opts
  // Only the etcd store campaigns; checking first keeps a local broker from loading etcd.
  if (!('campaign' in store)) return undefined
  const { EtcdMetadataStore } = await loadEtcd()
  if (!(store instanceof EtcdMetadataStore)) return undefined
  await registerPatiently(store, opts.self, leaseTtlSeconds(opts.config), logger)
  const controller = new Controller({ store, nodeId: opts.self.nodeId, logger, uncleanLeaderElection: opts.uncleanLeaderElection, rebalance: rebalanceOptions(opts.config) })
  controller.start()
  await store.campaign()
  logger.info('joined the cluster', { nodeId: opts.self.nodeId, prefix: store.layout.prefix, controller: store.controllerId(), brokers: store.brokers().map((b) => b.nodeId) })
  return {
    controller,
    close: async () => {
      await controller.close()
      await store.resign().catch(() => undefined)
    },
  }
}

/** auto.leader.rebalance.enable and the leader.imbalance.* keys, as the controller takes them. */
export function rebalanceOptions(config: BrokerConfig): RebalanceOptions {
  return {
    enabled: config.get('auto.leader.rebalance.enable'),
    intervalMs: config.get('leader.imbalance.check.interval.seconds') * 1000,
    percentage: config.get('leader.imbalance.per.broker.percentage'),
  }
}

/**
 * A broker restarted after a crash finds its old registration still there until the old lease
 * expires (one session timeout): like KRaft, it retries until then, and only a registration that
 * outlives that is another live broker with the same id.
 */
async function registerPatiently(store: EtcdMetadataStore, self: BrokerInfo, ttlSeconds: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + (2 * ttlSeconds + 1) * 1000
  for (let logged = false; ; ) {
    try {
      await store.registerBroker(self)
      return
    } catch (err) {
      if (!(err instanceof KafkaError) || err.errorName !== 'DUPLICATE_BROKER_REGISTRATION' || Date.now() > deadline) {
        if (err instanceof KafkaError && err.errorName === 'DUPLICATE_BROKER_REGISTRATION') {
          throw new KafkaError('DUPLICATE_BROKER_REGISTRATION', `${err.message} It stayed registered longer than a session timeout (broker.session.timeout.ms), so another broker is running with broker.id ${self.nodeId}: give this one another broker.id.`)
        }
        throw err
      }
      if (!logged) logger.warn('broker id still registered (a previous run of this broker, until its session expires?); retrying', { nodeId: self.nodeId, error: err.message })
      logged = true
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}
