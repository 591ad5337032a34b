/** FindCoordinator (key 10) against the embedded broker, over a raw socket, across the version range. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { GROUP_METADATA_TOPIC } from '../../../src/coordinator/group/group-log.js'
import { embeddedBroker } from '../helpers.js'
import { RawClient } from '../../helpers/raw-client.js'

const GROUP = 0
const TRANSACTION = 1
const SHARE = 2

for (const version of [0, 1, 2, 3]) {
  test(`FindCoordinator v${version}: a group's coordinator is this broker; __consumer_offsets is created first`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    assert.equal(tb.b.broker.metadata.topic(GROUP_METADATA_TOPIC), undefined)
    const r = await c.request(ApiKey.FindCoordinator, version, { key: 'my-group', keyType: GROUP })
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.deepEqual([r.nodeId, r.host, r.port], [0, tb.b.host, tb.b.port])
    if (version >= 1) assert.equal(r.errorMessage, 'NONE', 'what Kafka sends: Errors.NONE.message()')
    assert.equal(tb.b.broker.metadata.topic(GROUP_METADATA_TOPIC)!.partitions.length, 50)
    const again = await c.request(ApiKey.FindCoordinator, version, { key: '', keyType: GROUP })
    assert.deepEqual([again.errorCode, again.nodeId], [ErrorCode.NONE, 0], 'the empty group id has a coordinator too')
    if (version >= 1) {
      const txn = await c.request(ApiKey.FindCoordinator, version, { key: 'tx', keyType: TRANSACTION })
      assert.deepEqual([txn.errorCode, txn.nodeId, txn.host, txn.port], [ErrorCode.NONE, 0, tb.b.host, tb.b.port], 'a transactional id’s coordinator; __transaction_state is created first')
      assert.equal(tb.b.broker.metadata.topic('__transaction_state')!.partitions.length, 50)
      const empty = await c.request(ApiKey.FindCoordinator, version, { key: '', keyType: TRANSACTION })
      assert.equal(empty.errorCode, ErrorCode.INVALID_REQUEST, 'an empty transactional id has none')
      const share = await c.request(ApiKey.FindCoordinator, version, { key: 'g:id:0', keyType: SHARE })
      assert.equal(share.errorCode, ErrorCode.INVALID_REQUEST, 'share keys need v6')
    }
  })
}

for (const version of [4, 5, 6]) {
  test(`FindCoordinator v${version}: batched keys are answered one by one`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    const r = await c.request(ApiKey.FindCoordinator, version, { keyType: GROUP, coordinatorKeys: ['a', 'b', 'polygenelubricants'] })
    assert.deepEqual(
      r.coordinators!.map((x) => [x.key, x.errorCode, x.nodeId, x.host, x.port, x.errorMessage]),
      ['a', 'b', 'polygenelubricants'].map((k) => [k, ErrorCode.NONE, 0, tb.b.host, tb.b.port, null]),
    )
    const txn = await c.request(ApiKey.FindCoordinator, version, { keyType: TRANSACTION, coordinatorKeys: ['t1', 't2'] })
    assert.deepEqual(txn.coordinators!.map((x) => [x.key, x.errorCode, x.nodeId, x.host, x.port]), [
      ['t1', ErrorCode.NONE, 0, tb.b.host, tb.b.port],
      ['t2', ErrorCode.NONE, 0, tb.b.host, tb.b.port],
    ])
    const share = await c.request(ApiKey.FindCoordinator, version, { keyType: SHARE, coordinatorKeys: ['g:x:0'] })
    assert.equal(share.coordinators![0]!.errorCode, version >= 6 ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.INVALID_REQUEST)
    const bad = await c.request(ApiKey.FindCoordinator, version, { keyType: 9, coordinatorKeys: ['k'] })
    assert.equal(bad.coordinators![0]!.errorCode, ErrorCode.INVALID_REQUEST)
    const none = await c.request(ApiKey.FindCoordinator, version, { keyType: GROUP, coordinatorKeys: [] })
    assert.deepEqual(none.coordinators, [])
  })
}

test('FindCoordinator answers the advertised address and the partition count configured', async (t) => {
  const tb = await embeddedBroker(t, { 'offsets.topic.num.partitions': '3', 'advertised.listeners': 'PLAINTEXT://broker.example:19092' })
  const c = await RawClient.connect(tb.b.broker.listeners[0]!.port, '127.0.0.1')
  t.after(() => c.close())
  const r = await c.request(ApiKey.FindCoordinator, 3, { key: 'g', keyType: GROUP })
  assert.deepEqual([r.errorCode, r.host, r.port], [ErrorCode.NONE, 'broker.example', 19092])
  assert.equal(tb.b.broker.metadata.topic(GROUP_METADATA_TOPIC)!.partitions.length, 3)
})
