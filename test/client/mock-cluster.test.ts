/**
 * The librdkafka mock cluster fixture itself: it starts, answers on every broker, creates
 * topics of the size asked for, obeys control commands, and goes away on close().
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { mockClusterFor } from '../helpers/mock-cluster.js'
import { RawClient } from '../helpers/raw-client.js'

test('mock cluster: every broker answers ApiVersions and Metadata lists them all', async (t) => {
  const mc = await mockClusterFor(t, { brokers: 3 })
  if (!mc) return
  assert.equal(mc.ports.length, 3)
  assert.equal(mc.bootstrap, mc.ports.map((p) => `127.0.0.1:${p}`).join(','))
  for (const port of mc.ports) {
    const c = await RawClient.connect(port)
    t.after(() => c.close())
    const av = await c.request(ApiKey.ApiVersions, 2, {})
    assert.equal(av.errorCode, 0)
    const byKey = new Map(av.apiKeys.map((k) => [k.apiKey, k]))
    for (const key of [ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.ApiVersions, ApiKey.JoinGroup]) {
      assert.ok(byKey.has(key), `advertises API key ${key}`)
      assert.equal(byKey.get(key)!.minVersion, 0)
    }
    // Samsa's admin client cannot lean on the mock for this: it does not implement CreateTopics.
    assert.equal(byKey.has(ApiKey.CreateTopics), false)
  }
  const c = await RawClient.connect(mc.ports[0]!)
  t.after(() => c.close())
  const md = await c.request(ApiKey.Metadata, 1, { topics: [] })
  assert.deepEqual(
    md.brokers.map((b) => [b.nodeId, b.host, b.port]).sort((a, b) => Number(a[0]) - Number(b[0])),
    mc.ports.map((p, i) => [i + 1, '127.0.0.1', p]),
  )
})

test('mock cluster: topics of the requested size; createTopic refuses a duplicate; unknown topics auto-create with 4 partitions', async (t) => {
  const mc = await mockClusterFor(t, { brokers: 2, topics: { seven: 7, one: 1 } })
  if (!mc) return
  await mc.createTopic('later', 3)
  await assert.rejects(mc.createTopic('seven', 2), /error 36/, 'TOPIC_ALREADY_EXISTS')
  const c = await RawClient.connect(mc.ports[1]!)
  t.after(() => c.close())
  const md = await c.request(ApiKey.Metadata, 1, { topics: [{ name: 'seven' }, { name: 'one' }, { name: 'later' }, { name: 'auto' }] })
  assert.deepEqual(
    md.topics.map((x) => [x.name, x.errorCode, x.partitions.length]),
    [
      ['seven', 0, 7],
      ['one', 0, 1],
      ['later', 0, 3],
      ['auto', 0, 4],
    ],
  )
  for (const p of md.topics.flatMap((x) => x.partitions)) assert.ok([1, 2].includes(p.leaderId), `leader ${p.leaderId} is a mock broker`)
})

test('mock cluster: a broker taken down refuses connections until brought up; close() ends the cluster', async (t) => {
  const mc = await mockClusterFor(t, { brokers: 2 })
  if (!mc) return
  await mc.brokerDown(2)
  await assert.rejects(RawClient.connect(mc.ports[1]!), /ECONNREFUSED/)
  await mc.brokerUp(2)
  const up = await RawClient.connect(mc.ports[1]!)
  up.close()

  await mc.close()
  await mc.close()
  await assert.rejects(RawClient.connect(mc.ports[0]!), /ECONNREFUSED/)
  await assert.rejects(mc.createTopic('x', 1), /closed/)
})
