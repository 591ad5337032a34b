/** LineMessageReader's parsing rules and BufferedReader's line ends, without a broker. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CliError } from '../../src/cli/common.js'
import { LineParser, LineSplitter, lineReaderConfig } from '../../src/cli/line-reader.js'

const parser = (props: Record<string, string>) => new LineParser(lineReaderConfig(new Map(Object.entries(props))))

test('LineSplitter cuts at \\n, \\r\\n and a lone \\r, across chunk boundaries', () => {
  const text = 'a\nb\r\nc\rd\r\n\ne'
  const expected = ['a', 'b', 'c', 'd', '', 'e']
  // Every way of cutting the text in two gives the same lines.
  for (let cut = 0; cut <= text.length; cut++) {
    const s = new LineSplitter()
    const got = [...s.push(text.slice(0, cut)), ...s.push(text.slice(cut)), ...s.end()]
    assert.deepEqual(got, expected, `cut at ${cut}`)
  }
  const one = new LineSplitter()
  assert.deepEqual([...'x\r\ny\n'].flatMap((c) => one.push(c)).concat(one.end()), ['x', 'y'])
  assert.deepEqual(new LineSplitter().end(), [])
})

test('plain lines are values; parse.key splits at the first key separator', () => {
  assert.deepEqual(parser({}).parse('a\tb', 1), { key: null, value: 'a\tb', headers: undefined })
  assert.deepEqual(parser({ 'parse.key': 'true' }).parse('k\tv\tw', 1), { key: 'k', value: 'v\tw', headers: undefined })
  assert.deepEqual(parser({ 'parse.key': ' TRUE ', 'key.separator': '::' }).parse('k::', 1), { key: 'k', value: '', headers: undefined })
})

test('headers come first, split by a regex (trailing empty pairs vanish, as in Java)', () => {
  const p = parser({ 'parse.headers': 'true', 'parse.key': 'true', 'headers.separator': '[,;]' })
  assert.deepEqual(p.parse('a:1;b:2,:3,,\tk\tv', 1), { key: 'k', value: 'v', headers: [['a', '1'], ['b', '2'], ['', '3']] })
  assert.deepEqual(parser({ 'parse.headers': 'true' }).parse('h:a:b\tv', 1), { key: null, value: 'v', headers: [['h', 'a:b']] })
})

test('null.marker: key, value, header values and the whole header list; a null header key is refused', () => {
  const p = parser({ 'parse.headers': 'true', 'parse.key': 'true', 'null.marker': '~' })
  assert.deepEqual(p.parse('~\t~\t~', 1), { key: null, value: null, headers: undefined })
  assert.deepEqual(p.parse('h:~\tk\tv', 1), { key: 'k', value: 'v', headers: [['h', null]] })
  assert.throws(() => p.parse('~:v\tk\tv', 4), (e: Error) => e instanceof CliError && /Header keys should not be equal to the null marker '~'.*line number 4/.test(e.message))
})

test('missing separators: an error naming the line, or with ignore.error the rest is the value', () => {
  assert.throws(() => parser({ 'parse.key': 'true' }).parse('novalue', 7), /^CliError: No key separator found on line number 7: 'novalue'/)
  assert.throws(() => parser({ 'parse.headers': 'true' }).parse('v', 2), /No headers delimiter found on line number 2: 'v'/)
  assert.throws(() => parser({ 'parse.headers': 'true' }).parse('h\tv', 3), /No header key separator found in pair 'h' on line number 3/)
  const lax = parser({ 'parse.headers': 'true', 'parse.key': 'true', 'ignore.error': 'true' })
  assert.deepEqual(lax.parse('only value', 1), { key: null, value: 'only value', headers: undefined })
  assert.deepEqual(lax.parse('h\tk\tv', 1), { key: 'k', value: 'v', headers: [['h', null]] })
})

test("Kafka's refusals of separators that would be ambiguous", () => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ 'headers.separator': '\t' }, /headers\.delimiter and headers\.separator may not be equal/],
    [{ 'headers.key.separator': '\t' }, /headers\.delimiter and headers\.key\.separator may not be equal/],
    [{ 'headers.key.separator': ',' }, /headers\.separator and headers\.key\.separator may not be equal/],
    [{ 'null.marker': '\t' }, /null\.marker and key\.separator may not be equal/],
    [{ 'null.marker': ',' }, /null\.marker and headers\.separator may not be equal/],
    [{ 'key.separator': ':', 'null.marker': ':' }, /null\.marker and key\.separator may not be equal/],
    [{ 'headers.separator': '(' }, /headers\.separator='\(' is not a valid regular expression/],
  ]
  for (const [props, want] of bad) {
    assert.throws(() => lineReaderConfig(new Map(Object.entries(props))), (e: Error) => e instanceof CliError && e.exitCode === 2 && want.test(e.message), JSON.stringify(props))
  }
})
