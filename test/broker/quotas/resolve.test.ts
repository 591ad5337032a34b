/** Kafka's precedence of user / client-id quota entities, key by key. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { entityKey, parseEntityKey, type QuotaEntity } from '../../../src/broker/quotas/entity.js'
import { resolveQuota, type QuotaTable } from '../../../src/broker/quotas/resolve.js'

function table(rows: Array<[QuotaEntity, Record<string, number>]>): QuotaTable {
  return new Map(rows.map(([entity, values]) => [entityKey(entity), { entity, values }]))
}

// The eight levels, most specific first, each with a distinct producer_byte_rate.
const LEVELS: Array<[QuotaEntity, number, { user: string; clientId: string }]> = [
  [{ user: 'alice', 'client-id': 'app' }, 1, { user: 'alice', clientId: 'app' }],
  [{ user: 'alice', 'client-id': null }, 2, { user: 'alice', clientId: 'app' }],
  [{ user: 'alice' }, 3, { user: 'alice', clientId: '' }],
  [{ user: null, 'client-id': 'app' }, 4, { user: 'alice', clientId: 'app' }],
  [{ user: null, 'client-id': null }, 5, { user: 'alice', clientId: 'app' }],
  [{ user: null }, 6, { user: 'alice', clientId: '' }],
  [{ 'client-id': 'app' }, 7, { user: '', clientId: 'app' }],
  [{ 'client-id': null }, 8, { user: '', clientId: 'app' }],
]

test('each level wins over every level below it, and says who shares the rate', () => {
  for (let i = 0; i < LEVELS.length; i++) {
    const rows = LEVELS.slice(i).map(([e, v]) => [e, { producer_byte_rate: v }] as [QuotaEntity, Record<string, number>])
    const q = resolveQuota(table(rows), 'producer_byte_rate', 'alice', 'app')
    assert.deepEqual(q, { bound: LEVELS[i]![1], ...LEVELS[i]![2] }, `level ${i + 1}`)
  }
})

test('keys resolve on their own: a more specific entity without the key does not hide a general one', () => {
  const t = table([
    [{ user: 'alice', 'client-id': 'app' }, { consumer_byte_rate: 100 }],
    [{ 'client-id': null }, { producer_byte_rate: 5 }],
  ])
  assert.equal(resolveQuota(t, 'producer_byte_rate', 'alice', 'app')?.bound, 5)
  assert.equal(resolveQuota(t, 'consumer_byte_rate', 'alice', 'app')?.bound, 100)
  assert.equal(resolveQuota(t, 'consumer_byte_rate', 'alice', 'other'), undefined)
  assert.equal(resolveQuota(t, 'request_percentage', 'alice', 'app'), undefined)
})

test('other users and client ids do not match named entities; ANONYMOUS is a user like any other', () => {
  const t = table([
    [{ user: 'alice' }, { producer_byte_rate: 3 }],
    [{ user: 'ANONYMOUS', 'client-id': 'app' }, { producer_byte_rate: 9 }],
  ])
  assert.equal(resolveQuota(t, 'producer_byte_rate', 'bob', 'app'), undefined)
  assert.equal(resolveQuota(t, 'producer_byte_rate', 'ANONYMOUS', 'app')?.bound, 9)
  assert.equal(resolveQuota(t, 'producer_byte_rate', 'ANONYMOUS', 'x'), undefined)
})

test('entity keys: order-independent, defaults distinct from a user named <default>, names with separators round-trip', () => {
  assert.equal(entityKey({ user: 'a', 'client-id': 'b' }), entityKey({ 'client-id': 'b', user: 'a' }))
  assert.notEqual(entityKey({ user: null }), entityKey({ user: '<default>' }))
  const odd = { user: 'a,b=c/d', 'client-id': '' }
  assert.deepEqual(parseEntityKey(entityKey(odd)), odd)
  assert.deepEqual(parseEntityKey(entityKey({ user: null, 'client-id': null })), { user: null, 'client-id': null })
  assert.equal(parseEntityKey('ip=1.2.3.4'), undefined)
})
