/**
 * Kafka's --topic include list: whole-name regex, commas as alternatives, spaces and
 * surrounding quotes dropped, internal topics left out on request.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CliError } from '../../src/cli/common.js'
import { TopicFilter } from '../../src/cli/topic-filter.js'

test('the regex must match the whole name', () => {
  const f = new TopicFilter('orders.*')
  assert.ok(f.allows('orders'))
  assert.ok(f.allows('orders-eu'))
  assert.ok(!f.allows('old-orders'))
  assert.ok(!new TopicFilter('order').allows('orders'))
})

test('commas are alternatives; spaces and surrounding quotes are dropped', () => {
  const f = new TopicFilter(` "a, b.c" `)
  assert.equal(f.regex, 'a|b.c')
  assert.deepEqual(['a', 'b.c', 'bxc', 'ab', 'c'].filter((t) => f.allows(t)), ['a', 'b.c', 'bxc'])
})

test('internal topics are left out only when asked', () => {
  const f = new TopicFilter('__.*')
  assert.ok(f.allows('__consumer_offsets'))
  assert.ok(!f.allows('__consumer_offsets', true))
  assert.ok(!f.allows('__transaction_state', true))
  assert.ok(f.allows('__mine', true), 'only the broker-owned topics are internal')
})

test('an invalid regex is a usage error naming the flag', () => {
  assert.throws(
    () => new TopicFilter('a(', '--include'),
    (e: unknown) => e instanceof CliError && e.exitCode === 2 && /^--include: a\( is an invalid regex/.test(e.message),
  )
})
