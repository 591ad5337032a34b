/**
 * The admin client against librdkafka's mock cluster: another Kafka implementation with old
 * protocol versions (Metadata v0-2, ListOffsets v0-5, OffsetFetch v0-5, no DescribeCluster,
 * no admin APIs), three brokers, and fault injection for the retry paths.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Admin } from '../../../src/client/admin/index.js'
import { ClientError } from '../../../src/client/base/errors.js'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { mockClusterFor } from '../../helpers/mock-cluster.js'

test('mock cluster: describeCluster falls back to Metadata; listTopics and describeTopics on old versions', async (t) => {
  const mock = await mockClusterFor(t, { brokers: 3, topics: { mt: 4 } })
  if (!mock) return
  const admin = new Admin({ bootstrapServers: mock.bootstrap, retryBackoffMs: 20, defaultApiTimeoutMs: 10_000 })
  t.after(() => admin.close())
  const c = await admin.describeCluster()
  assert.deepEqual(
    c.brokers.map((b) => [b.nodeId, b.host, b.port]),
    mock.ports.map((p, i) => [i + 1, '127.0.0.1', p]),
  )
  // The mock names controller 0, which is none of its brokers.
  assert.equal(c.controllerId, null)
  assert.equal(typeof c.clusterId, 'string')

  assert.ok((await admin.listTopics()).includes('mt'))
  const [d] = await admin.describeTopics(['mt'])
  assert.equal(d!.topicId, null, 'Metadata v2 has no topic ids')
  assert.equal(d!.partitions.length, 4)
  for (const p of d!.partitions) {
    assert.ok(p.leader !== null && p.leader >= 1 && p.leader <= 3)
    assert.equal(p.leaderEpoch, null, 'Metadata v2 has no leader epochs')
    assert.equal(p.replicas.length, 3)
  }
})

test('mock cluster: listOffsets follows a moved leader and retries NOT_LEADER_OR_FOLLOWER', async (t) => {
  const mock = await mockClusterFor(t, { brokers: 3, topics: { lo: 2 } })
  if (!mock) return
  const admin = new Admin({ bootstrapServers: mock.bootstrap, retryBackoffMs: 20, defaultApiTimeoutMs: 10_000 })
  t.after(() => admin.close())
  // One partition per request and leader: librdkafka 2.0.2's mock garbles the partitions after
  // the first when it injects an error into a multi-partition ListOffsets.
  await mock.setPartitionLeader('lo', 0, 2)
  await mock.setPartitionLeader('lo', 1, 3)
  await mock.pushRequestErrors(ApiKey.ListOffsets, [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_LEADER_OR_FOLLOWER])
  const r = await admin.listOffsets([
    { topic: 'lo', partition: 0, at: 'earliest' },
    { topic: 'lo', partition: 0, at: 'latest' },
    { topic: 'lo', partition: 1, at: 'latest' },
  ])
  assert.deepEqual(
    r.map((x) => [x.partition, x.offset]),
    [
      [0, 0n],
      [0, 0n],
      [1, 0n],
    ],
  )
  await mock.setPartitionLeader('lo', 0, 3)
  assert.equal((await admin.describeTopics(['lo']))[0]!.partitions[0]!.leader, 3)
  // max-timestamp needs ListOffsets v7; the mock stops at v5.
  await assert.rejects(admin.listOffsets([{ topic: 'lo', partition: 0, at: 'max-timestamp' }]), (e: unknown) => {
    assert.ok(e instanceof ClientError, String(e))
    assert.equal(e.code, 'UNSUPPORTED_VERSION')
    assert.match(e.message, /supports ListOffsets v0-5; this client needs v7-/)
    return true
  })
})

test('mock cluster: group offsets through the coordinator, retrying NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS', async (t) => {
  const mock = await mockClusterFor(t, { brokers: 3, topics: { go: 2 } })
  if (!mock) return
  const admin = new Admin({ bootstrapServers: mock.bootstrap, retryBackoffMs: 20, defaultApiTimeoutMs: 10_000 })
  t.after(() => admin.close())
  await mock.setCoordinator('group', 'mg', 2)
  await mock.pushRequestErrors(ApiKey.OffsetCommit, [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR])
  await admin.alterGroupOffsets('mg', [
    { topic: 'go', partition: 0, offset: 5, metadata: 'm' },
    { topic: 'go', partition: 1, offset: 6 },
  ])
  await mock.pushRequestErrors(ApiKey.OffsetFetch, [ErrorCode.NOT_COORDINATOR])
  // Named topics: the mock cannot answer OffsetFetch for "all topics" (it echoes a null array).
  const committed = await admin.listGroupOffsets('mg', { topics: ['go'] })
  assert.deepEqual(
    committed.map((c) => [c.partition, c.offset, c.metadata]),
    [
      [0, 5n, 'm'],
      [1, 6n, ''],
    ],
  )
})

test('mock cluster: admin APIs the broker lacks fail with UNSUPPORTED_VERSION naming the broker', async (t) => {
  const mock = await mockClusterFor(t, { brokers: 1, topics: { x: 1 } })
  if (!mock) return
  const admin = new Admin({ bootstrapServers: mock.bootstrap, defaultApiTimeoutMs: 5_000 })
  t.after(() => admin.close())
  const unsupported = (api: string) => (e: unknown) => e instanceof ClientError && e.code === 'UNSUPPORTED_VERSION' && new RegExp(`broker 1 .* does not support ${api}|does not support ${api}`).test(e.message)
  await assert.rejects(admin.createTopics([{ topic: 'y', numPartitions: 1 }]), unsupported('CreateTopics'))
  await assert.rejects(admin.describeConfigs([{ type: 'topic', name: 'x' }]), unsupported('DescribeConfigs'))
  await assert.rejects(admin.listGroups(), unsupported('ListGroups'))
})
