/**
 * Until the transaction coordinator exists, a transactional FindCoordinator lookup is refused
 * with a non-retriable error (INVALID_REQUEST, as a broker that does not know the key type
 * answers), so clients fail at once instead of retrying until their timeout (kafkajs waited
 * its full retry budget; @platformatic/kafka 1.35's beginTransaction() hung past 300 s).
 * @platformatic/kafka is pinned at 1.22.0, the newest 1.x whose dependencies accept Node 20,
 * and it has no transactional producer yet: its own FindCoordinator v6 call stands in for it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { Connection, ResponseError, findCoordinatorV6 } from '@platformatic/kafka'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { deferrer } from '../helpers/groups.js'

/** Fails the test instead of hanging when a client keeps retrying. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms)))
  return Promise.race([p, limit]).finally(() => clearTimeout(timer))
}

test('kafkajs\'s transactional producer fails at once and @platformatic/kafka decodes the refusal, naming the missing feature', async (t) => {
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

  // FindCoordinatorKeyType TRANSACTION = 1; the broker must refuse both keys in one answer.
  const conn = new Connection('samsa-txn')
  defer(() => conn.close())
  await conn.connect(b.host, b.port)
  const perr = await within(15_000, '@platformatic/kafka FindCoordinator v6', findCoordinatorV6.api.async(conn, 1, ['txn-b', 'txn-c']).then(() => undefined, (e: Error) => e))
  assert.ok(perr instanceof ResponseError, `@platformatic/kafka must decode a refusal, got ${String(perr)}`)
  const answer = (perr as ResponseError).response as findCoordinatorV6.FindCoordinatorResponse
  assert.deepEqual(
    answer.coordinators.map((c) => [c.key, c.errorCode, c.nodeId]),
    [['txn-b', 42, -1], ['txn-c', 42, -1]],
    'INVALID_REQUEST (42), not a retriable code, for each transactional id',
  )
  assert.match(answer.coordinators[0]!.errorMessage ?? '', /transactions are not supported/)
})
