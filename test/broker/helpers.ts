/** Shared set-up for broker tests: an embedded broker whose log lines are captured. */
import type { TestContext } from 'node:test'
import { startBroker, type StartedBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { RawClient } from '../helpers/raw-client.js'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/batch.js'

export interface LogRecord {
  level: string
  msg: string
  client?: string
  [k: string]: unknown
}

export interface TestBroker {
  b: StartedBroker
  /** Log records written so far (warn and above). */
  logs(): LogRecord[]
  /** A raw client connected to the broker, closed when the test ends. */
  client(): Promise<RawClient>
}

export async function embeddedBroker(t: TestContext, config: Record<string, string> = {}): Promise<TestBroker> {
  const lines: string[] = []
  const logger = createLogger({ level: 'warn', write: (l) => lines.push(l) })
  const b = await startBroker({ config, logger })
  const clients: RawClient[] = []
  t.after(async () => {
    for (const c of clients) c.close()
    await b.close()
  })
  return {
    b,
    logs: () => lines.map((l) => JSON.parse(l) as LogRecord),
    async client() {
      const c = await RawClient.connect(b.port, b.host)
      clients.push(c)
      return c
    },
  }
}

/** A promise with its resolve function exposed. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** Polls `cond` on every turn of the event loop until it holds; rejects after timeoutMs. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 1))
  }
}

/** Values of one uncompressed batch, produced with Produce v9 through a raw client; returns the base offset. */
export async function produceValues(c: RawClient, topic: string, partition: number, values: Array<string | Buffer>, baseTimestamp = BigInt(Date.now())): Promise<bigint> {
  const records = values.map((v, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value: Buffer.isBuffer(v) ? v : Buffer.from(v), headers: [] }))
  const batch = encodeBatchSync(createBatch({ baseTimestamp, records }))
  const resp = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] })
  const p = resp.responses[0]!.partitionResponses[0]!
  if (p.errorCode !== 0) throw new Error(`produce to ${topic}-${partition} failed with error ${p.errorCode}: ${p.errorMessage}`)
  return p.baseOffset
}
