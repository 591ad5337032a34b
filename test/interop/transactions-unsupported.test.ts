/**
 * Until the transaction coordinator exists, a transactional FindCoordinator lookup is refused
 * with a non-retriable error (INVALID_REQUEST, as a broker that does not know the key type
 * answers), so clients fail at once instead of retrying until their timeout (kafkajs waited
 * its full retry budget; @platformatic/kafka's beginTransaction() hung past 300 s).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { Producer } from '@platformatic/kafka'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { deferrer } from '../helpers/groups.js'

/** Fails the test instead of hanging when a client keeps retrying. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms)))
  return Promise.race([p, limit]).finally(() => clearTimeout(timer))
}

test('kafkajs and @platformatic/kafka transactional producers fail at once, naming the missing feature', async (t) => {
  const defer = deferrer(t)
  const b = await startBroker({ logger: createLogger({ level: 'error' }) })
  defer(() => b.close())
  const bootstrap = b.bootstrap

  // Both clients get generous retry budgets: with a retriable answer they would retry for
  // minutes; the 15 s bound only catches that (a refusal takes milliseconds).
  const kafka = new Kafka({ clientId: 'samsa-txn', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 3000 } })
  const kp = kafka.producer({ transactionalId: 'txn-a', idempotent: true, maxInFlightRequests: 1 })
  defer(() => kp.disconnect())
  // connect() already fails (InitProducerId is not served); transaction() then looks for the
  // transaction coordinator, which is what used to retry.
  await kp.connect().catch(() => {})
  const kerr = await within(15_000, 'kafkajs transaction()', kp.transaction().then(() => undefined, (e: Error) => e))
  assert.ok(kerr instanceof Error, 'kafkajs transaction() must fail')

  const pp = new Producer({ clientId: 'samsa-txn', bootstrapBrokers: [bootstrap], transactionalId: 'txn-b', idempotent: true, retries: 30, retryDelay: 1_000, timeout: 5_000 })
  defer(() => pp.close())
  const perr = await within(15_000, '@platformatic/kafka beginTransaction()', pp.beginTransaction().then(() => undefined, (e: Error) => e))
  assert.ok(perr instanceof Error, '@platformatic/kafka beginTransaction() must fail')
  const reasons = ((perr as AggregateError).errors ?? [perr]).map((e: Error) => e.message).join('; ')
  assert.match(reasons, /incompatible broker/, 'one attempt, refused as INVALID_REQUEST')
})
