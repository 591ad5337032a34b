/** Admin ACLs: createAcls, describeAcls and deleteAcls against an embedded broker with Samsa's authorizer. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AdminError, type AclBinding } from '../../../src/client/admin/index.js'
import { KafkaError } from '../../../src/client/base/errors.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { adminBroker } from './helpers.js'

const binding = (name: string, operation: AclBinding['entry']['operation'], patternType: 'LITERAL' | 'PREFIXED' = 'LITERAL', principal = 'User:alice'): AclBinding => ({
  pattern: { resourceType: 'TOPIC', name, patternType },
  entry: { principal, host: '*', operation, permission: 'ALLOW' },
})
const sortKey = (b: AclBinding) => JSON.stringify(b)

test('createAcls stores bindings; describeAcls selects LITERAL, ANY and MATCH as Kafka; deleteAcls answers what each filter removed', async (t) => {
  const { b, admin } = await adminBroker(t, { 'authorizer.class.name': 'samsa', 'super.users': 'User:ANONYMOUS' })
  const acls = [binding('orders', 'WRITE'), binding('ord', 'READ', 'PREFIXED'), binding('*', 'DESCRIBE', 'LITERAL', 'User:bob')]
  await admin.createAcls(acls)
  await admin.createAcls([acls[0]!]) // an existing ACL: succeeds, kept once
  assert.equal(b.broker.metadata.acls().length, 3)

  const any = { principal: null, host: null, operation: 'ANY', permission: 'ANY' } as const
  assert.deepEqual(await admin.describeAcls({ resourceType: 'TOPIC', name: 'orders', patternType: 'LITERAL', ...any }), [acls[0]])
  assert.deepEqual((await admin.describeAcls({ resourceType: 'TOPIC', name: 'orders', patternType: 'MATCH', ...any })).map(sortKey).sort(), acls.map(sortKey).sort())
  assert.deepEqual(await admin.describeAcls({ resourceType: 'TOPIC', name: 'ord', patternType: 'ANY', ...any }), [acls[1]])

  const removed = await admin.deleteAcls([
    { resourceType: 'TOPIC', name: 'orders', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'WRITE', permission: 'ALLOW' },
    { resourceType: 'TOPIC', name: 'nothing', patternType: 'LITERAL', ...any },
  ])
  assert.deepEqual(removed, [[acls[0]], []])
  assert.equal(b.broker.metadata.acls().length, 2)
})

test('createAcls: a binding the broker refuses fails alone in the AdminError; without an authorizer describeAcls fails with SECURITY_DISABLED', async (t) => {
  const { b, admin } = await adminBroker(t, { 'authorizer.class.name': 'samsa', 'super.users': 'User:ANONYMOUS' })
  const bad: AclBinding = { pattern: { resourceType: 'CLUSTER', name: 'not-the-cluster', patternType: 'LITERAL' }, entry: { principal: 'User:alice', host: '*', operation: 'ALTER', permission: 'ALLOW' } }
  const err = await admin.createAcls([binding('fine', 'READ'), bad]).then(
    () => assert.fail('expected an AdminError'),
    (e: unknown) => e,
  )
  assert.ok(err instanceof AdminError)
  assert.equal(err.failures.length, 1)
  assert.equal(err.failures[0]!.item, bad)
  assert.ok(err.failures[0]!.error instanceof KafkaError && err.failures[0]!.error.code === ErrorCode.INVALID_REQUEST)
  assert.match(err.message, /kafka-cluster/)
  // The broker stores the valid ones of a request together; the refused one left nothing.
  assert.deepEqual(b.broker.metadata.acls(), [binding('fine', 'READ')])

  const plain = await adminBroker(t)
  await assert.rejects(plain.admin.describeAcls({ resourceType: 'ANY', name: null, patternType: 'ANY', principal: null, host: null, operation: 'ANY', permission: 'ANY' }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.SECURITY_DISABLED)
})
