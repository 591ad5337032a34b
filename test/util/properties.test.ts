/** server.properties parsing, with java.util.Properties' rules (what Kafka reads). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseProperties } from '../../src/util/properties.js'

const parse = (text: string) => Object.fromEntries(parseProperties(text))

test('key=value, key: value and key value separators, with whitespace around them', () => {
  assert.deepEqual(
    parse(['a=1', 'b = 2', 'c:3', 'd : 4', 'e 5', 'f\t6', 'g   =   7', 'h\t:\t8'].join('\n')),
    { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', g: '7', h: '8' },
  )
})

test('only the first separator splits; the rest belongs to the value', () => {
  assert.deepEqual(parse('a=b=c\nb:c:d\nc = = x\nd  value with spaces'), { a: 'b=c', b: 'c:d', c: '= x', d: 'value with spaces' })
})

test('a key alone or with an empty value maps to the empty string', () => {
  assert.deepEqual(parse('alone\nempty=\ncolon:\n'), { alone: '', empty: '', colon: '' })
})

test('# and ! comments, blank lines and leading whitespace are skipped', () => {
  const text = [
    '# a comment',
    '! another comment',
    '   # indented comment',
    '',
    '   ',
    '\t\f',
    '   indented.key=v',
    'x=1 # not a comment inside a value',
  ].join('\n')
  assert.deepEqual(parse(text), { 'indented.key': 'v', x: '1 # not a comment inside a value' })
})

test('trailing whitespace in a value is kept (Java keeps it; the config layer trims)', () => {
  assert.equal(parse('a=b  \n').a, 'b  ')
})

test('backslash continues a line; the next line\'s leading whitespace is dropped', () => {
  const text = ['listeners=PLAINTEXT://a:1,\\', '          PLAINTEXT://b:2,\\', '\tPLAINTEXT://c:3', 'next=1'].join('\n')
  assert.deepEqual(parse(text), { listeners: 'PLAINTEXT://a:1,PLAINTEXT://b:2,PLAINTEXT://c:3', next: '1' })
})

test('an even number of trailing backslashes is an escaped backslash, not a continuation', () => {
  assert.deepEqual(parse('a=x\\\\\nb=y'), { a: 'x\\', b: 'y' })
  assert.deepEqual(parse('a=x\\\\\\\ny'), { a: 'x\\y' })
})

test('a continued line that starts with # is value, not comment; a comment line is never continued', () => {
  assert.deepEqual(parse('a=x\\\n#y'), { a: 'x#y' })
  assert.deepEqual(parse('# comment \\\nb=1'), { b: '1' })
})

test('a key can continue onto the next line', () => {
  assert.deepEqual(parse('log.\\\n  dirs=/d'), { 'log.dirs': '/d' })
})

test('escapes: \\t \\n \\r \\f, \\uXXXX, escaped separators and spaces in keys, unknown escapes drop the backslash', () => {
  const text = [
    'tabs=a\\tb',
    'lines=a\\nb\\rc\\fd',
    'uni=\\u0041\\u00e9\\u4e2d',
    'my\\=key=v1',
    'my\\:key=v2',
    'my\\ key=v3',
    '\\#notcomment=v4',
    'other=\\q\\z',
    'k\\u0041y=v5',
  ].join('\n')
  assert.deepEqual(parse(text), {
    tabs: 'a\tb',
    lines: 'a\nb\rc\fd',
    uni: 'Aé中',
    'my=key': 'v1',
    'my:key': 'v2',
    'my key': 'v3',
    '#notcomment': 'v4',
    other: 'qz',
    kAy: 'v5',
  })
})

test('CRLF line endings', () => {
  assert.deepEqual(parse('a=1\r\nb=2\\\r\n   3\r\n# c\r\n'), { a: '1', b: '23' })
})

test('the last occurrence of a key wins', () => {
  assert.deepEqual(parse('a=1\na=2\n'), { a: '2' })
})

test("Kafka's shipped server.properties parses", () => {
  const text = `# Licensed to the Apache Software Foundation (ASF) under one or more
# contributor license agreements.

############################# Server Basics #############################

# The role of this server. Setting this puts us in KRaft mode
process.roles=broker,controller

# The node id associated with this instance's roles
node.id=1

############################# Socket Server Settings #############################

#   EXAMPLE:
#     listeners = PLAINTEXT://your.host.name:9092
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
socket.request.max.bytes=104857600
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
offsets.topic.replication.factor=1
log.retention.hours=168
#log.retention.bytes=1073741824
log.segment.bytes=1073741824
`
  const p = parse(text)
  assert.equal(p['process.roles'], 'broker,controller')
  assert.equal(p['node.id'], '1')
  assert.equal(p.listeners, 'PLAINTEXT://:9092,CONTROLLER://:9093')
  assert.equal(p['listener.security.protocol.map'], 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL')
  assert.equal(p['log.dirs'], '/tmp/kraft-combined-logs')
  assert.equal('log.retention.bytes' in p, false)
  assert.equal(Object.keys(p).length, 13)
})
