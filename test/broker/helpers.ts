/** Shared set-up for broker tests: an embedded broker whose log lines are captured. */
import type { TestContext } from 'node:test'
import { startBroker, type StartedBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { RawClient } from '../helpers/raw-client.js'

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
