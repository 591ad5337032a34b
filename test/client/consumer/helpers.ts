/** Shared set-up for the consumer tests: a broker tuned for fast groups, producing, and consumers run in the background. */
import type { TestContext } from 'node:test'
import { startBroker, type StartedBroker } from '../../../src/index.js'
import { Producer } from '../../../src/client/producer/index.js'
import { Consumer, type ConsumerOptions, type ConsumerRecord, type TopicPartition } from '../../../src/client/consumer/index.js'
import { createLogger } from '../../../src/util/logger.js'
import { hasMockCluster, startMockCluster, type MockCluster, type MockClusterOptions } from '../../helpers/mock-cluster.js'
import { requireTool } from '../../helpers/tools.js'

/** Small timeouts so that groups form and fail over in well under a second. */
export const FAST_GROUP = { heartbeatIntervalMs: 100, sessionTimeoutMs: 6000, retryBackoffMs: 20, retryBackoffMaxMs: 200, fetchMaxWaitMs: 100 } as const

export const quiet = createLogger({ level: (process.env.TEST_LOG_LEVEL as 'warn') ?? 'error' })

/**
 * Per test, what to close when it ends, closed last-in first-out in one after hook: consumers go
 * before the broker they talk to (closing one against a stopped broker waits out its timeout).
 */
const stacks = new WeakMap<TestContext, Array<() => Promise<unknown>>>()

export function closeAtEnd(t: TestContext, close: () => Promise<unknown>): void {
  let stack = stacks.get(t)
  if (!stack) {
    const s: Array<() => Promise<unknown>> = (stack = [])
    stacks.set(t, s)
    t.after(async () => {
      while (s.length > 0) await s.pop()!().catch(() => {})
    })
  }
  stack.push(close)
}

export async function testBroker(t: TestContext): Promise<StartedBroker> {
  const b = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '100' }, logger: quiet })
  closeAtEnd(t, () => b.close())
  return b
}

/** The librdkafka mock cluster, or undefined (test skipped) when python3-confluent-kafka is missing. */
export async function mockFor(t: TestContext, opts: MockClusterOptions = {}): Promise<MockCluster | undefined> {
  if (!requireTool(t, 'python3-confluent-kafka (librdkafka mock cluster)', hasMockCluster)) return undefined
  const mc = await startMockCluster(opts)
  closeAtEnd(t, () => mc.close())
  return mc
}

export function consumerFor(t: TestContext, bootstrap: string, opts: Partial<ConsumerOptions> = {}): Consumer {
  const c = new Consumer({ bootstrapServers: bootstrap, logger: quiet, ...FAST_GROUP, ...opts })
  closeAtEnd(t, () => c.close())
  return c
}

export interface Rec {
  topic?: string
  partition?: number
  key?: string | Buffer | null
  value: string | Buffer | null
  headers?: Array<[string, string | Buffer | null]>
}

/** Produces and waits for every record; returns their offsets in order. */
export async function produce(bootstrap: string, topic: string, records: Rec[]): Promise<Array<{ partition: number; offset: bigint }>> {
  const p = new Producer({ bootstrapServers: bootstrap, lingerMs: 2, logger: quiet, retryBackoffMs: 20 })
  try {
    return await Promise.all(records.map((r) => p.send({ topic: r.topic ?? topic, partition: r.partition, key: r.key ?? null, value: r.value, headers: r.headers })))
  } finally {
    await p.close()
  }
}

/** `n` records spread round-robin over `partitions`, values "v<i>". */
export function spread(n: number, partitions: number, prefix = 'v'): Rec[] {
  return Array.from({ length: n }, (_, i) => ({ partition: i % partitions, key: `k${i}`, value: `${prefix}${i}` }))
}

export async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export const key = (tp: TopicPartition) => `${tp.topic}:${tp.partition}`
export const sortTps = (tps: TopicPartition[]) => tps.map(key).sort()

/**
 * Polls a consumer in the background, as an application loop would, recording what it gets and
 * what its rebalance listener hears.
 */
export class Runner {
  readonly records: ConsumerRecord[] = []
  readonly assigned: TopicPartition[][] = []
  readonly revoked: TopicPartition[][] = []
  readonly lost: TopicPartition[][] = []
  readonly errors: Error[] = []
  private stopped = false
  private readonly loop: Promise<void>

  constructor(
    readonly consumer: Consumer,
    topics: string[] | RegExp,
  ) {
    this.loop = this.run(topics)
  }

  private async run(topics: string[] | RegExp): Promise<void> {
    await this.consumer.subscribe(topics, {
      listener: {
        onAssigned: (tps) => void this.assigned.push(tps),
        onRevoked: (tps) => void this.revoked.push(tps),
        onLost: (tps) => void this.lost.push(tps),
      },
    })
    while (!this.stopped) {
      try {
        for (const r of await this.consumer.poll({ timeoutMs: 50 })) this.records.push(r)
      } catch (e) {
        if (this.stopped || (e as { code?: string }).code === 'CLIENT_CLOSED') break
        this.errors.push(e as Error)
      }
    }
  }

  values(): string[] {
    return this.records.map((r) => r.value!.toString())
  }

  /** Stops polling; `close` also closes the consumer (committing and leaving the group). */
  async stop(close = true): Promise<void> {
    this.stopped = true
    await this.loop
    if (close) await this.consumer.close()
  }
}

/** The next `n` records from an iterator (fewer if it ends). */
export async function take(it: AsyncIterator<ConsumerRecord>, n: number): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = []
  while (out.length < n) {
    const r = await it.next()
    if (r.done) break
    out.push(r.value)
  }
  return out
}
