import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeBroker, encodeValue } from '../../src/metadata/etcd-layout.js'
import { brokerAddress, type BrokerInfo } from '../../src/metadata/types.js'

test("a broker's per-listener endpoints survive etcd's encoding; older records without them still decode", () => {
  const b: BrokerInfo = { nodeId: 3, host: 'h', port: 1, rack: null, endpoints: [{ listener: 'PLAINTEXT', host: 'h', port: 1 }, { listener: 'SASL_PLAINTEXT', host: 's', port: 2 }] }
  const back = decodeBroker(encodeValue('broker', b))!
  assert.deepEqual(back, b)
  assert.deepEqual(brokerAddress(back, 'SASL_PLAINTEXT'), { host: 's', port: 2 })
  assert.equal(brokerAddress(back, 'OTHER'), undefined, 'a broker without the listener is left out, as Kafka')
  const old = decodeBroker(Buffer.from(JSON.stringify({ nodeId: 1, host: 'o', port: 9, rack: 'r' })))!
  assert.equal(old.endpoints, undefined)
  assert.deepEqual(brokerAddress(old, 'ANY'), { host: 'o', port: 9 })
})
