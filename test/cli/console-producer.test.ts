/**
 * `samsa console-producer` as a user runs it, against a real broker process: line formats
 * (keys, headers, null markers, line endings), parse errors, compression codecs as stored in
 * the log, delivery failures, signals, flag errors; kcat reads what it wrote.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Admin } from '../../src/client/admin/admin.js'
import { ATTR_COMPRESSION_MASK, ATTRIBUTES_OFFSET, batchSizeAt } from '../../src/protocol/records/batch-header.js'
import { runCli, SAMSA_CLI, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { spawnCli } from '../helpers/cli-process.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { readTopic, type TopicRecord } from '../helpers/topic-records.js'

let b: BrokerProcess
let admin: Admin

before(async () => {
  b = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '0' } })
  admin = new Admin({ bootstrapServers: b.bootstrap })
})

after(async () => {
  await admin?.close()
  await b?.stop()
})

const cli = (args: string[], input?: string, env?: NodeJS.ProcessEnv) => runCli(args, { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}), ...(env ? { env } : {}) })

async function produce(topic: string, input: string, extra: string[] = []) {
  const r = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', topic, ...extra], input)
  assert.equal(r.code, 0, `console-producer exited ${r.code}: ${r.stderr}`)
  assert.equal(r.stderr, '')
  assert.equal(r.stdout, '', 'no prompt when stdin is not a terminal')
  return r
}

/** The topic's records, read back in-process. */
const readAll = (topic: string, count: number) => readTopic(b.bootstrap, topic, count)

const values = (rs: TopicRecord[]) => rs.map((r) => r.value)

test('each line becomes one record: keys, headers, the null marker, empty lines, CRLF and a last line without a newline', async () => {
  const input = ['h1:v1,h2:v2\tk1\tvalue one', 'NULL\tk2\tNULL', 'h:\tNULL\tv3', 'h:NULL,h:x\tk4\t', 'a:b\tk5\twith\ttabs\r', 'NULL\tk6\tlast'].join('\n')
  await produce('lines', input, ['--property', 'parse.key=true', '--property', 'parse.headers=true', '--property', 'null.marker=NULL'])
  const rs = await readAll('lines', 6)
  assert.deepEqual(
    rs.map(({ key, value, headers }) => ({ key, value, headers })),
    [
      { key: 'k1', value: 'value one', headers: [{ key: 'h1', value: 'v1' }, { key: 'h2', value: 'v2' }] },
      { key: 'k2', value: null, headers: [] },
      { key: null, value: 'v3', headers: [{ key: 'h', value: '' }] },
      { key: 'k4', value: '', headers: [{ key: 'h', value: null }, { key: 'h', value: 'x' }] },
      { key: 'k5', value: 'with\ttabs', headers: [{ key: 'a', value: 'b' }] },
      { key: 'k6', value: 'last', headers: [] },
    ],
  )

  // Without parse.key the whole line is the value; blank lines are records too (as in Kafka).
  await produce('plain', 'one\n\nthree\r\nfour\rfive\n')
  assert.deepEqual(values(await readAll('plain', 5)), ['one', '', 'three', 'four', 'five'])
})

test('custom separators: key.separator, headers.delimiter, headers.separator (a regex), headers.key.separator', async () => {
  const props = ['key.separator=::', 'parse.key=true', 'parse.headers=true', 'headers.delimiter=|', 'headers.separator=;+', 'headers.key.separator==']
  await produce('separators', 'a=1;;b=2;|key::value::more\n', props.flatMap((p) => ['--property', p]))
  const [r] = await readAll('separators', 1)
  assert.deepEqual({ key: r!.key, value: r!.value, headers: r!.headers }, { key: 'key', value: 'value::more', headers: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] })

  // Kafka's refusals of separators that would be ambiguous.
  const clash = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'separators', '--property', 'headers.separator=\t'], '')
  assert.equal(clash.code, 2)
  assert.match(clash.stderr, /^samsa console-producer: reader properties headers\.delimiter and headers\.separator may not be equal/)
})

test('a line without the key separator stops the producer with exit 1 naming the line; the lines before it are delivered', async () => {
  const r = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'no-sep', '--property', 'parse.key=true', '--property', 'key.separator=:'], 'a:1\nb:2\nno separator here\nc:3\n')
  assert.equal(r.code, 1, r.stderr)
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^samsa console-producer: No key separator found on line number 3: 'no separator here'/)
  assert.match(r.stderr, /; the 2 lines before it were delivered$/m)
  assert.deepEqual(values(await readAll('no-sep', 2)), ['1', '2'])

  // ignore.error=true: such a line is sent with no key, the whole line as its value.
  await produce('no-sep-ignored', 'a:1\nplain\n', ['--property', 'parse.key=true', '--property', 'key.separator=:', '--property', 'ignore.error=true'])
  assert.deepEqual((await readAll('no-sep-ignored', 2)).map((x) => [x.key, x.value]), [['a', '1'], [null, 'plain']])

  const badHeader = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'no-sep', '--property', 'parse.headers=true'], 'nokey\tvalue\n')
  assert.equal(badHeader.code, 1)
  assert.match(badHeader.stderr, /No header key separator found in pair 'nokey' on line number 1/)
})

/** The compression codec of every batch in partition 0's first segment, read from the broker's log. */
function storedCodecs(topic: string): number[] {
  const log = readFileSync(join(b.logDir, `${topic}-0`, '00000000000000000000.log'))
  const codecs: number[] = []
  for (let pos = 0; pos + 61 <= log.length; pos += batchSizeAt(log, pos)) codecs.push(log.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK)
  return codecs
}

test('--compression-codec: each codec is stored as asked and reads back; the flag alone means gzip', async () => {
  const cases: Array<[string[], number]> = [
    [[], 0],
    [['--compression-codec', 'none'], 0],
    [['--compression-codec'], 1],
    [['--compression-codec', 'gzip'], 1],
    [['--compression-codec', 'snappy'], 2],
    [['--compression-codec', 'lz4'], 3],
    [['--compression-codec', 'zstd'], 4],
    [['--producer-property', 'compression.type=zstd'], 4],
  ]
  const lines = Array.from({ length: 200 }, (_, i) => `record ${i} ${'x'.repeat(i % 50)}`)
  for (const [i, [flags, codec]] of cases.entries()) {
    const topic = `codec-${i}`
    await admin.createTopics([{ topic, numPartitions: 1 }])
    await produce(topic, lines.join('\n') + '\n', flags)
    const codecs = storedCodecs(topic)
    assert.ok(codecs.length > 0)
    assert.deepEqual(new Set(codecs), new Set([codec]), `${flags.join(' ')}: stored codecs ${codecs}`)
    assert.deepEqual(values(await readAll(topic, lines.length)), lines, flags.join(' '))
  }
  const bad = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'codec-0', '--compression-codec', 'brotli'], 'x\n')
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^samsa console-producer: --compression-codec brotli is not a codec; use one of none, gzip, snappy, lz4, zstd/)
})

test('kcat reads what the console producer wrote: keys, values, headers, tombstones', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  await produce('for-kcat', 'h1:v1,h2:v2\tk1\tvalue one\nNULL\tk2\tNULL\nh:\tNULL\tv3\n', ['--property', 'parse.key=true', '--property', 'parse.headers=true', '--property', 'null.marker=NULL', '--compression-codec', 'lz4'])
  const r = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', 'for-kcat', '-o', 'beginning', '-e', '-J', '-q'], { timeoutMs: 30_000 })
  assert.equal(r.code, 0, r.stderr)
  const got = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { key: string | null; payload: string | null; headers?: string[]; offset: number })
  assert.deepEqual(
    got.map(({ key, payload, headers, offset }) => ({ offset, key, payload, headers: headers ?? [] })),
    [
      { offset: 0, key: 'k1', payload: 'value one', headers: ['h1', 'v1', 'h2', 'v2'] },
      { offset: 1, key: 'k2', payload: null, headers: [] },
      { offset: 2, key: null, payload: 'v3', headers: ['h', ''] },
    ],
  )
})

test('--sync, --broker-list, acks and producer properties from flags, --producer-property and --producer.config', async () => {
  await produce('flags', 'a\nb\nc\n', ['--sync', '--request-required-acks', '1', '--timeout', '0', '--batch-size', '100', '--max-memory-bytes', '1048576'])
  const legacy = await cli(['console-producer', '--broker-list', b.bootstrap, '--topic', 'flags', '--request-required-acks', 'all', '--message-send-max-retries', '0'], 'd\n')
  assert.equal(legacy.code, 0, legacy.stderr)
  assert.deepEqual(values(await readAll('flags', 4)), ['a', 'b', 'c', 'd'])

  // Bad values are usage errors naming what is wrong.
  const badAcks = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'flags', '--request-required-acks', '2'], 'x\n')
  assert.equal(badAcks.code, 2)
  assert.match(badAcks.stderr, /acks must be -1 \(or all\), 0 or 1, got '2'/)
  const badProp = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'flags', '--producer-property', 'linger.ms=soon'], 'x\n')
  assert.equal(badProp.code, 2)
  assert.match(badProp.stderr, /linger\.ms=soon is not an integer/)
  const missing = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'flags', '--producer.config', '/nonexistent/producer.properties'], 'x\n')
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /--producer\.config: cannot read \/nonexistent\/producer\.properties/)
  const noTopic = await cli(['console-producer', '--bootstrap-server', b.bootstrap], 'x\n')
  assert.equal(noTopic.code, 2)
  assert.match(noTopic.stderr, /--topic/)
  const noServer = await cli(['console-producer', '--topic', 'flags'], 'x\n')
  assert.equal(noServer.code, 2)
  assert.match(noServer.stderr, /--bootstrap-server is required/)
  const unknown = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'flags', '--bogus-flag'], 'x\n')
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown option '--bogus-flag'/)
})

test('a delivery failure exits 1 with one line naming the line and the broker error', async () => {
  await admin.createTopics([{ topic: 'small-records', numPartitions: 1, configs: { 'max.message.bytes': '1000' } }])
  const input = ['fits', 'x'.repeat(5000), 'also fits'].join('\n') + '\n'
  const r = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'small-records', '--sync'], input)
  assert.equal(r.code, 1, r.stderr)
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^samsa console-producer: 1 of 2 records was not delivered \(the first, line 2: .*MESSAGE_TOO_LARGE/)
  assert.match(r.stderr, /stopped reading after line 2/)
})

test('an unreachable bootstrap server fails within seconds with one line', async () => {
  const r = await cli(['console-producer', '--bootstrap-server', '127.0.0.1:1', '--topic', 't'], 'x\n', { SAMSA_CLI_CONNECT_TIMEOUT_MS: '2000' })
  assert.equal(r.code, 1)
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^samsa console-producer: .*127\.0\.0\.1:1.*check --bootstrap-server/)
})

test('SIGINT delivers the lines read so far, drops an unfinished line and exits 0', async (t) => {
  const p = spawnCli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'interrupted'])
  t.after(() => p.stop('SIGKILL'))
  p.write('first\nsecond\nunfinish')
  // Once both complete lines are in the topic the producer has read them; then interrupt it.
  assert.deepEqual(values(await readAll('interrupted', 2)), ['first', 'second'])
  assert.deepEqual(await p.stop('SIGINT'), { code: 0, signal: null })
  assert.equal(p.stderr(), '')
  const rest = await cli(['console-consumer', '--bootstrap-server', b.bootstrap, '--topic', 'interrupted', '--from-beginning', '--timeout-ms', '1500'])
  assert.equal(rest.stdout, 'first\nsecond\n')
})

/** Runs the producer on a pseudo-terminal, types one line and Ctrl-D; prints what the terminal showed. */
const ON_A_TERMINAL = `
import json, os, pty, select, subprocess, sys, time
node, samsa, bootstrap, topic = sys.argv[1:5]
master, slave = pty.openpty()
p = subprocess.Popen([node, samsa, 'console-producer', '--bootstrap-server', bootstrap, '--topic', topic], stdin=slave, stdout=slave, stderr=subprocess.PIPE)
os.close(slave)
shown = b''
def read_until(done, timeout):
    global shown
    end = time.time() + timeout
    while not done() and time.time() < end:
        if select.select([master], [], [], 0.1)[0]:
            try:
                shown += os.read(master, 4096)
            except OSError:
                return
read_until(lambda: shown.count(b'>') >= 1, 30)
os.write(master, b'typed line\\n')
read_until(lambda: shown.count(b'>') >= 2, 30)
os.write(master, b'\\x04')
code = p.wait(30)
read_until(lambda: False, 0.3)
print(json.dumps({'code': code, 'shown': shown.decode('utf8', 'replace'), 'stderr': p.stderr.read().decode()}))
`

test('on a terminal it prompts with > before each line, as Kafka does', async (t) => {
  if (!requireTool(t, 'python3', () => hasCommand('/usr/bin/python3'))) return
  const r = await runTool('/usr/bin/python3', ['-c', ON_A_TERMINAL, process.execPath, SAMSA_CLI, b.bootstrap, 'typed'], { timeoutMs: 60_000 })
  assert.equal(r.code, 0, r.stderr)
  const got = JSON.parse(r.stdout) as { code: number; shown: string; stderr: string }
  assert.deepEqual(got, { code: 0, shown: '>typed line\r\n>', stderr: '' })
  assert.deepEqual(values(await readAll('typed', 1)), ['typed line'])
})

test('--help lists every flag', async () => {
  const r = await cli(['console-producer', '--help'])
  assert.equal(r.code, 0)
  for (const flag of [
    '--bootstrap-server', '--broker-list', '--topic', '--sync', '--compression-codec', '--batch-size', '--max-partition-memory-bytes',
    '--message-send-max-retries', '--retry-backoff-ms', '--timeout', '--request-required-acks', '--request-timeout-ms', '--metadata-expiry-ms',
    '--max-block-ms', '--max-memory-bytes', '--socket-buffer-size', '--line-reader', '--property', '--reader-property', '--reader-config',
    '--producer-property', '--command-property', '--producer.config', '--command-config',
  ]) {
    assert.ok(r.stdout.includes(flag), `${flag} in --help`)
  }
})
