/**
 * The authorizer's decisions against Kafka's StandardAuthorizer rules, one rule per test:
 * each would fail if that rule were dropped (a test allowed by a wildcard also checks the
 * same request is denied without it).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AclBinding, AclEntry, ResourcePattern } from '../../../src/security/authorizer/acl.js'
import { checkSuperUsers, hostOfClientAddress, parseSuperUsers, StandardAuthorizer } from '../../../src/security/authorizer/standard-authorizer.js'
import { SUPPORTED_OPERATIONS } from '../../../src/broker/authorized-operations.js'
import { Operation } from '../../../src/security/authorizer/acl.js'

const IP = '10.0.0.1'

function acl(pattern: Partial<ResourcePattern> & { name: string }, entry: Partial<AclEntry> & Pick<AclEntry, 'operation'>): AclBinding {
  return {
    pattern: { resourceType: 'TOPIC', patternType: 'LITERAL', ...pattern },
    entry: { principal: 'User:alice', host: '*', permission: 'ALLOW', ...entry },
  }
}

function authz(acls: AclBinding[], opts: ConstructorParameters<typeof StandardAuthorizer>[0] = {}): StandardAuthorizer {
  const a = new StandardAuthorizer(opts)
  for (const b of acls) a.acls.add(b)
  return a
}

test('a literal ALLOW grants its operation on that resource only, for that principal only', () => {
  const a = authz([acl({ name: 'orders' }, { operation: 'WRITE' })])
  assert.equal(a.authorize('User:alice', IP, 'WRITE', 'TOPIC', 'orders'), true)
  assert.equal(a.authorize('User:alice', IP, 'READ', 'TOPIC', 'orders'), false)
  assert.equal(a.authorize('User:alice', IP, 'WRITE', 'TOPIC', 'orders2'), false)
  assert.equal(a.authorize('User:bob', IP, 'WRITE', 'TOPIC', 'orders'), false)
  assert.equal(a.authorize('User:alice', IP, 'WRITE', 'GROUP', 'orders'), false, 'resource types are separate')
})

test('no ACLs and no allow.everyone.if.no.acl.found: denied (the default once an authorizer is on)', () => {
  assert.equal(authz([]).authorize('User:alice', IP, 'DESCRIBE', 'TOPIC', 't'), false)
  assert.equal(authz([], { allowEveryoneIfNoAclFound: true }).authorize('User:alice', IP, 'DESCRIBE', 'TOPIC', 't'), true)
})

test('allow.everyone.if.no.acl.found applies only when no ACL names the resource, whoever it is for', () => {
  const a = authz([acl({ name: 't' }, { principal: 'User:bob', operation: 'READ' })], { allowEveryoneIfNoAclFound: true })
  assert.equal(a.authorize('User:alice', IP, 'READ', 'TOPIC', 't'), false, 'bob has an ACL on t, so alice is not let in by default')
  assert.equal(a.authorize('User:alice', IP, 'READ', 'TOPIC', 'other'), true)
  // A prefixed ACL counts as naming every resource it covers.
  const p = authz([acl({ name: 'te', patternType: 'PREFIXED' }, { principal: 'User:bob', operation: 'READ' })], { allowEveryoneIfNoAclFound: true })
  assert.equal(p.authorize('User:alice', IP, 'READ', 'TOPIC', 'test'), false)
})

test('PREFIXED patterns match names starting with the prefix', () => {
  const a = authz([acl({ name: 'team-a.', patternType: 'PREFIXED' }, { operation: 'READ' })])
  assert.equal(a.authorize('User:alice', IP, 'READ', 'TOPIC', 'team-a.orders'), true)
  assert.equal(a.authorize('User:alice', IP, 'READ', 'TOPIC', 'team-a.'), true)
  assert.equal(a.authorize('User:alice', IP, 'READ', 'TOPIC', 'team-b.orders'), false)
  assert.equal(a.authorize('User:alice', IP, 'READ', 'TOPIC', 'team-a'), false)
})

test('the * resource matches every name of its type; a PREFIXED * is only the prefix "*"', () => {
  const a = authz([acl({ name: '*' }, { operation: 'READ' })])
  assert.equal(a.authorize('User:alice', IP, 'READ', 'TOPIC', 'anything'), true)
  assert.equal(a.authorize('User:alice', IP, 'READ', 'GROUP', 'anything'), false)
  const p = authz([acl({ name: '*', patternType: 'PREFIXED' }, { operation: 'READ' })])
  assert.equal(p.authorize('User:alice', IP, 'READ', 'TOPIC', 'anything'), false)
  assert.equal(p.authorize('User:alice', IP, 'READ', 'TOPIC', '*x'), true)
})

test('User:* applies to every principal, of any type', () => {
  const a = authz([acl({ name: 't' }, { principal: 'User:*', operation: 'READ' })])
  assert.equal(a.authorize('User:carol', IP, 'READ', 'TOPIC', 't'), true)
  assert.equal(a.authorize('User:ANONYMOUS', IP, 'READ', 'TOPIC', 't'), true)
  assert.equal(a.authorize('Group:ops', IP, 'READ', 'TOPIC', 't'), true)
  const named = authz([acl({ name: 't' }, { principal: 'User:dave', operation: 'READ' })])
  assert.equal(named.authorize('User:carol', IP, 'READ', 'TOPIC', 't'), false)
})

test('READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; nothing else is implied', () => {
  for (const op of ['READ', 'WRITE', 'DELETE', 'ALTER'] as const) {
    const a = authz([acl({ name: 't' }, { operation: op })])
    assert.equal(a.authorize('User:alice', IP, 'DESCRIBE', 'TOPIC', 't'), true, `${op} implies DESCRIBE`)
    assert.equal(a.authorize('User:alice', IP, 'DESCRIBE_CONFIGS', 'TOPIC', 't'), false, `${op} does not imply DESCRIBE_CONFIGS`)
  }
  const ac = authz([acl({ name: 't' }, { operation: 'ALTER_CONFIGS' })])
  assert.equal(ac.authorize('User:alice', IP, 'DESCRIBE_CONFIGS', 'TOPIC', 't'), true)
  assert.equal(ac.authorize('User:alice', IP, 'DESCRIBE', 'TOPIC', 't'), false)
  const c = authz([acl({ name: 't' }, { operation: 'CREATE' })])
  assert.equal(c.authorize('User:alice', IP, 'DESCRIBE', 'TOPIC', 't'), false, 'CREATE does not imply DESCRIBE')
  const r = authz([acl({ name: 't' }, { operation: 'READ' })])
  assert.equal(r.authorize('User:alice', IP, 'WRITE', 'TOPIC', 't'), false, 'implications run one way only')
})

test('ALL grants every operation and DENY ALL denies every operation', () => {
  const a = authz([acl({ name: 't' }, { operation: 'ALL' })])
  for (const op of ['READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'] as const) {
    assert.equal(a.authorize('User:alice', IP, op, 'TOPIC', 't'), true, op)
  }
  const d = authz([acl({ name: 't' }, { operation: 'ALL' }), acl({ name: 't' }, { operation: 'ALL', permission: 'DENY' })])
  assert.equal(d.authorize('User:alice', IP, 'READ', 'TOPIC', 't'), false)
})

test('DENY wins over ALLOW, from any matching pattern, principal or host', () => {
  const allow = acl({ name: 't' }, { operation: 'READ' })
  assert.equal(authz([allow]).authorize('User:alice', IP, 'READ', 'TOPIC', 't'), true)
  const denies: AclBinding[] = [
    acl({ name: 't' }, { operation: 'READ', permission: 'DENY' }),
    acl({ name: '*' }, { operation: 'READ', permission: 'DENY' }),
    acl({ name: 't', patternType: 'PREFIXED' }, { operation: 'READ', permission: 'DENY' }),
    acl({ name: 't' }, { principal: 'User:*', operation: 'READ', permission: 'DENY' }),
    acl({ name: 't' }, { host: IP, operation: 'READ', permission: 'DENY' }),
  ]
  for (const d of denies) assert.equal(authz([allow, d]).authorize('User:alice', IP, 'READ', 'TOPIC', 't'), false, JSON.stringify(d))
})

test('implications are for ALLOW only: DENY READ does not deny DESCRIBE', () => {
  const a = authz([acl({ name: 't' }, { operation: 'DESCRIBE' }), acl({ name: 't' }, { operation: 'READ', permission: 'DENY' })])
  assert.equal(a.authorize('User:alice', IP, 'DESCRIBE', 'TOPIC', 't'), true)
  assert.equal(a.authorize('User:alice', IP, 'READ', 'TOPIC', 't'), false)
  const d = authz([acl({ name: 't' }, { operation: 'READ' }), acl({ name: 't' }, { operation: 'DESCRIBE', permission: 'DENY' })])
  assert.equal(d.authorize('User:alice', IP, 'DESCRIBE', 'TOPIC', 't'), false, 'DENY DESCRIBE beats the DESCRIBE that READ implies')
  assert.equal(d.authorize('User:alice', IP, 'READ', 'TOPIC', 't'), true)
})

test('hosts: * matches every address, an IP only itself', () => {
  const a = authz([acl({ name: 't' }, { host: '10.0.0.1', operation: 'READ' })])
  assert.equal(a.authorize('User:alice', '10.0.0.1', 'READ', 'TOPIC', 't'), true)
  assert.equal(a.authorize('User:alice', '10.0.0.2', 'READ', 'TOPIC', 't'), false)
  const d = authz([acl({ name: 't' }, { operation: 'READ' }), acl({ name: 't' }, { host: '10.0.0.2', operation: 'READ', permission: 'DENY' })])
  assert.equal(d.authorize('User:alice', '10.0.0.1', 'READ', 'TOPIC', 't'), true)
  assert.equal(d.authorize('User:alice', '10.0.0.2', 'READ', 'TOPIC', 't'), false)
})

test('client addresses become the host ACLs compare: IPv4-mapped IPv6 is the IPv4 address', () => {
  assert.equal(hostOfClientAddress('::ffff:127.0.0.1:53412'), '127.0.0.1')
  assert.equal(hostOfClientAddress('127.0.0.1:9'), '127.0.0.1')
  assert.equal(hostOfClientAddress('::1:4000'), '::1')
  assert.equal(hostOfClientAddress('[::1]:4000'), '::1')
})

test('super users are allowed everything, even against a DENY; super.users is semicolon separated', () => {
  const supers = parseSuperUsers(' User:admin ; User:broker,with,commas ;')
  assert.deepEqual([...supers], ['User:admin', 'User:broker,with,commas'])
  const a = authz([acl({ name: '*' }, { principal: 'User:*', operation: 'ALL', permission: 'DENY' })], { superUsers: supers })
  assert.equal(a.authorize('User:admin', IP, 'DELETE', 'TOPIC', 't'), true)
  assert.equal(a.authorize('User:broker,with,commas', IP, 'CLUSTER_ACTION', 'CLUSTER', 'kafka-cluster'), true)
  assert.equal(a.authorize('User:other', IP, 'DESCRIBE', 'TOPIC', 't'), false)
  assert.equal(checkSuperUsers('User:a;User:b'), undefined)
  assert.match(checkSuperUsers('alice') ?? '', /<type>:<name>/)
})

test('the other resource types: cluster, group, transactional id, delegation token', () => {
  const a = authz([
    acl({ resourceType: 'CLUSTER', name: 'kafka-cluster' }, { operation: 'IDEMPOTENT_WRITE' }),
    acl({ resourceType: 'GROUP', name: 'g-', patternType: 'PREFIXED' }, { operation: 'READ' }),
    acl({ resourceType: 'TRANSACTIONAL_ID', name: 'tx1' }, { operation: 'WRITE' }),
    acl({ resourceType: 'DELEGATION_TOKEN', name: 'tok' }, { operation: 'DESCRIBE' }),
  ])
  assert.equal(a.authorize('User:alice', IP, 'IDEMPOTENT_WRITE', 'CLUSTER', 'kafka-cluster'), true)
  assert.equal(a.authorize('User:alice', IP, 'ALTER', 'CLUSTER', 'kafka-cluster'), false)
  assert.equal(a.authorize('User:alice', IP, 'READ', 'GROUP', 'g-1'), true)
  assert.equal(a.authorize('User:alice', IP, 'DESCRIBE', 'GROUP', 'g-1'), true)
  assert.equal(a.authorize('User:alice', IP, 'DELETE', 'GROUP', 'g-1'), false)
  assert.equal(a.authorize('User:alice', IP, 'DESCRIBE', 'TRANSACTIONAL_ID', 'tx1'), true)
  assert.equal(a.authorize('User:alice', IP, 'WRITE', 'TRANSACTIONAL_ID', 'tx2'), false)
  assert.equal(a.authorize('User:alice', IP, 'DESCRIBE', 'DELEGATION_TOKEN', 'tok'), true)
})

test('authorizeByResourceType: an ALLOW anywhere in the type, unless a DENY shadows it', () => {
  const write = (name: string, patternType: 'LITERAL' | 'PREFIXED' = 'LITERAL', permission: 'ALLOW' | 'DENY' = 'ALLOW') => acl({ name, patternType }, { operation: 'WRITE', permission })
  assert.equal(authz([]).authorizeByResourceType('User:alice', IP, 'WRITE', 'TOPIC'), false)
  assert.equal(authz([], { allowEveryoneIfNoAclFound: true }).authorizeByResourceType('User:alice', IP, 'WRITE', 'TOPIC'), true)
  assert.equal(authz([write('t')]).authorizeByResourceType('User:alice', IP, 'WRITE', 'TOPIC'), true)
  assert.equal(authz([write('t'), write('t', 'LITERAL', 'DENY')]).authorizeByResourceType('User:alice', IP, 'WRITE', 'TOPIC'), false)
  assert.equal(authz([write('ab'), write('a', 'PREFIXED', 'DENY')]).authorizeByResourceType('User:alice', IP, 'WRITE', 'TOPIC'), false)
  assert.equal(authz([write('ab'), write('*', 'LITERAL', 'DENY')]).authorizeByResourceType('User:alice', IP, 'WRITE', 'TOPIC'), false)
  assert.equal(authz([write('ab'), write('b', 'PREFIXED', 'DENY')]).authorizeByResourceType('User:alice', IP, 'WRITE', 'TOPIC'), true)
  assert.equal(authz([write('t')]).authorizeByResourceType('User:alice', IP, 'WRITE', 'GROUP'), false)
})

test('authorizedOperations filters the supported bit set through the ACLs', () => {
  const a = authz([acl({ name: 't' }, { operation: 'READ' })])
  const bits = a.authorizedOperations('User:alice', IP, 'TOPIC', 't', SUPPORTED_OPERATIONS.topic)
  assert.equal(bits, (1 << Operation.READ) | (1 << Operation.DESCRIBE))
  assert.equal(a.authorizedOperations('User:bob', IP, 'TOPIC', 't', SUPPORTED_OPERATIONS.topic), 0)
})

test('removing an ACL takes its grant away; adding it twice keeps one', () => {
  const b = acl({ name: 't', patternType: 'PREFIXED' }, { operation: 'READ' })
  const a = authz([b])
  assert.equal(a.acls.add({ ...b }), false)
  assert.equal(a.acls.size, 1)
  assert.equal(a.acls.remove({ pattern: { ...b.pattern }, entry: { ...b.entry } }), true)
  assert.equal(a.authorize('User:alice', IP, 'READ', 'TOPIC', 'tx'), false)
  assert.equal(a.acls.size, 0)
})
