/** The admin call machinery on its own: the batch retry loop, AdminError, partition layering. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Cluster } from '../../../src/client/base/cluster.js'
import { resolveBaseOptions } from '../../../src/client/base/options.js'
import { ClientError, KafkaError } from '../../../src/client/base/errors.js'
import { AdminError, Call, distinctLayers, final, finish, settle, type Outcomes } from '../../../src/client/admin/common.js'

function call(timeoutMs: number): { c: Call; cluster: Cluster } {
  const cluster = new Cluster(resolveBaseOptions({ bootstrapServers: '127.0.0.1:1', retryBackoffMs: 10, retryBackoffMaxMs: 20 }))
  return { c: new Call(cluster, 'op', timeoutMs), cluster }
}

test('settle: retriable items go again until they succeed; final ones settle at once', async () => {
  const { c, cluster } = call(2000)
  const sent: string[][] = []
  const s = await settle<string, number>(c, ['a', 'b', 'c'], (e) => e instanceof KafkaError && e.retriable, async (pending, attempt) => {
    sent.push(pending)
    const out: Outcomes<string, number> = new Map()
    for (const item of pending) {
      if (item === 'b' && attempt < 2) out.set(item, new KafkaError('NOT_LEADER_OR_FOLLOWER'))
      else if (item === 'c') out.set(item, final(new KafkaError('UNKNOWN_TOPIC_OR_PARTITION')))
      else out.set(item, attempt)
    }
    return out
  })
  assert.deepEqual(sent, [['a', 'b', 'c'], ['b'], ['b']])
  assert.deepEqual([...s.results], [['a', 0], ['b', 2]])
  assert.deepEqual([...s.failures.keys()], ['c'])
  assert.throws(() => finish(c, ['a', 'b', 'c'], s, (i) => `item ${i}`), (e: unknown) => {
    assert.ok(e instanceof AdminError)
    assert.deepEqual(e.results, [0, 2])
    assert.deepEqual(e.failures.map((f) => f.resource), ['item c'])
    assert.equal(e.retriable, false)
    return true
  })
  cluster.close()
})

test('settle: at the deadline a still-retriable item fails with its last error; missing answers are asked again', async () => {
  const { c, cluster } = call(150)
  let rounds = 0
  const s = await settle<string, true>(c, ['x', 'y'], () => true, async (pending) => {
    rounds++
    // "y" never gets an answer: retried as an unanswered key, then reported.
    return new Map(pending.filter((i) => i === 'x').map((i) => [i, new KafkaError('COORDINATOR_LOAD_IN_PROGRESS')]))
  })
  assert.ok(rounds > 2, `${rounds} rounds`)
  assert.equal((s.failures.get('x') as KafkaError).errorName, 'COORDINATOR_LOAD_IN_PROGRESS')
  assert.ok(s.failures.get('y') instanceof ClientError)
  const e = (() => {
    try {
      finish(c, ['x', 'y'], s, (i) => i)
    } catch (err) {
      return err as AdminError
    }
  })()!
  assert.equal(e.retriable, true)
  assert.match(e.message, /^op: 2 of 2 failed: /)
  cluster.close()
})

test('settle: a thrown non-retriable error fails the call; a thrown retriable one reruns the round', async () => {
  const { c, cluster } = call(2000)
  let n = 0
  const s = await settle<string, true>(c, ['a'], () => false, async (pending) => {
    if (n++ === 0) throw new KafkaError('NOT_COORDINATOR')
    return new Map(pending.map((i) => [i, true as const]))
  })
  assert.equal(s.results.get('a'), true)
  await assert.rejects(
    settle(c, ['a'], () => true, async () => {
      throw new ClientError('INVALID_OPTION', 'nope')
    }),
    /nope/,
  )
  cluster.close()
  await assert.rejects(settle(c, ['a'], () => true, async () => new Map()), (e: unknown) => e instanceof ClientError && e.code === 'CLIENT_CLOSED')
})

test('AdminError lists at most five failures in its message', () => {
  const failures = Array.from({ length: 7 }, (_, i) => ({ resource: `t${i}`, item: i, error: new Error(`t${i}: bad`) }))
  const e = new AdminError('createTopics', failures, [], 9)
  assert.match(e.message, /^createTopics: 7 of 9 failed: t0: bad; t1: bad; t2: bad; t3: bad; t4: bad; and 2 more$/)
})

test('distinctLayers never puts one partition twice in a request', () => {
  const q = (topic: string, partition: number, at: string) => ({ topic, partition, at })
  const layers = distinctLayers([q('a', 0, 'earliest'), q('a', 0, 'latest'), q('a', 1, 'latest'), q('b', 0, 'x'), q('a', 0, 'ts')])
  assert.deepEqual(
    layers.map((l) => l.map((x) => `${x.topic}-${x.partition}:${x.at}`)),
    [['a-0:earliest', 'a-1:latest', 'b-0:x'], ['a-0:latest'], ['a-0:ts']],
  )
})
