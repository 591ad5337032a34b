import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ERRORS, ErrorCode, KafkaError, errorByCode, errorByName, type ErrorName } from '../../src/protocol/errors.js'

test('codes and names are unique, and ERRORS matches ErrorCode', () => {
  const codes = ERRORS.map((e) => e.code)
  const names = ERRORS.map((e) => e.name)
  assert.equal(new Set(codes).size, codes.length)
  assert.equal(new Set(names).size, names.length)
  assert.equal(ERRORS.length, Object.keys(ErrorCode).length)
  for (const e of ERRORS) assert.equal(ErrorCode[e.name as ErrorName], e.code)
})

test('ERRORS is ordered by code and dense from -1 to the highest code', () => {
  ERRORS.forEach((e, i) => assert.equal(e.code, i - 1))
  assert.equal(ERRORS[0]!.name, 'UNKNOWN_SERVER_ERROR')
  assert.equal(ERRORS[1]!.name, 'NONE')
  assert.equal(ERRORS.at(-1)!.code, 132)
})

test('every error has a non-empty one-line message', () => {
  for (const e of ERRORS) {
    assert.ok(e.message.length > 0, e.name)
    assert.ok(!e.message.includes('\n'), e.name)
  }
})

test('well-known codes and retriable flags', () => {
  const cases: [ErrorName, number, boolean][] = [
    ['UNKNOWN_SERVER_ERROR', -1, false],
    ['NONE', 0, false],
    ['OFFSET_OUT_OF_RANGE', 1, false],
    ['CORRUPT_MESSAGE', 2, true],
    ['UNKNOWN_TOPIC_OR_PARTITION', 3, true],
    ['LEADER_NOT_AVAILABLE', 5, true],
    ['NOT_LEADER_OR_FOLLOWER', 6, true],
    ['REQUEST_TIMED_OUT', 7, true],
    ['MESSAGE_TOO_LARGE', 10, false],
    ['COORDINATOR_LOAD_IN_PROGRESS', 14, true],
    ['COORDINATOR_NOT_AVAILABLE', 15, true],
    ['NOT_COORDINATOR', 16, true],
    ['NOT_ENOUGH_REPLICAS', 19, true],
    ['ILLEGAL_GENERATION', 22, false],
    ['UNKNOWN_MEMBER_ID', 25, false],
    ['REBALANCE_IN_PROGRESS', 27, false],
    ['TOPIC_AUTHORIZATION_FAILED', 29, false],
    ['UNSUPPORTED_VERSION', 35, false],
    ['TOPIC_ALREADY_EXISTS', 36, false],
    ['NOT_CONTROLLER', 41, true],
    ['INVALID_REQUEST', 42, false],
    ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45, false],
    ['CONCURRENT_TRANSACTIONS', 51, true],
    ['KAFKA_STORAGE_ERROR', 56, true],
    ['UNKNOWN_PRODUCER_ID', 59, false],
    ['FENCED_LEADER_EPOCH', 74, true],
    ['MEMBER_ID_REQUIRED', 79, false],
    ['PRODUCER_FENCED', 90, false],
    ['UNKNOWN_TOPIC_ID', 100, true],
    ['FENCED_MEMBER_EPOCH', 110, false],
    ['INVALID_REGISTRATION', 119, false],
    ['TRANSACTION_ABORTABLE', 120, false],
    ['INVALID_RECORD_STATE', 121, false],
    ['SHARE_SESSION_NOT_FOUND', 122, true],
    ['FENCED_STATE_EPOCH', 124, false],
    ['INVALID_VOTER_KEY', 125, false],
    ['DUPLICATE_VOTER', 126, false],
    ['VOTER_NOT_FOUND', 127, false],
    ['REBOOTSTRAP_REQUIRED', 129, false],
  ]
  for (const [name, code, retriable] of cases) {
    assert.equal(ErrorCode[name], code, name)
    const byCode = errorByCode(code)
    assert.equal(byCode.name, name)
    assert.equal(byCode.retriable, retriable, name)
    assert.equal(errorByName(name), byCode)
  }
})

test('errorByCode synthesizes entries for unknown codes', () => {
  for (const code of [-2, -100, 133, 999, 32767, -32768]) {
    const e = errorByCode(code)
    assert.equal(e.code, code)
    assert.equal(e.name, `UNKNOWN_ERROR_${code}`)
    assert.equal(e.retriable, false)
    assert.ok(e.message.length > 0)
  }
  assert.equal(errorByCode(1.5).name, 'UNKNOWN_ERROR_1.5')
})

test('KafkaError from a code or a name', () => {
  const a = new KafkaError(6)
  assert.ok(a instanceof Error)
  assert.ok(a instanceof KafkaError)
  assert.equal(a.name, 'KafkaError')
  assert.equal(a.code, 6)
  assert.equal(a.errorName, 'NOT_LEADER_OR_FOLLOWER')
  assert.equal(a.retriable, true)
  assert.equal(a.message, errorByCode(6).message)

  const b = new KafkaError('MESSAGE_TOO_LARGE', 'batch of 2 MiB exceeds max.message.bytes')
  assert.equal(b.code, 10)
  assert.equal(b.errorName, 'MESSAGE_TOO_LARGE')
  assert.equal(b.retriable, false)
  assert.equal(b.message, 'batch of 2 MiB exceeds max.message.bytes')

  const c = new KafkaError(4242)
  assert.equal(c.code, 4242)
  assert.equal(c.errorName, 'UNKNOWN_ERROR_4242')
  assert.equal(c.retriable, false)
})

test('the tables are frozen', () => {
  assert.ok(Object.isFrozen(ERRORS))
  assert.ok(Object.isFrozen(ERRORS[0]))
})
