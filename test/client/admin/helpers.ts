/**
 * Set-up shared by the admin client tests: an embedded broker with an Admin on it, a raw client
 * for producing, and live group members. Clients are closed before the broker stops.
 */
import type { TestContext } from 'node:test'
import { startBroker, type StartedBroker } from '../../../src/index.js'
import { Admin, type AdminOptions } from '../../../src/client/admin/index.js'
import { createLogger } from '../../../src/util/logger.js'
import { RawClient } from '../../helpers/raw-client.js'
import { RawMember, servedVersions } from '../../helpers/groups.js'
import { produceValues } from '../../broker/helpers.js'

export interface AdminBroker {
  b: StartedBroker
  admin: Admin
  /** Another Admin on the same broker, with options of its own. */
  newAdmin(o?: Partial<AdminOptions>): Admin
  /** Appends values to a partition as one batch (all with `timestamp`); returns the first one's offset. */
  produce(topic: string, partition: number, values: string[], timestamp?: number): Promise<bigint>
  /** A group member that has joined and synced, heartbeating until the test ends. */
  member(groupId: string, topics: Record<string, number>, clientId?: string): Promise<RawMember>
  /** Broker log lines (warn and above), for diagnostics. */
  logs(): string[]
}

export async function adminBroker(t: TestContext, config: Record<string, string> = {}, adminOptions: Partial<AdminOptions> = {}): Promise<AdminBroker> {
  const lines: string[] = []
  const b = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0', ...config }, logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }) })
  const cleanups: Array<() => unknown> = []
  t.after(async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn()
      } catch {
        // best effort: the test's own assertions report what matters
      }
    }
    await b.close()
  })
  const newAdmin = (o: Partial<AdminOptions> = {}) => {
    const a = new Admin({ bootstrapServers: b.bootstrap, clientId: 'admin-test', ...o })
    cleanups.push(() => a.close())
    return a
  }
  const admin = newAdmin(adminOptions)
  let raw: RawClient | undefined
  return {
    b,
    admin,
    newAdmin,
    async produce(topic, partition, values, timestamp = Date.now()) {
      if (!raw) {
        raw = await RawClient.connect(b.port, b.host)
        const r = raw
        cleanups.push(() => r.close())
      }
      return produceValues(raw, topic, partition, values, BigInt(timestamp))
    },
    async member(groupId, topics, clientId = 'raw-member') {
      const served = await servedVersions(b.port, b.host)
      const m = await RawMember.connect(b.port, b.host, served, { groupId, topics: Object.keys(topics), partitionsOf: topics, clientId })
      cleanups.push(() => m.close())
      m.run(200)
      // run() joins in the background; wait until the first generation has its assignment.
      const deadline = Date.now() + 10_000
      while (m.generationId < 0 || m.events.every((e) => e.kind !== 'sync' || e.errorCode !== 0)) {
        if (Date.now() > deadline) throw new Error(`member of ${groupId} did not join: ${JSON.stringify(m.events)}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      return m
    },
    logs: () => lines,
  }
}
