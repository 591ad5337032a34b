/**
 * CreateAcls, DescribeAcls and DeleteAcls driven by kafkajs's admin client against the embedded
 * broker on PLAINTEXT, where every connection is User:ANONYMOUS (ACLs for it work as in Kafka).
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import kafkajs, { type Admin } from 'kafkajs'
import { startBroker, type StartedBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'

const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs

async function setup(t: TestContext, config: Record<string, string>): Promise<{ b: StartedBroker; admin: Admin }> {
  const b = await startBroker({ logger: createLogger({ level: 'error' }), config })
  t.after(() => b.close())
  const admin = new Kafka({ clientId: 'samsa-acls', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  return { b, admin }
}

const AUTHORIZER = { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' }
const topicAcl = (name: string, operation: number, patternType = ResourcePatternTypes.LITERAL, principal = 'User:alice') => ({
  resourceType: AclResourceTypes.TOPIC,
  resourceName: name,
  resourcePatternType: patternType,
  principal,
  host: '*',
  operation,
  permissionType: AclPermissionTypes.ALLOW,
})

test('without an authorizer the ACL APIs answer SECURITY_DISABLED', async (t) => {
  const { admin } = await setup(t, {})
  await assert.rejects(admin.createAcls({ acl: [topicAcl('t', AclOperationTypes.READ)] }), /SECURITY_DISABLED|Security features are disabled/i)
  await assert.rejects(
    admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }),
    /SECURITY_DISABLED|Security features are disabled/i,
  )
})

test('kafkajs creates, describes (MATCH, ANY, by principal) and deletes ACLs', async (t) => {
  // allow.everyone.if.no.acl.found lets ANONYMOUS manage ACLs while no ACL names the cluster.
  const { b, admin } = await setup(t, { ...AUTHORIZER, 'allow.everyone.if.no.acl.found': 'true' })
  await admin.createAcls({
    acl: [
      topicAcl('orders', AclOperationTypes.READ),
      topicAcl('team-', AclOperationTypes.WRITE, ResourcePatternTypes.PREFIXED),
      topicAcl('*', AclOperationTypes.DESCRIBE, ResourcePatternTypes.LITERAL, 'User:bob'),
      topicAcl('other', AclOperationTypes.READ),
    ],
  })
  assert.equal(b.broker.metadata.acls().length, 4)
  const match = await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: 'team-orders', resourcePatternType: ResourcePatternTypes.MATCH, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY })
  const names = match.resources.map((r) => `${r.resourcePatternType}:${r.resourceName}`).sort()
  assert.deepEqual(names, [`${ResourcePatternTypes.LITERAL}:*`, `${ResourcePatternTypes.PREFIXED}:team-`])
  const bob = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, principal: 'User:bob', resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY })
  assert.deepEqual(bob.resources.flatMap((r) => r.acls.map((a) => [r.resourceName, a.principal, a.operation])), [['*', 'User:bob', AclOperationTypes.DESCRIBE]])

  const deleted = await admin.deleteAcls({
    filters: [
      { resourceType: AclResourceTypes.TOPIC, resourceName: 'team-', resourcePatternType: ResourcePatternTypes.PREFIXED, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY },
      { resourceType: AclResourceTypes.TOPIC, resourceName: 'nothing', resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY },
    ],
  })
  assert.deepEqual(deleted.filterResponses.map((f) => f.matchingAcls.map((a) => a.resourceName)), [['team-'], []])
  const rest = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY })
  assert.deepEqual(rest.resources.map((r) => r.resourceName).sort(), ['*', 'orders', 'other'])
})

test('an invalid creation is refused by itself with INVALID_REQUEST and leaves no ACL', async (t) => {
  const { b, admin } = await setup(t, { ...AUTHORIZER, 'allow.everyone.if.no.acl.found': 'true' })
  const bad = { ...topicAcl('x', AclOperationTypes.READ), resourceType: AclResourceTypes.CLUSTER, resourceName: 'not-kafka-cluster' }
  await assert.rejects(admin.createAcls({ acl: [bad] }), /request being malformed|INVALID_REQUEST/i)
  assert.equal(b.broker.metadata.acls().length, 0)
})

test('the ACL APIs need DESCRIBE / ALTER on the cluster: CLUSTER_AUTHORIZATION_FAILED until granted', async (t) => {
  const { b, admin } = await setup(t, AUTHORIZER)
  const describeAll = () => admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY })
  await assert.rejects(describeAll(), /CLUSTER_AUTHORIZATION_FAILED|Cluster authorization failed|not authorized/i)
  await assert.rejects(admin.createAcls({ acl: [topicAcl('t', AclOperationTypes.READ)] }), /CLUSTER_AUTHORIZATION_FAILED|Cluster authorization failed|not authorized/i)
  assert.equal(b.broker.metadata.acls().length, 0)
  await b.broker.metadata.createAcls([{ pattern: { resourceType: 'CLUSTER', name: 'kafka-cluster', patternType: 'LITERAL' }, entry: { principal: 'User:ANONYMOUS', host: '*', operation: 'DESCRIBE', permission: 'ALLOW' } }])
  assert.equal((await describeAll()).resources.length, 1, 'DESCRIBE allows DescribeAcls')
  await assert.rejects(admin.createAcls({ acl: [topicAcl('t', AclOperationTypes.READ)] }), /CLUSTER_AUTHORIZATION_FAILED|Cluster authorization failed|not authorized/i, 'but not CreateAcls')
  await b.broker.metadata.createAcls([{ pattern: { resourceType: 'CLUSTER', name: 'kafka-cluster', patternType: 'LITERAL' }, entry: { principal: 'User:ANONYMOUS', host: '127.0.0.1', operation: 'ALTER', permission: 'ALLOW' } }])
  await admin.createAcls({ acl: [topicAcl('t', AclOperationTypes.READ)] })
  assert.equal(b.broker.metadata.acls().length, 3)
})
