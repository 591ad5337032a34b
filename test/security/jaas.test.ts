import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseJaasConfig } from '../../src/security/jaas.js'

test('a PlainLoginModule entry parses with quoted, escaped and unquoted values', () => {
  const e = parseJaasConfig(`org.apache.kafka.common.security.plain.PlainLoginModule required
    username="admin" // a comment
    user_alice="a l\\"i\\\\ce;=" /* another */ user_bob=bob-pw;`)
  assert.equal(e.loginModule, 'org.apache.kafka.common.security.plain.PlainLoginModule')
  assert.equal(e.flag, 'required')
  assert.deepEqual([...e.options], [['username', 'admin'], ['user_alice', 'a l"i\\ce;='], ['user_bob', 'bob-pw']])
})

test('malformed entries are refused with the key named and no value repeated', () => {
  const bad = [
    ['', /login module class name/],
    ['Mod', /control flag/],
    ['Mod requird a="x";', /control flag/],
    ['Mod required a="secret-1"', /must end with ';'/],
    ['Mod required a "secret-2";', /needs '=value'/],
    ['Mod required a="secret-3;', /unterminated/],
    ['Mod required a=;', /has no value/],
    ['Mod required a="x"; Other required b="y";', /exactly one login module/],
  ] as const
  for (const [text, re] of bad) {
    assert.throws(() => parseJaasConfig(text, 'listener.name.sasl.plain.sasl.jaas.config'), (e: Error) => {
      assert.match(e.message, re, text)
      assert.match(e.message, /^listener\.name\.sasl\.plain\.sasl\.jaas\.config: /)
      assert.doesNotMatch(e.message, /secret/)
      return true
    })
  }
})
