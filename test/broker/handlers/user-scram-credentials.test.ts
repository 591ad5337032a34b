/** DescribeUserScramCredentials (50) and AlterUserScramCredentials (51) against the embedded broker. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { credentialFromPassword, saltedPassword, scramMechanism } from '../../../src/security/sasl/scram-credential.js'
import { MAX_SCRAM_ALTERATIONS } from '../../../src/broker/handlers/51-alter-user-scram-credentials.js'
import type { RawClient } from '../../helpers/raw-client.js'
import { embeddedBroker } from '../helpers.js'

const SHA256 = 1
const SHA512 = 2
const salt = Buffer.from('0123456789abcdef')
function upsert(name: string, mechanism: number, iterations: number, password = 'pw') {
  const m = mechanism === SHA512 ? scramMechanism('SCRAM-SHA-512')! : scramMechanism('SCRAM-SHA-256')!
  return { name, mechanism, iterations, salt, saltedPassword: saltedPassword(m, password, salt, Math.min(Math.max(iterations, 1), 20000)) }
}
async function alter(c: RawClient, upsertions: ReturnType<typeof upsert>[], deletions: Array<{ name: string; mechanism: number }> = []) {
  const r = await c.request(ApiKey.AlterUserScramCredentials, 0, { deletions, upsertions })
  return Object.fromEntries(r.results.map((x) => [x.user, [x.errorCode, x.errorMessage]]))
}
async function describe(c: RawClient, users: string[] | null) {
  return c.request(ApiKey.DescribeUserScramCredentials, 0, { users: users === null ? null : users.map((name) => ({ name })) })
}

test('AlterUserScramCredentials stores what the client salted; Describe lists mechanisms and iterations', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  assert.deepEqual(await alter(c, [upsert('alice', SHA256, 8192, 'alice-secret'), upsert('alice', SHA512, 4096), upsert('bob', SHA512, 16384)]), { alice: [0, null], bob: [0, null] })
  // What is stored is what a login checks: the StoredKey of that salted password.
  const stored = tb.b.broker.context.metadata.scramCredential('alice', 'SCRAM-SHA-256')!
  assert.deepEqual(stored, credentialFromPassword(scramMechanism('SCRAM-SHA-256')!, 'alice-secret', 8192, salt))
  const all = await describe(c, null)
  assert.equal(all.errorCode, ErrorCode.NONE)
  assert.deepEqual(all.results.map((r) => [r.user, r.errorCode, r.credentialInfos.map((i) => [i.mechanism, i.iterations])]), [
    ['alice', 0, [[SHA256, 8192], [SHA512, 4096]]],
    ['bob', 0, [[SHA512, 16384]]],
  ])
  assert.deepEqual((await describe(c, [])).results.length, 2)
  const some = await describe(c, ['bob', 'carol', 'alice', 'alice'])
  assert.deepEqual(some.results.map((r) => [r.user, r.errorCode]), [['bob', 0], ['carol', ErrorCode.RESOURCE_NOT_FOUND], ['alice', ErrorCode.DUPLICATE_RESOURCE]])
  assert.match(some.results[1]!.errorMessage!, /Attempt to describe a user credential that does not exist: carol/)
  // Delete one mechanism, then the other; deleting again is RESOURCE_NOT_FOUND.
  assert.deepEqual(await alter(c, [], [{ name: 'alice', mechanism: SHA512 }]), { alice: [0, null] })
  assert.deepEqual((await describe(c, ['alice'])).results[0]!.credentialInfos, [{ mechanism: SHA256, iterations: 8192 }])
  assert.deepEqual(await alter(c, [], [{ name: 'alice', mechanism: SHA512 }]), { alice: [ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'] })
})

test("AlterUserScramCredentials refuses as Kafka does, per user, and a refused user's other changes are not made", async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const r = await alter(
    c,
    [upsert('low', SHA256, 4095), upsert('high', SHA512, 16385), upsert('', SHA256, 4096), upsert('mech', 3, 4096), upsert('twice', SHA256, 4096), upsert('twice', SHA256, 8192), upsert('ok', SHA256, 4096), upsert('half', SHA512, 4096)],
    [{ name: 'half', mechanism: SHA256 }],
  )
  assert.deepEqual(Object.fromEntries(Object.entries(r).map(([u, [code]]) => [u, code])), {
    low: ErrorCode.UNACCEPTABLE_CREDENTIAL,
    high: ErrorCode.UNACCEPTABLE_CREDENTIAL,
    '': ErrorCode.UNACCEPTABLE_CREDENTIAL,
    mech: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
    twice: ErrorCode.DUPLICATE_RESOURCE,
    ok: ErrorCode.NONE,
    half: ErrorCode.RESOURCE_NOT_FOUND,
  })
  assert.match(r['low']![1] as string, /^Too few iterations/)
  assert.match(r['high']![1] as string, /^Too many iterations/)
  assert.equal(r['']![1], 'Username must not be empty')
  assert.equal(r['twice']![1], 'A user credential cannot be altered twice in the same request')
  // 'half' asked to delete a missing SHA-256 credential: its SHA-512 upsertion was not made either.
  assert.deepEqual([...tb.b.broker.context.metadata.scramCredentials().keys()], ['ok'])
  // Malformed upsertions (the salted password's length, the salt's) are refused, not stored.
  const bad = await c.request(ApiKey.AlterUserScramCredentials, 0, {
    deletions: [],
    upsertions: [
      { name: 'short', mechanism: SHA512, iterations: 4096, salt, saltedPassword: Buffer.alloc(32) },
      { name: 'nosalt', mechanism: SHA256, iterations: 4096, salt: Buffer.alloc(0), saltedPassword: Buffer.alloc(32) },
    ],
  })
  assert.deepEqual(bad.results.map((x) => [x.user, x.errorCode]), [['short', ErrorCode.UNACCEPTABLE_CREDENTIAL], ['nosalt', ErrorCode.UNACCEPTABLE_CREDENTIAL]])
  // Too many changes in one request: nothing is done.
  const many = Array.from({ length: MAX_SCRAM_ALTERATIONS + 1 }, (_, i) => ({ name: `u${i}`, mechanism: SHA256 }))
  const over = await c.request(ApiKey.AlterUserScramCredentials, 0, { deletions: many, upsertions: [] })
  assert.equal(over.results.length, MAX_SCRAM_ALTERATIONS + 1)
  assert.ok(over.results.every((x) => x.errorCode === ErrorCode.INVALID_REQUEST))
  assert.deepEqual([...tb.b.broker.context.metadata.scramCredentials().keys()], ['ok'])
})
