import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { placeReplicas, type PlacementBroker } from '../../src/metadata/placement.js'
import { KafkaError } from '../../src/protocol/errors.js'

const brokers = (ids: number[], racks?: string[]): PlacementBroker[] => ids.map((nodeId, i) => ({ nodeId, rack: racks ? racks[i]! : null }))

test('without racks: Kafka\'s layout, leaders round robin from the start index, followers shifted every n partitions', () => {
  // The example Kafka documents for assignReplicasToBrokers (5 brokers, 10 partitions, 3 replicas, start 0, shift 0).
  const got = placeReplicas({ brokers: brokers([0, 1, 2, 3, 4]), partitions: 10, replicationFactor: 3, startIndex: 0, shift: 0 })
  assert.deepEqual(got, [
    [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1],
    [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2],
  ])
})

test('with racks: every partition spans as many racks as it can, and leaders stay balanced', () => {
  const bs = brokers([0, 1, 2, 3, 4, 5], ['a', 'a', 'b', 'b', 'c', 'c'])
  const rackOf = new Map(bs.map((b) => [b.nodeId, b.rack]))
  const got = placeReplicas({ brokers: bs, partitions: 12, replicationFactor: 3, startIndex: 0, shift: 0 })
  for (const r of got) assert.equal(new Set(r.map((b) => rackOf.get(b))).size, 3, `partition ${JSON.stringify(r)} spans 3 racks`)
  const leaders = new Map<number, number>()
  for (const r of got) leaders.set(r[0]!, (leaders.get(r[0]!) ?? 0) + 1)
  assert.deepEqual([...leaders.values()], [2, 2, 2, 2, 2, 2])
})

test('more replicas than racks: racks are used once each first, then brokers fill up', () => {
  const got = placeReplicas({ brokers: brokers([0, 1, 2, 3], ['a', 'a', 'b', 'b']), partitions: 4, replicationFactor: 3, startIndex: 0, shift: 0 })
  for (const r of got) {
    assert.equal(new Set(r).size, 3)
    assert.equal(new Set(r.map((b) => (b < 2 ? 'a' : 'b'))).size, 2)
  }
})

test('too few brokers: INVALID_REPLICATION_FACTOR', () => {
  assert.throws(() => placeReplicas({ brokers: brokers([0, 1]), partitions: 1, replicationFactor: 3 }), (e: unknown) => e instanceof KafkaError && e.errorName === 'INVALID_REPLICATION_FACTOR')
})

test('property: distinct live brokers per partition, the requested count, leaders within one of even', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.nat(), fc.nat(), (n, partitions, rf, withRacks, start, shift) => {
      fc.pre(rf <= n)
      const ids = Array.from({ length: n }, (_, i) => i * 10 + 1)
      const bs = brokers(ids, withRacks ? ids.map((_, i) => `r${i % 3}`) : undefined)
      const got = placeReplicas({ brokers: bs, partitions, replicationFactor: rf, startIndex: start % n, shift: shift % n })
      assert.equal(got.length, partitions)
      const leaders = new Map<number, number>()
      for (const r of got) {
        assert.equal(r.length, rf)
        assert.equal(new Set(r).size, rf)
        for (const b of r) assert.ok(ids.includes(b))
        leaders.set(r[0]!, (leaders.get(r[0]!) ?? 0) + 1)
      }
      const counts = ids.map((id) => leaders.get(id) ?? 0)
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `leaders ${counts}`)
    }),
  )
})

test('CreatePartitions continues a topic: partition ids go on from firstPartition', () => {
  const all = placeReplicas({ brokers: brokers([0, 1, 2]), partitions: 6, replicationFactor: 2, startIndex: 1, shift: 1 })
  const tail = placeReplicas({ brokers: brokers([0, 1, 2]), partitions: 3, replicationFactor: 2, startIndex: 1, shift: 1, firstPartition: 3 })
  assert.deepEqual(tail, all.slice(3))
})
