import { test } from 'node:test'
import assert from 'node:assert/strict'
import { satisfiesNodeRange } from './node-range.js'

test('satisfiesNodeRange reads the engines ranges packages declare', () => {
  const cases: [string, string, boolean][] = [
    // @platformatic/dynamic-buffer 0.3.1 and @platformatic/kafka 1.35.0: the warnings issue 14 names.
    ['20.20.2', '>= 22.19.0', false],
    ['22.19.0', '>= 22.19.0', true],
    ['20.20.2', '>= 20.19.4 || >= 22.18.0 || >= 24.6.0', true],
    ['20.19.3', '>= 20.19.4 || >= 22.18.0 || >= 24.6.0', false],
    ['20.20.2', '>= 22.22.0 || >= 24.6.0', false],
    ['20.20.2', '>=20', true],
    ['20.20.2', '>=6.0', true],
    ['20.20.2', '*', true],
    ['20.20.2', '', true],
    ['20.20.2', '20.x', true],
    ['21.0.0', '20', false],
    ['20.20.2', '>=14 <20', false],
    ['19.9.9', '>=14 <20', true],
    ['20.20.2', '>20', false],
    ['21.0.0', '>20', true],
    ['20.20.2', '<=20', true],
    ['20.20.2', '^20.19.0', true],
    ['21.0.0', '^20.19.0', false],
    ['0.3.9', '^0.2.3', false],
    ['0.2.9', '^0.2.3', true],
    ['20.20.2', '~20.19.0', false],
    ['20.19.9', '~20.19', true],
    ['20.20.2', '18 - 20', true],
    ['21.0.0', '18 - 20', false],
    ['20.20.2', '^18 || ^20 || >=22', true],
  ]
  for (const [version, range, want] of cases) assert.equal(satisfiesNodeRange(version, range), want, `${version} in ${JSON.stringify(range)}`)
})

test('satisfiesNodeRange refuses what it cannot read instead of passing it', () => {
  assert.throws(() => satisfiesNodeRange('20.20.2', '>=20.0.0-rc.1'), /cannot read version/)
  assert.throws(() => satisfiesNodeRange('20.20.2', 'node 20'), /cannot read version/)
})
