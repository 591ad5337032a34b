/**
 * The table of docs/security.md, driven request by request with the raw client as
 * User:ANONYMOUS: each API is refused with its error code without the permission, and not
 * refused once the ACL the table names is granted (through the store, as CreateAcls would).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import type { AclBinding } from '../../src/security/authorizer/acl.js'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { RawClient } from '../helpers/raw-client.js'

type Grant = [AclBinding['pattern']['resourceType'], string, AclBinding['entry']['operation']]
interface Case {
  api: string
  grant: Grant
  refusal: number
  call: (c: RawClient) => Promise<number>
}

const cases: Case[] = [
  { api: 'CreateTopics', grant: ['CLUSTER', 'kafka-cluster', 'CREATE'], refusal: ErrorCode.TOPIC_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'made', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })).topics[0]!.errorCode },
  { api: 'DeleteTopics', grant: ['TOPIC', 'doomed', 'DELETE'], refusal: ErrorCode.TOPIC_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.DeleteTopics, 5, { topicNames: ['doomed'], timeoutMs: 5000 })).responses[0]!.errorCode },
  { api: 'CreatePartitions', grant: ['TOPIC', 't', 'ALTER'], refusal: ErrorCode.TOPIC_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: 't', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: true })).results[0]!.errorCode },
  { api: 'DeleteRecords', grant: ['TOPIC', 't', 'DELETE'], refusal: ErrorCode.TOPIC_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.DeleteRecords, 2, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 5000 })).topics[0]!.partitions[0]!.errorCode },
  { api: 'DescribeConfigs (topic)', grant: ['TOPIC', 't', 'ALTER_CONFIGS'], refusal: ErrorCode.TOPIC_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })).results[0]!.errorCode },
  { api: 'DescribeConfigs (broker)', grant: ['CLUSTER', 'kafka-cluster', 'DESCRIBE_CONFIGS'], refusal: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: '0', configurationKeys: ['log.retention.hours'] }], includeSynonyms: false, includeDocumentation: false })).results[0]!.errorCode },
  { api: 'IncrementalAlterConfigs (topic)', grant: ['TOPIC', 't', 'ALTER_CONFIGS'], refusal: ErrorCode.TOPIC_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] }], validateOnly: true })).responses[0]!.errorCode },
  { api: 'InitProducerId (idempotent)', grant: ['CLUSTER', 'kafka-cluster', 'IDEMPOTENT_WRITE'], refusal: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 })).errorCode },
  { api: 'InitProducerId (transactional)', grant: ['TRANSACTIONAL_ID', 'tx', 'WRITE'], refusal: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.InitProducerId, 4, { transactionalId: 'tx', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 })).errorCode },
  { api: 'EndTxn', grant: ['TRANSACTIONAL_ID', 'tx2', 'WRITE'], refusal: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.EndTxn, 3, { transactionalId: 'tx2', producerId: 1n, producerEpoch: 0, committed: false })).errorCode },
  { api: 'WriteTxnMarkers', grant: ['CLUSTER', 'kafka-cluster', 'CLUSTER_ACTION'], refusal: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.WriteTxnMarkers, 1, { markers: [{ producerId: 77n, producerEpoch: 0, transactionResult: false, topics: [{ name: 't', partitionIndexes: [0] }], coordinatorEpoch: 0 }] })).markers[0]!.topics[0]!.partitions[0]!.errorCode },
  { api: 'AddPartitionsToTxn v4+ (brokers)', grant: ['CLUSTER', 'kafka-cluster', 'CLUSTER_ACTION'], refusal: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.AddPartitionsToTxn, 4, { transactions: [{ transactionalId: 'tx3', producerId: 1n, producerEpoch: 0, verifyOnly: true, topics: [{ name: 't', partitions: [0] }] }] })).errorCode ?? -1 },
  { api: 'ListPartitionReassignments', grant: ['CLUSTER', 'kafka-cluster', 'DESCRIBE'], refusal: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 5000, topics: null })).errorCode },
  { api: 'DescribeLogDirs', grant: ['CLUSTER', 'kafka-cluster', 'DESCRIBE'], refusal: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.DescribeLogDirs, 4, { topics: null })).errorCode ?? -1 },
  { api: 'DeleteGroups', grant: ['GROUP', 'gone', 'DELETE'], refusal: ErrorCode.GROUP_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ['gone'] })).results[0]!.errorCode },
  { api: 'DescribeClientQuotas', grant: ['CLUSTER', 'kafka-cluster', 'DESCRIBE_CONFIGS'], refusal: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false })).errorCode },
  { api: 'AlterClientQuotas', grant: ['CLUSTER', 'kafka-cluster', 'ALTER_CONFIGS'], refusal: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.AlterClientQuotas, 1, { entries: [{ entity: [{ entityType: 'client-id', entityName: 'slow' }], ops: [{ key: 'producer_byte_rate', value: 1048576, remove: false }] }], validateOnly: true })).entries[0]!.errorCode },
  { api: 'DescribeUserScramCredentials', grant: ['CLUSTER', 'kafka-cluster', 'DESCRIBE'], refusal: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.DescribeUserScramCredentials, 0, { users: null })).errorCode },
  { api: 'AlterUserScramCredentials', grant: ['CLUSTER', 'kafka-cluster', 'ALTER'], refusal: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.AlterUserScramCredentials, 0, { deletions: [], upsertions: [{ name: 'scram-user', mechanism: 1, iterations: 4096, salt: Buffer.alloc(16, 1), saltedPassword: Buffer.alloc(32, 2) }] })).results[0]!.errorCode },
  { api: 'DescribeGroups', grant: ['GROUP', 'seen', 'DESCRIBE'], refusal: ErrorCode.GROUP_AUTHORIZATION_FAILED, call: async (c) => (await c.request(ApiKey.DescribeGroups, 5, { groups: ['seen'], includeAuthorizedOperations: false })).groups[0]!.errorCode },
]

for (const k of cases) {
  test(`${k.api}: refused without ${k.grant[2]} on ${k.grant[0]} ${k.grant[1]}, not refused with it`, async (t) => {
    const b = await startBroker({ logger: createLogger({ level: 'error' }), config: { 'authorizer.class.name': 'samsa', 'auto.create.topics.enable': 'false' } })
    t.after(() => b.close())
    await b.broker.createTopic('t', 1)
    await b.broker.createTopic('doomed', 1)
    const c = await RawClient.connect(b.port, b.host)
    t.after(() => c.close())
    assert.equal(await k.call(c), k.refusal, 'refused without the ACL')
    await b.broker.metadata.createAcls([{ pattern: { resourceType: k.grant[0], name: k.grant[1], patternType: 'LITERAL' }, entry: { principal: 'User:ANONYMOUS', host: '*', operation: k.grant[2], permission: 'ALLOW' } }])
    assert.notEqual(await k.call(c), k.refusal, 'not refused with it')
  })
}
