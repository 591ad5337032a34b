/** DescribeCluster (key 60) against the embedded broker, over a raw socket, both versions. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { embeddedBroker } from '../helpers.js'

const INT32_MIN = -2147483648

for (const version of [0, 1]) {
  test(`DescribeCluster v${version}: brokers, controller and cluster id`, async (t) => {
    const tb = await embeddedBroker(t, { 'broker.id': '3', 'broker.rack': 'r1' })
    const c = await tb.client()
    const r = await c.request(ApiKey.DescribeCluster, version, { includeClusterAuthorizedOperations: false, endpointType: 1 })
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.errorMessage, null)
    assert.equal(r.throttleTimeMs, 0)
    assert.deepEqual(r.brokers, [{ brokerId: 3, host: tb.b.host, port: tb.b.port, rack: 'r1' }])
    assert.equal(r.controllerId, 3)
    assert.equal(r.clusterId, tb.b.broker.metadata.clusterId)
    assert.equal(r.clusterAuthorizedOperations, INT32_MIN)
    if (version >= 1) assert.equal(r.endpointType, 1)
  })
}

test('DescribeCluster: authorized operations, when asked, are every cluster operation (no ACLs)', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const r = await c.request(ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: true })
  // CREATE(5) ALTER(7) DESCRIBE(8) CLUSTER_ACTION(9) DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11) IDEMPOTENT_WRITE(12)
  assert.equal(r.clusterAuthorizedOperations, 0b1_1111_1010_0000)
})

test('DescribeCluster v1: a controllers request to a broker is MISMATCHED_ENDPOINT_TYPE; an unknown type UNSUPPORTED_ENDPOINT_TYPE', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const controllers = await c.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 })
  assert.equal(controllers.errorCode, ErrorCode.MISMATCHED_ENDPOINT_TYPE)
  assert.match(controllers.errorMessage!, /endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER/)
  assert.deepEqual(controllers.brokers, [])
  const unknown = await c.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 9 })
  assert.equal(unknown.errorCode, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE)
  assert.ok(c.isOpen)
})
