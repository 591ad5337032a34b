/**
 * Several real brokers in one process on one shared metadata store, for tests of the
 * replication protocol itself (fetchers, truncation, the ISR, the high watermark) without an
 * etcd: one LocalMetadataStore in its own dir, whose own broker is broker 0, and a view of it
 * per broker. A view's close() unregisters its broker (as a lost etcd lease would), except
 * broker 0's, which the store always lists. Leader changes are made by the test through
 * alterPartition, as a controller would, unless the test asks for a controller (`controller`
 * option): then a real Controller runs on the store as broker 0 (the local store's controller),
 * from broker 0's start until the cluster is torn down. The cluster tests (test/cluster/) run
 * the same brokers as processes on a real etcd.
 */
import type { TestContext } from 'node:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Broker } from '../../src/broker/broker.js'
import { loadBrokerConfig } from '../../src/broker/config.js'
import { Controller, type ControllerOptions } from '../../src/metadata/controller.js'
import { LocalMetadataStore } from '../../src/metadata/local.js'
import type { MetadataStore } from '../../src/metadata/store.js'
import type { BrokerInfo } from '../../src/metadata/types.js'
import { createLogger, type Logger } from '../../src/util/logger.js'
import type { Time } from '../../src/util/time.js'

export interface SharedCluster {
  store: LocalMetadataStore
  /** The controller, when the cluster was made with one (running once broker 0 started). */
  readonly controller: Controller | undefined
  /** The running broker of each id (undefined while stopped). */
  brokers: Map<number, Broker>
  start(nodeId: number, options?: { time?: Time; config?: Record<string, string> }): Promise<Broker>
  stop(nodeId: number): Promise<void>
  /** Log lines at warn and above, per broker. */
  logs(nodeId: number): Array<Record<string, unknown>>
  dir(nodeId: number): string
}

export interface SharedClusterOptions {
  /** Run a Controller (as broker 0) with these options. */
  controller?: Partial<Omit<ControllerOptions, 'store' | 'nodeId'>>
}

export async function sharedCluster(t: TestContext, config: Record<string, string> = {}, clusterOptions: SharedClusterOptions = {}): Promise<SharedCluster> {
  const root = mkdtempSync(join(tmpdir(), 'samsa-shared-'))
  const brokers = new Map<number, Broker>()
  const lines = new Map<number, string[]>()
  let store: LocalMetadataStore | undefined
  let controller: Controller | undefined
  const selfOf = new Map<number, () => BrokerInfo>()
  const dir = (id: number) => join(root, `broker-${id}`)

  function view(nodeId: number, s: LocalMetadataStore): MetadataStore {
    return new Proxy(s, {
      get(target, prop, receiver) {
        if (prop === 'close') {
          return async () => {
            if (nodeId !== 0) await target.unregisterBroker(nodeId).catch(() => undefined)
          }
        }
        const v = Reflect.get(target, prop, receiver) as unknown
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      },
    })
  }

  const cluster: SharedCluster = {
    get store() {
      if (!store) throw new Error('start broker 0 first: it owns the shared store')
      return store
    },
    get controller() {
      return controller
    },
    brokers,
    dir,
    logs: (id) => (lines.get(id) ?? []).map((l) => JSON.parse(l) as Record<string, unknown>),
    async start(nodeId, options = {}) {
      if (brokers.has(nodeId)) throw new Error(`broker ${nodeId} is running`)
      const out = lines.get(nodeId) ?? []
      lines.set(nodeId, out)
      const logger: Logger = createLogger({ level: 'warn', write: (l) => out.push(l) })
      const b = new Broker({
        config: loadBrokerConfig({ overrides: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir(nodeId), 'broker.id': String(nodeId), ...config, ...options.config } }),
        logger,
        ...(options.time ? { time: options.time } : {}),
        metadataStore: async (self) => {
          selfOf.set(nodeId, self)
          if (nodeId === 0 && !store) {
            store = await LocalMetadataStore.open({ dir: join(root, 'metadata'), self: () => selfOf.get(0)!() })
            if (clusterOptions.controller) {
              controller = new Controller({ store, nodeId: 0, logger: createLogger({ level: 'warn', write: (l) => out.push(l) }), retryMs: 20, ...clusterOptions.controller })
              controller.start()
            }
          }
          if (!store) throw new Error('start broker 0 first: it owns the shared store')
          return view(nodeId, store)
        },
      })
      await b.start()
      if (nodeId !== 0) await store!.registerBroker(selfOf.get(nodeId)!())
      brokers.set(nodeId, b)
      return b
    },
    async stop(nodeId) {
      const b = brokers.get(nodeId)
      if (!b) return
      brokers.delete(nodeId)
      await b.close()
    },
  }
  t.after(async () => {
    await controller?.close()
    for (const id of [...brokers.keys()].sort((a, b) => b - a)) await cluster.stop(id)
    await store?.close()
    rmSync(root, { recursive: true, force: true })
  })
  return cluster
}
