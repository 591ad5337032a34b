/**
 * Regression (issue 13): creates, deletes and auto-creates of the same topic names racing on
 * one broker process, from raw clients and kafkajs admin clients. Before topic changes were
 * serialised per name, some creates answered UNKNOWN_SERVER_ERROR and the broker logged
 * "has topic id X, not Y" (a new topic adopting the old topic's partition dirs).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import kafkajs from 'kafkajs'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ZERO_UUID } from '../../src/protocol/primitives/uuid.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { RawClient } from '../helpers/raw-client.js'
import { deferrer } from '../helpers/groups.js'

const { Kafka, logLevel } = kafkajs

const NAMES = ['race-a', 'race-b', 'race-c']
const PARTITIONS = 4
const ALLOWED = new Set<number>([ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
const ALLOWED_KAFKAJS = new Set(['TOPIC_ALREADY_EXISTS', 'UNKNOWN_TOPIC_OR_PARTITION'])

/** Raw requests, so the test sees every code the broker answers. */
async function rawWorker(c: RawClient, worker: number, rounds: number, codes: Array<[string, number, string | null]>): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const name = NAMES[(worker + i) % NAMES.length]!
    switch ((worker * 7 + i) % 3) {
      case 0: {
        const r = await c.request(ApiKey.CreateTopics, 7, {
          topics: [{ name, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 5000,
          validateOnly: false,
        })
        for (const t of r.topics) codes.push(['CreateTopics', t.errorCode, t.errorMessage ?? null])
        break
      }
      case 1: {
        const r = await c.request(ApiKey.DeleteTopics, 6, { topics: [{ name, topicId: ZERO_UUID }], timeoutMs: 5000 })
        for (const t of r.responses) codes.push(['DeleteTopics', t.errorCode, t.errorMessage ?? null])
        break
      }
      default: {
        const r = await c.request(ApiKey.Metadata, 9, {
          topics: [{ name, topicId: ZERO_UUID }],
          allowAutoTopicCreation: true,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        })
        for (const t of r.topics) codes.push(['Metadata', t.errorCode, null])
      }
    }
  }
}

/** The codes kafkajs reports for an admin call that failed (it wraps them in aggregate and retry errors). */
function kafkajsTypes(e: unknown): string[] {
  const err = e as { type?: string; errors?: unknown[]; cause?: unknown; name?: string; message?: string }
  if (Array.isArray(err.errors) && err.errors.length > 0) return err.errors.flatMap(kafkajsTypes)
  if (err.type) return [err.type]
  if (err.cause) return kafkajsTypes(err.cause)
  return [`${err.name}: ${err.message}`]
}

test('racing creates, deletes and auto-creates of the same names answer only NONE, TOPIC_ALREADY_EXISTS or UNKNOWN_TOPIC_OR_PARTITION; the state survives a restart', async (t) => {
  const defer = deferrer(t)
  const logDir = mkdtempSync(join(tmpdir(), 'samsa-race-'))
  defer(() => rmSync(logDir, { recursive: true, force: true }))
  let b = await startBrokerProcess({ logDir, overrides: { 'num.partitions': String(PARTITIONS) } })
  defer(() => b.stop())

  const codes: Array<[string, number, string | null]> = []
  const clients = await Promise.all(Array.from({ length: 4 }, () => RawClient.connect(b.port, b.host)))
  defer(() => clients.forEach((c) => c.close()))

  const kafka = new Kafka({ clientId: 'samsa-race', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } })
  const admins = [kafka.admin(), kafka.admin()]
  await Promise.all(admins.map((a) => a.connect()))
  defer(() => Promise.all(admins.map((a) => a.disconnect())))
  const kafkajsFailures: string[] = []
  const adminWorker = async (admin: (typeof admins)[number], worker: number, rounds: number) => {
    for (let i = 0; i < rounds; i++) {
      const topic = NAMES[(worker + i) % NAMES.length]!
      try {
        if (i % 2 === 0) await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: false })
        else await admin.deleteTopics({ topics: [topic] })
      } catch (e) {
        kafkajsFailures.push(...kafkajsTypes(e))
      }
    }
  }

  await Promise.all([...clients.map((c, i) => rawWorker(c, i, 150, codes)), ...admins.map((a, i) => adminWorker(a, i, 40))])

  const unexpected = codes.filter(([, code]) => !ALLOWED.has(code))
  assert.deepEqual(unexpected, [], `unexpected answers: ${JSON.stringify(unexpected.slice(0, 5))}`)
  assert.deepEqual(kafkajsFailures.filter((type) => !ALLOWED_KAFKAJS.has(type)), [])
  assert.ok(codes.some(([api, code]) => api === 'CreateTopics' && code === ErrorCode.NONE), 'some creates succeeded')
  assert.ok(codes.some(([api, code]) => api === 'DeleteTopics' && code === ErrorCode.NONE), 'some deletes succeeded')
  assert.doesNotMatch(b.stderr(), /topic id/)
  assert.doesNotMatch(b.stderr(), /"level":"error"/)

  // What the broker says now, and again after a restart, matches the partition dirs on disk.
  const describe = async (): Promise<Map<string, { id: string; partitions: number }>> => {
    const c = await RawClient.connect(b.port, b.host)
    try {
      const r = await c.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
      return new Map(r.topics.filter((x) => NAMES.includes(x.name!)).map((x) => [x.name!, { id: x.topicId ?? "", partitions: x.partitions.length }]))
    } finally {
      c.close()
    }
  }
  const before = await describe()
  clients.forEach((c) => c.close())
  await Promise.all(admins.map((a) => a.disconnect()))
  await b.stop()
  b = await startBrokerProcess({ logDir })
  const after = await describe()
  assert.deepEqual(after, before)
  const dirs = readdirSync(logDir).filter((d) => NAMES.some((n) => d.startsWith(`${n}-`)))
  const expected = [...after].flatMap(([name, { partitions }]) => Array.from({ length: partitions }, (_, p) => `${name}-${p}`))
  assert.deepEqual(dirs.sort(), expected.sort())
  for (const [name, { id, partitions }] of after) {
    assert.equal(partitions, PARTITIONS)
    for (let p = 0; p < partitions; p++) {
      // Kafka's partition.metadata: "version: 0\ntopic_id: <id>".
      const stored = readFileSync(join(logDir, `${name}-${p}`, 'partition.metadata'), 'utf8')
      assert.match(stored, new RegExp(`topic_id: ${id}`), `${name}-${p} belongs to the topic metadata names`)
    }
  }
  assert.doesNotMatch(b.stderr(), /"level":"(warn|error)"/)
})
