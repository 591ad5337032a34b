/**
 * Metadata v8+ answers IncludeTopicAuthorizedOperations as Kafka without an authorizer does: every operation the resource supports (librdkafka's
 * DescribeTopics and DescribeCluster check these bits). Driven through @platformatic/kafka's
 * own Metadata v9 and v12 encoders and decoders: none of the installed high-level clients asks
 * for the bits (Debian's librdkafka 2.0 predates DescribeTopics).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Connection, metadataV9, metadataV12 } from '@platformatic/kafka'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { deferrer } from '../helpers/groups.js'

// Kafka's AclOperation codes: READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8,
// CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
const TOPIC_OPS = [3, 4, 5, 6, 7, 8, 10, 11]
const INT32_MIN = -2147483648
const opsOf = (bits: number) => Array.from({ length: 31 }, (_, i) => i).filter((i) => (bits & (1 << i)) !== 0)

test('Metadata v9 and v12 report every supported topic operation when asked, INT32_MIN when not', async (t) => {
  const defer = deferrer(t)
  const b = await startBroker({ logger: createLogger({ level: 'error' }) })
  defer(() => b.close())
  await b.broker.createTopic('ops', 2)
  const conn = new Connection('samsa-interop')
  await conn.connect(b.host, b.port)
  defer(() => conn.close())

  const v12 = await metadataV12.api.async(conn, ['ops'], false, true)
  assert.deepEqual(opsOf(v12.topics[0]!.topicAuthorizedOperations), TOPIC_OPS)
  const v12off = await metadataV12.api.async(conn, ['ops'], false, false)
  assert.equal(v12off.topics[0]!.topicAuthorizedOperations, INT32_MIN)

  // platformatic's v9 encoder never asks for the cluster bits; test/broker/handlers/metadata.test.ts covers those.
  const v9 = await metadataV9.api.async(conn, ['ops'], false, true)
  assert.deepEqual(opsOf(v9.topics[0]!.topicAuthorizedOperations), TOPIC_OPS)
  const v9off = await metadataV9.api.async(conn, null, false, false)
  assert.equal(v9off.topics[0]!.topicAuthorizedOperations, INT32_MIN)
})
