/** The formatters without a broker: Kafka's DefaultMessageFormatter output, JSON, deserializers. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ConsumerRecord } from '../../src/client/consumer/types.js'
import { createFormatter, JsonFormatter, OutputChunk, type MessageFormatter } from '../../src/cli/message-format.js'

function record(over: Partial<ConsumerRecord> = {}): ConsumerRecord {
  return { topic: 'topic', partition: 0, offset: 123n, timestamp: -1, timestampType: 'CreateTime', key: Buffer.from('key'), value: Buffer.from('value'), headers: [], leaderEpoch: null, ...over }
}

function print(f: MessageFormatter, ...rs: ConsumerRecord[]): string {
  const out = new OutputChunk()
  for (const r of rs) f.write(r, out)
  return out.take().toString('utf8')
}

const formatter = (props: Record<string, string>, name = 'org.apache.kafka.tools.consumer.DefaultMessageFormatter') => createFormatter(name, new Map(Object.entries(props)), () => {})

test("DefaultMessageFormatter: each print.* property in Kafka's order, as Kafka's own test expects", () => {
  const props: Record<string, string> = {}
  const steps: Array<[string, string]> = [
    ['', 'value\n'],
    ['print.key', 'key\tvalue\n'],
    ['print.partition', 'Partition:0\tkey\tvalue\n'],
    ['print.timestamp', 'NO_TIMESTAMP\tPartition:0\tkey\tvalue\n'],
    ['print.offset', 'NO_TIMESTAMP\tPartition:0\tOffset:123\tkey\tvalue\n'],
    ['print.headers', 'NO_TIMESTAMP\tPartition:0\tOffset:123\tNO_HEADERS\tkey\tvalue\n'],
    ['print.delivery', 'NO_TIMESTAMP\tPartition:0\tOffset:123\tDelivery:NOT_PRESENT\tNO_HEADERS\tkey\tvalue\n'],
    ['print.epoch', 'NO_TIMESTAMP\tPartition:0\tOffset:123\tDelivery:NOT_PRESENT\tEpoch:NOT_PRESENT\tNO_HEADERS\tkey\tvalue\n'],
  ]
  for (const [prop, want] of steps) {
    if (prop) props[prop] = 'true'
    assert.equal(print(formatter(props), record()), want, prop)
  }
  const full = record({ timestamp: 123, headers: [{ key: 'h1', value: Buffer.from('v1') }, { key: 'h2', value: Buffer.from('v2') }], leaderEpoch: 58 })
  assert.equal(print(formatter(props), full), 'CreateTime:123\tPartition:0\tOffset:123\tDelivery:NOT_PRESENT\tEpoch:58\th1:v1,h2:v2\tkey\tvalue\n')
  props['print.value'] = 'false'
  assert.equal(print(formatter(props), full), 'CreateTime:123\tPartition:0\tOffset:123\tDelivery:NOT_PRESENT\tEpoch:58\th1:v1,h2:v2\tkey\n')
  props['key.separator'] = '<sep>'
  props['print.delivery'] = 'false'
  props['print.epoch'] = 'false'
  props['line.separator'] = '<end>'
  props['headers.separator'] = '|'
  assert.equal(print(formatter(props), full), 'CreateTime:123<sep>Partition:0<sep>Offset:123<sep>h1:v1|h2:v2<sep>key<end>')
  props['print.value'] = 'true'
  props['null.literal'] = '<null>'
  const nulls = record({ timestamp: 123, timestampType: 'LogAppendTime', key: null, value: null, headers: [{ key: 'h', value: null }] })
  assert.equal(print(formatter(props), nulls), 'LogAppendTime:123<sep>Partition:0<sep>Offset:123<sep>h:<null><sep><null><sep><null><end>')
  // Everything off prints nothing at all, not even a line separator.
  assert.equal(print(formatter({ 'print.value': 'false' }), record()), '')
})

test('values are written as raw bytes; the default fast path matches the general one', () => {
  const bin = record({ value: Buffer.from([0xff, 0x00, 0x0a]) })
  assert.equal(new OutputChunk().take().length, 0)
  const out = new OutputChunk()
  formatter({}).write(bin, out)
  formatter({ 'print.value': 'true', 'key.separator': ';' }).write(bin, out)
  formatter({}).write(record({ value: null }), out)
  assert.deepEqual(out.take(), Buffer.from([0xff, 0x00, 0x0a, 0x0a, 0xff, 0x00, 0x0a, 0x0a, ...Buffer.from('null\n')]))
})

test('deserializers decode keys, values and headers; a record they refuse throws (for --skip-message-on-error)', () => {
  const long = Buffer.alloc(8)
  long.writeBigInt64BE(-5n)
  const int = Buffer.alloc(4)
  int.writeInt32BE(77)
  const f = formatter({ 'print.key': 'true', 'print.headers': 'true', 'key.deserializer': 'org.apache.kafka.common.serialization.IntegerDeserializer', 'value.deserializer': 'LongDeserializer', 'headers.deserializer': 'org.apache.kafka.common.serialization.StringDeserializer' })
  assert.equal(print(f, record({ key: int, value: long, headers: [{ key: 'h', value: Buffer.from([0x68, 0xff]) }] })), 'h:h\ufffd\t77\t-5\n')
  assert.throws(() => print(f, record({ key: int, value: Buffer.from('abc') })), /Size of data received by LongDeserializer is not 8/)
  const out = new OutputChunk()
  out.text('kept')
  const mark = out.parts.length
  assert.throws(() => f.write(record({ key: int, value: Buffer.from('abc') }), out))
  out.rewind(mark)
  assert.equal(out.take().toString(), 'kept', 'a failed record leaves nothing half-written')
  assert.throws(() => formatter({ 'value.deserializer': 'io.confluent.kafka.serializers.KafkaAvroDeserializer' }), /is not a deserializer samsa knows/)
})

test('formatter names: Kafka class names old and new; the logging one also logs key and value; no-op prints nothing', () => {
  for (const name of ['kafka.tools.DefaultMessageFormatter', 'org.apache.kafka.tools.consumer.DefaultMessageFormatter', 'DefaultMessageFormatter']) {
    assert.equal(print(formatter({}, name), record()), 'value\n')
  }
  const logged: string[] = []
  const logging = createFormatter('org.apache.kafka.tools.consumer.LoggingMessageFormatter', new Map([['print.key', 'true']]), (l) => logged.push(l))
  assert.equal(print(logging, record({ timestamp: 5 }), record({ key: null, value: null })), 'key\tvalue\nnull\tnull\n')
  assert.deepEqual(logged, ['CreateTime:5, key:key, value:value', 'key:null value:null'])
  assert.equal(print(formatter({}, 'kafka.tools.NoOpMessageFormatter'), record()), '')
  assert.throws(() => formatter({}, 'com.example.Mine'), /unknown --formatter com\.example\.Mine/)
})

test('JSON: strings when UTF-8, base64 with an encoding flag otherwise; exact offsets; one line each', () => {
  const bin = Buffer.from([0xc3, 0x28])
  const r = record({ offset: 9007199254740993n, timestamp: 7, key: null, value: bin, headers: [{ key: 'h', value: Buffer.from('ok "x"') }, { key: 'n', value: null }], leaderEpoch: 3 })
  const line = print(new JsonFormatter(), r)
  assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'))
  assert.match(line, /"offset":9007199254740993,/)
  assert.deepEqual(JSON.parse(line), {
    topic: 'topic', partition: 0, offset: 9007199254740992, timestamp: 7, timestampType: 'CreateTime', leaderEpoch: 3,
    key: null, value: bin.toString('base64'), valueEncoding: 'base64', headers: [{ key: 'h', value: 'ok "x"' }, { key: 'n', value: null }],
  })
  assert.equal(JSON.parse(print(new JsonFormatter(), record())).timestampType, 'NoTimestampType')
})
