/** kcat (librdkafka) against the real broker process. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { hasCommand, requireTool, runTool, type ToolResult } from '../helpers/tools.js'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { RawClient } from '../helpers/raw-client.js'
import { fetchAll } from '../helpers/wire.js'

const run = promisify(execFile)

test('kcat -L lists broker 0 as controller and no topics', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await startBrokerProcess()
  t.after(() => b.stop())

  const plain = await run('kcat', ['-L', '-b', b.bootstrap, '-m', '10'], { timeout: 20_000 })
  assert.match(plain.stdout, new RegExp(`broker 0 at ${b.host.replace(/\./g, '\\.')}:${b.port} \\(controller\\)`), plain.stdout + plain.stderr)
  assert.match(plain.stdout, /\b1 brokers:/)
  assert.match(plain.stdout, /\b0 topics:/)

  const json = await run('kcat', ['-L', '-J', '-b', b.bootstrap, '-m', '10'], { timeout: 20_000 })
  const md = JSON.parse(json.stdout) as { controllerid: number; brokers: Array<{ id: number; name: string }>; topics: unknown[] }
  assert.equal(md.controllerid, 0)
  assert.deepEqual(md.brokers, [{ id: 0, name: b.bootstrap }])
  assert.deepEqual(md.topics, [])
  assert.equal(b.proc.exitCode, null, 'broker still running')
})

// ---- produce and consume -------------------------------------------------------------------

interface KcatMessage {
  topic: string
  partition: number
  offset: number
  tstype: string
  ts: number
  broker: number
  headers?: string[]
  key: string | null
  payload: string | null
}

async function kcat(args: string[], input?: string): Promise<ToolResult> {
  const r = await runTool('kcat', args, { ...(input !== undefined ? { input } : {}), timeoutMs: 30_000 })
  assert.equal(r.code, 0, `kcat ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`)
  return r
}

/** kcat -C from the beginning of every partition of `topic` to the end, as JSON envelopes. */
async function consumeAll(bootstrap: string, topic: string, extra: string[] = []): Promise<KcatMessage[]> {
  const r = await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-m', '10', ...extra])
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as KcatMessage)
}

function byPartition(msgs: KcatMessage[]): Map<number, KcatMessage[]> {
  const out = new Map<number, KcatMessage[]>()
  for (const m of msgs) {
    const list = out.get(m.partition) ?? []
    list.push(m)
    out.set(m.partition, list)
  }
  return out
}

test('kcat produces keyed lines with headers to two partitions and consumes them back from the beginning', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await startBrokerProcess({ overrides: { 'num.partitions': '2' } })
  t.after(() => b.stop())
  const topic = 'kcat-lines'
  const lines = (p: number) => [
    `k${p}-0:first line of partition ${p}`,
    `k${p}-1:héllo wörld ✓ ${p}`,
    `k${p}-2:`,
    `k${p}-3:value with a : colon`,
    ...Array.from({ length: 46 }, (_, i) => `k${p}-${i + 4}:line ${i + 4} of partition ${p} ${'z'.repeat(i * 7)}`),
  ]
  const before = Date.now()
  for (const p of [0, 1]) {
    await kcat(['-P', '-b', b.bootstrap, '-t', topic, '-p', String(p), '-K', ':', '-H', 'trace=abc', '-H', `part=${p}`, '-H', 'trace=second', '-m', '10'], lines(p).join('\n') + '\n')
  }
  const after = Date.now()

  const parts = byPartition(await consumeAll(b.bootstrap, topic))
  assert.deepEqual([...parts.keys()].sort(), [0, 1])
  for (const p of [0, 1]) {
    const got = parts.get(p)!
    const want = lines(p)
    assert.equal(got.length, want.length, `partition ${p} record count`)
    got.forEach((m, i) => {
      const at = want[i]!.indexOf(':')
      assert.equal(m.topic, topic)
      assert.equal(m.offset, i, `partition ${p} offset`)
      assert.equal(m.key, want[i]!.slice(0, at), `partition ${p} offset ${i} key`)
      assert.equal(m.payload, want[i]!.slice(at + 1), `partition ${p} offset ${i} value`)
      assert.deepEqual(m.headers, ['trace', 'abc', 'part', String(p), 'trace', 'second'], `partition ${p} offset ${i} headers`)
      assert.equal(m.tstype, 'create')
      assert.ok(m.ts >= before - 1000 && m.ts <= after + 1000, `timestamp ${m.ts} within the produce window ${before}..${after}`)
      assert.equal(m.broker, 0)
    })
  }
  // -Z: an empty value is produced as NULL and read back as null, keys stay.
  await kcat(['-P', '-Z', '-b', b.bootstrap, '-t', topic, '-p', '0', '-K', ':', '-m', '10'], 'null-value:\n')
  const again = byPartition(await consumeAll(b.bootstrap, topic)).get(0)!
  const last = again.at(-1)!
  assert.equal(last.offset, lines(0).length)
  assert.equal(last.key, 'null-value')
  assert.equal(last.payload, null)
  assert.equal(b.proc.exitCode, null, 'broker still running')
})

const CODEC_ID = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const

// Older librdkafka (Debian ships 2.0.2) gates its codecs on the broker's ApiVersions:
// gzip and snappy on Produce v0-2 being advertised (librdkafka#4956; Kafka 4.0 still
// advertises them for this reason, KAFKA-18659), lz4 on FindCoordinator v0, zstd on Produce v7
// and Fetch v10. When a gate is shut it silently sends plain batches, which the check of the
// stored codec below catches.

for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`kcat -z ${codec} round-trips, and the broker stores the batches as librdkafka compressed them`, async (t) => {
    if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
    const b = await startBrokerProcess()
    t.after(() => b.stop())
    const c = await RawClient.connect(b.port, b.host)
    t.after(() => c.close())
    let expectedCodec: number = CODEC_ID[codec]
    if (codec === 'lz4') {
      // librdkafka (Debian's 2.0.2 included) only compresses lz4 for brokers that advertise
      // FindCoordinator v0, which arrives with consumer groups; until then it sends plain
      // batches, and the records must still round-trip. Once FindCoordinator is served the
      // stored batches must be lz4 (the broker's lz4 storage is covered by produce.test.ts).
      const versions = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' })
      if (!versions.apiKeys.some((k) => k.apiKey === ApiKey.FindCoordinator)) expectedCodec = 0
    }
    const topic = `kcat-${codec}`
    // Every value compresses well on its own: librdkafka sends a batch plain when compressing
    // would not shrink it, and a batch may hold a single record.
    const lines = Array.from({ length: 500 }, (_, i) => `key-${i % 17}:${codec} record ${i} ${'abcdefgh'.repeat(40 + (i % 20))}`)
    await kcat(['-P', '-z', codec, '-b', b.bootstrap, '-t', topic, '-p', '0', '-K', ':', '-H', `codec=${codec}`, '-m', '10'], lines.join('\n') + '\n')

    const got = await consumeAll(b.bootstrap, topic)
    assert.equal(got.length, lines.length)
    got.forEach((m, i) => {
      const at = lines[i]!.indexOf(':')
      assert.equal(m.offset, i)
      assert.equal(m.key, lines[i]!.slice(0, at))
      assert.equal(m.payload, lines[i]!.slice(at + 1))
      assert.deepEqual(m.headers, ['codec', codec])
    })

    const stored = await fetchAll(c, topic, 0)
    assert.equal(stored.records.length, lines.length)
    assert.ok(stored.batches.length > 0)
    for (const batch of stored.batches) assert.equal(batch.compression, expectedCodec, `batch at ${batch.baseOffset} stored with codec ${batch.compression}`)
  })
}

test('kcat -Q finds the offset for a timestamp', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await startBrokerProcess()
  t.after(() => b.stop())
  const topic = 'kcat-times'
  // Three separate runs, so the records carry at least three distinct timestamps.
  for (let run = 0; run < 3; run++) {
    const startedAt = Date.now()
    await kcat(['-P', '-b', b.bootstrap, '-t', topic, '-p', '0', '-m', '10'], `run ${run} a\nrun ${run} b\nrun ${run} c\n`)
    while (Date.now() <= startedAt + 5) await new Promise((r) => setTimeout(r, 5))
  }
  const msgs = await consumeAll(b.bootstrap, topic)
  assert.equal(msgs.length, 9)
  const stamps = msgs.map((m) => m.ts)
  assert.ok(new Set(stamps).size >= 2, `distinct timestamps: ${stamps.join(',')}`)

  const query = async (ts: number): Promise<number> => {
    const r = await kcat(['-Q', '-b', b.bootstrap, '-t', `${topic}:0:${ts}`, '-m', '10'])
    const m = /\[0\]\s+offset\s+(-?\d+)/.exec(r.stdout)
    assert.ok(m, `kcat -Q output: ${r.stdout} ${r.stderr}`)
    return Number(m[1])
  }
  // Kafka's rule: the earliest offset whose timestamp is >= the one asked for.
  for (const ts of [stamps[0]! - 1000, ...new Set(stamps)]) {
    const want = msgs.find((m) => m.ts >= ts)!.offset
    assert.equal(await query(ts), want, `offset for timestamp ${ts} (stamps ${stamps.join(',')})`)
  }
  assert.equal(await query(Math.max(...stamps) + 1000), -1, 'no record at or after a future timestamp')
  assert.equal(await query(-1), 9, '-1 is the log end offset')
  assert.equal(await query(-2), 0, '-2 is the log start offset')
})
