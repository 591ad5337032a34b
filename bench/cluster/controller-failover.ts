/**
 * Controller failover time with metadata.store=etcd: three `samsa server start` processes on a
 * real etcd, a topic with replication factor 3; the controller is killed with SIGKILL (a crash:
 * its lease must expire, one broker.session.timeout.ms) and, separately, stopped with SIGTERM
 * (a clean shutdown revokes the lease at once). Prints, for each, the time from the signal
 * until another broker holds the controller, and until the partitions the dead broker led have
 * a new leader. An observer store (not a broker) watches the same prefix.
 *
 *   npm run build && node dist/bench/cluster/controller-failover.js
 *
 * SAMSA_BENCH_SESSION_MS sets broker.session.timeout.ms (default: Kafka's 9000).
 */
import { EtcdMetadataStore } from '../../src/metadata/etcd.js'
import { startBrokerProcess, type BrokerProcess } from '../../test/helpers/broker-process.js'
import { EtcdServer, uniquePrefix } from '../../test/cluster/etcd-harness.js'

const sessionMs = process.env['SAMSA_BENCH_SESSION_MS'] ?? '9000'

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const begin = Date.now()
  while (!check()) {
    if (Date.now() - begin > timeoutMs) throw new Error(`gave up after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

async function main(): Promise<void> {
  const etcd = await EtcdServer.create()
  const prefix = uniquePrefix()
  const brokers = new Map<number, BrokerProcess>()
  const observer = await EtcdMetadataStore.open({ endpoints: [etcd.endpoint], prefix, self: () => ({ nodeId: -1, host: '', port: 0, rack: null }), leaseTtlSeconds: 1 })
  try {
    for (const id of [1, 2, 3]) {
      brokers.set(id, await startBrokerProcess({ overrides: { 'broker.id': String(id), 'metadata.store': 'etcd', 'etcd.endpoints': etcd.endpoint, 'etcd.prefix': prefix, 'broker.session.timeout.ms': sessionMs } }))
    }
    await until(() => observer.brokers().length === 3 && observer.controllerId() !== -1, 10_000)
    await observer.createTopic({ name: 'failover', assignments: Array.from({ length: 6 }, (_, p) => [1 + (p % 3), 1 + ((p + 1) % 3), 1 + ((p + 2) % 3)]), configs: {} })
    console.log(`3 brokers, broker.session.timeout.ms=${sessionMs} (lease TTL ${Math.max(1, Math.ceil(Number(sessionMs) / 1000))} s), 6 partitions x 3 replicas`)
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      const victim = observer.controllerId()
      const led = observer.topic('failover')!.partitions.filter((p) => p.leader === victim).map((p) => p.partition)
      const begin = Date.now()
      brokers.get(victim)!.proc.kill(signal)
      await until(() => observer.controllerId() !== -1 && observer.controllerId() !== victim, 60_000)
      const controllerMs = Date.now() - begin
      await until(() => led.every((p) => { const s = observer.topic('failover')!.partitions[p]!; return s.leader !== victim && s.leader !== -1 }), 60_000)
      const leadersMs = Date.now() - begin
      console.log(`${signal} of controller ${victim}: new controller ${observer.controllerId()} after ${controllerMs} ms; its ${led.length} partitions re-led after ${leadersMs} ms`)
      await brokers.get(victim)!.stop('SIGKILL')
      brokers.delete(victim)
    }
  } finally {
    for (const b of brokers.values()) await b.stop('SIGKILL')
    await observer.close()
    await etcd.dispose()
  }
}

await main()
