/** DescribeAcls / DeleteAcls filters, as Kafka's ResourcePatternFilter and AccessControlEntryFilter match. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MATCH_ALL_FILTER, type AclBinding, type AclBindingFilter } from '../../../src/security/authorizer/acl.js'
import { AclSet } from '../../../src/security/authorizer/store.js'

const b = (name: string, patternType: 'LITERAL' | 'PREFIXED', resourceType: 'TOPIC' | 'GROUP' = 'TOPIC', principal = 'User:alice'): AclBinding => ({
  pattern: { resourceType, name, patternType },
  entry: { principal, host: '*', operation: 'READ', permission: 'ALLOW' },
})
const set = new AclSet()
const all = [b('foo', 'LITERAL'), b('*', 'LITERAL'), b('fo', 'PREFIXED'), b('f', 'PREFIXED'), b('bar', 'PREFIXED'), b('foo', 'LITERAL', 'GROUP'), b('foo', 'PREFIXED', 'TOPIC', 'User:bob')]
for (const x of all) set.add(x)
const f = (over: Partial<AclBindingFilter>): string[] =>
  set.matching({ ...MATCH_ALL_FILTER, ...over }).map((x) => `${x.pattern.resourceType}:${x.pattern.patternType}:${x.pattern.name}:${x.entry.principal}`).sort()

test('the match-all filter selects every ACL', () => {
  assert.equal(f({}).length, all.length)
})

test('MATCH selects the literal name, the wildcard and the prefixes that cover the name', () => {
  assert.deepEqual(f({ resourceType: 'TOPIC', name: 'foo', patternType: 'MATCH' }), [
    'TOPIC:LITERAL:*:User:alice',
    'TOPIC:LITERAL:foo:User:alice',
    'TOPIC:PREFIXED:f:User:alice',
    'TOPIC:PREFIXED:fo:User:alice',
    'TOPIC:PREFIXED:foo:User:bob',
  ])
})

test('ANY with a name selects exactly that name under any pattern type; LITERAL/PREFIXED only theirs', () => {
  assert.deepEqual(f({ resourceType: 'TOPIC', name: 'foo', patternType: 'ANY' }), ['TOPIC:LITERAL:foo:User:alice', 'TOPIC:PREFIXED:foo:User:bob'])
  assert.deepEqual(f({ resourceType: 'TOPIC', name: 'foo', patternType: 'LITERAL' }), ['TOPIC:LITERAL:foo:User:alice'])
  assert.deepEqual(f({ resourceType: 'TOPIC', name: 'fo', patternType: 'PREFIXED' }), ['TOPIC:PREFIXED:fo:User:alice'])
  assert.deepEqual(f({ name: 'foo', patternType: 'LITERAL' }), ['GROUP:LITERAL:foo:User:alice', 'TOPIC:LITERAL:foo:User:alice'])
})

test('entry fields filter exactly: a principal filter does not expand User:*', () => {
  assert.deepEqual(f({ principal: 'User:bob' }), ['TOPIC:PREFIXED:foo:User:bob'])
  assert.equal(f({ operation: 'WRITE' }).length, 0)
  assert.equal(f({ permission: 'DENY' }).length, 0)
  assert.equal(f({ host: '*' }).length, all.length)
  assert.equal(f({ host: '10.0.0.1' }).length, 0)
})
