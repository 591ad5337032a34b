/**
 * `samsa delete-records` against a real broker process: the low watermark moves (checked with
 * `samsa get-offsets --time -2`), -1 deletes up to the high watermark, per-partition errors
 * are printed and exit 1, and a bad offset JSON file is refused before anything connects.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin, Producer } from '../../src/index.js'
import { CliError } from '../../src/cli/common.js'
import { parseOffsetJson } from '../../src/cli/delete-records.js'
import { runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'

let broker: BrokerProcess
let admin: Admin
let dir: string

before(async () => {
  broker = await startBrokerProcess()
  admin = new Admin({ bootstrapServers: broker.bootstrap, clientId: 'dr-test' })
  dir = mkdtempSync(join(tmpdir(), 'samsa-dr-'))
  await admin.createTopics([{ topic: 'dr', numPartitions: 3 }])
  const producer = new Producer({ bootstrapServers: broker.bootstrap, lingerMs: 0 })
  for (let p = 0; p < 3; p++) for (let i = 0; i < 5; i++) await producer.send({ topic: 'dr', partition: p, value: `v${i}` })
  await producer.close()
})

after(async () => {
  await admin.close()
  await broker.stop()
  rmSync(dir, { recursive: true, force: true })
})

let files = 0
function jsonFile(content: string): string {
  const f = join(dir, `offsets-${files++}.json`)
  writeFileSync(f, content)
  return f
}

function deleteRecords(file: string, bootstrap = broker.bootstrap) {
  return runCli(['delete-records', '--bootstrap-server', bootstrap, '--offset-json-file', file], { timeoutMs: 60_000 })
}

async function earliest(): Promise<string> {
  const r = await runCli(['get-offsets', '--bootstrap-server', broker.bootstrap, '--topic', 'dr', '--time', '-2'], { timeoutMs: 60_000 })
  assert.equal(r.code, 0, r.stderr)
  return r.stdout
}

test('deletes records before the offsets: Kafka output, low watermark moved (get-offsets --time -2)', async () => {
  assert.equal(await earliest(), 'dr:0:0\ndr:1:0\ndr:2:0\n')
  const r = await deleteRecords(
    jsonFile(
      JSON.stringify({
        partitions: [
          { topic: 'dr', partition: 0, offset: 3 },
          { topic: 'dr', partition: 1, offset: -1 },
        ],
        version: 1,
      }),
    ),
  )
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'Executing records delete operation\nRecords delete operation completed:\npartition: dr-0\tlow_watermark: 3\npartition: dr-1\tlow_watermark: 5\n')
  assert.equal(await earliest(), 'dr:0:3\ndr:1:5\ndr:2:0\n')
})

test('a partition that fails gets an error line and exit 1; the others are still deleted', async () => {
  const r = await deleteRecords(
    jsonFile(
      JSON.stringify({
        partitions: [
          { topic: 'dr', partition: 2, offset: 99 },
          { topic: 'dr', partition: 0, offset: 4 },
          { topic: 'dr-missing', partition: 0, offset: 1 },
        ],
        version: 1,
      }),
    ),
  )
  assert.equal(r.code, 1)
  const out = r.stdout.split('\n')
  assert.deepEqual(out.slice(0, 2), ['Executing records delete operation', 'Records delete operation completed:'])
  assert.match(out[2]!, /^partition: dr-2\terror: OFFSET_OUT_OF_RANGE \(1\): \S/)
  assert.equal(out[3], 'partition: dr-0\tlow_watermark: 4')
  assert.match(out[4]!, /^partition: dr-missing-0\terror: UNKNOWN_TOPIC_OR_PARTITION \(3\): \S/)
  assert.deepEqual(out.slice(5), [''])
  assert.match(r.stderr, /^samsa delete-records: records of 2 of 3 partition\(s\) were not deleted \(dr-2, dr-missing-0\)/)
  assert.equal(await earliest(), 'dr:0:4\ndr:1:5\ndr:2:0\n')
})

const BAD_JSON: Array<[string, RegExp]> = [
  ['{"partitions": [', /The input string is not a valid JSON/],
  ['[1, 2]', /not a valid JSON object/],
  ['{"version": 1}', /Missing partitions field/],
  ['{"partitions": [], "version": 2}', /Not supported version field value 2/],
  ['{"partitions": [{"topic": "dr", "partition": 0}]}', /partitions\[0\]: No such field exists: `offset`/],
  ['{"partitions": [{"topic": 7, "partition": 0, "offset": 1}]}', /topic must be a string/],
  ['{"partitions": [{"topic": "dr", "partition": -1, "offset": 1}]}', /partition must be a whole number >= 0/],
  ['{"partitions": [{"topic": "dr", "partition": 0, "offset": 1.5}]}', /offset must be a whole number/],
  ['{"partitions": [{"topic": "dr", "partition": 0, "offset": "1"}]}', /offset must be a whole number/],
  ['{"partitions": [{"topic": "dr", "partition": 0, "offset": -7}]}', /offset must be >= 0, or -1/],
  [
    '{"partitions": [{"topic": "dr", "partition": 0, "offset": 1}, {"topic": "dr", "partition": 1, "offset": 1}, {"topic": "dr", "partition": 0, "offset": 2}]}',
    /Offset json file contains duplicate topic partitions: dr-0/,
  ],
]

test('the offset JSON parser: Kafka format, version optional, offsets exact, each problem a usage error', () => {
  assert.deepEqual(parseOffsetJson('{"partitions": [{"topic": "t", "partition": 1, "offset": 9007199254740993}, {"partition": 0, "offset": -1, "topic": "u"}]}', 'f.json'), [
    { topic: 't', partition: 1, offset: 9007199254740993n },
    { topic: 'u', partition: 0, offset: -1n },
  ])
  for (const [json, want] of BAD_JSON) {
    assert.throws(
      () => parseOffsetJson(json, 'f.json'),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && want.test(e.message) && e.message.startsWith('f.json: ') === !/duplicate/.test(e.message),
      json,
    )
  }
})

test('a bad offset JSON file exits 2 with one line, before connecting; so does a missing file', async () => {
  for (const [json, want] of [BAD_JSON[0]!, BAD_JSON[4]!, BAD_JSON[10]!]) {
    const r = await deleteRecords(jsonFile(json), '127.0.0.1:9')
    assert.equal(r.code, 2, `${json}: ${r.stderr}`)
    assert.match(r.stderr, want, json)
    assert.match(r.stderr, /^samsa delete-records: /)
    assert.equal(r.stderr.trim().split('\n').length, 1)
    assert.equal(r.stdout, '')
  }
  const missing = await deleteRecords(join(dir, 'none.json'), '127.0.0.1:9')
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /--offset-json-file: cannot read .*none\.json \(ENOENT\)/)
  const noFlag = await runCli(['delete-records', '--bootstrap-server', '127.0.0.1:9'])
  assert.equal(noFlag.code, 2)
  assert.match(noFlag.stderr, /--offset-json-file/)
  assert.equal(await earliest(), 'dr:0:4\ndr:1:5\ndr:2:0\n', 'nothing deleted')
})

test('an unreachable bootstrap server fails fast with one line', async () => {
  const f = jsonFile('{"partitions": [{"topic": "dr", "partition": 0, "offset": 1}], "version": 1}')
  const r = await runCli(['delete-records', '--bootstrap-server', '127.0.0.1:9', '--offset-json-file', f], { env: { SAMSA_CLI_CONNECT_TIMEOUT_MS: '2000' }, timeoutMs: 30_000 })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /^samsa delete-records: .*127\.0\.0\.1:9.*check --bootstrap-server/)
  assert.equal(r.stderr.trim().split('\n').length, 1)
  assert.equal(r.stdout, '')
})

test('--help lists every flag', async () => {
  const r = await runCli(['delete-records', '--help'])
  assert.equal(r.code, 0)
  for (const f of ['--bootstrap-server', '--offset-json-file', '--command-config']) assert.ok(r.stdout.includes(f), f)
})
