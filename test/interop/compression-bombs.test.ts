/**
 * Regression: the broker decompresses a produced batch when it must check the records (a
 * CreateTime batch whose header max timestamp is -1, every batch on a compacted topic), and
 * ListOffsets by timestamp decodes stored batches. A few KiB of zstd or gzip that expand to
 * gigabytes ("zip bombs") made it allocate without bound and die. Now a produced bomb is
 * refused with MESSAGE_TOO_LARGE before it is inflated, nothing is stored, a stored one is
 * located by its header, and the broker's peak memory barely moves.
 *
 * socket.request.max.bytes, the bound on what a batch may decompress to, is lowered to 8 MiB
 * so that 128 MiB bombs are far over it: cheap to build, and obvious in the peak RSS if the
 * broker ever inflated one.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { ErrorCode } from '../../src/protocol/errors.js'
import { CompressionCodec } from '../../src/protocol/records/index.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { batchAround, gzipBomb, zstdBomb } from '../helpers/compression-bombs.js'
import { RawClient } from '../helpers/raw-client.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { createTopic, LATEST, listOffset, produceRaw } from '../helpers/wire.js'

const MiB = 1 << 20
const LIMIT = 8 * MiB
const BOMB = 128 * MiB

/** The process's peak resident set (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmHWM in /proc/${pid}/status`)
  return Number(m[1]) * 1024
}

async function kcat(args: string[], input?: string) {
  const r = await runTool('kcat', args, { ...(input !== undefined ? { input } : {}), timeoutMs: 30_000 })
  assert.equal(r.code, 0, `kcat ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

test('zstd and gzip bombs (max timestamp -1, compacted topic) get MESSAGE_TOO_LARGE and store nothing; kcat still reads; a stored bomb is located by its header; the broker never inflates one', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  if (!existsSync('/proc/self/status')) return t.skip('needs /proc to read the broker peak RSS')
  const b = await startBrokerProcess({ overrides: { 'socket.request.max.bytes': String(LIMIT) } })
  t.after(() => b.stop())
  const c = await RawClient.connect(b.port, b.host)
  t.after(() => c.close())
  assert.equal((await createTopic(c, 'plain', 1)).errorCode, ErrorCode.NONE)
  assert.equal((await createTopic(c, 'compacted', 1, { 'cleanup.policy': 'compact' })).errorCode, ErrorCode.NONE)
  assert.equal((await createTopic(c, 'stored', 1)).errorCode, ErrorCode.NONE)
  for (const topic of ['plain', 'compacted']) await kcat(['-P', '-b', b.bootstrap, '-t', topic, '-p', '0', '-K', ':'], 'k1:before\n')

  const bombs = {
    zstd: batchAround(zstdBomb(BOMB), CompressionCodec.Zstd, { maxTimestamp: -1n }),
    gzip: batchAround(await gzipBomb(BOMB), CompressionCodec.Gzip, { maxTimestamp: -1n }),
    compacted: batchAround(zstdBomb(BOMB), CompressionCodec.Zstd),
  }
  for (const bomb of Object.values(bombs)) assert.ok(bomb.length < 256 * 1024)
  const peakBefore = peakRss(b.proc.pid!)

  for (const [what, topic, bomb] of [
    ['zstd, max timestamp -1', 'plain', bombs.zstd],
    ['gzip, max timestamp -1', 'plain', bombs.gzip],
    ['zstd, compacted topic', 'compacted', bombs.compacted],
  ] as const) {
    const resp = await produceRaw(c, topic, 0, bomb)
    assert.equal(resp.errorCode, ErrorCode.MESSAGE_TOO_LARGE, `${what}: ${resp.errorMessage}`)
    assert.match(resp.errorMessage ?? '', /too large to check once decompressed .*socket\.request\.max\.bytes \(8388608\)/, what)
    assert.equal((await listOffset(c, topic, 0, LATEST)).offset, 1n, `${what}: nothing stored`)
  }

  // A bomb with a consistent header on a plain topic is stored as sent (only a decoder could
  // tell); ListOffsets by timestamp then answers from its header instead of inflating it.
  const stored = batchAround(zstdBomb(BOMB), CompressionCodec.Zstd)
  const at = Number(stored.readBigInt64BE(27))
  assert.equal((await produceRaw(c, 'stored', 0, stored)).errorCode, ErrorCode.NONE)
  for (const timestamp of [BigInt(at - 1000), -3n]) {
    const hit = await listOffset(c, 'stored', 0, timestamp)
    assert.equal(hit.errorCode, ErrorCode.NONE, `ListOffsets ${timestamp}`)
    assert.deepEqual([hit.offset, hit.timestamp], [0n, BigInt(at)], `ListOffsets ${timestamp}`)
  }
  await b.waitForStderr(/a stored batch is too large to decode; ListOffsets answers from its header/)

  const growth = peakRss(b.proc.pid!) - peakBefore
  assert.ok(growth < 48 * MiB, `the broker's peak RSS grew ${(growth / MiB).toFixed(1)} MiB`)

  for (const topic of ['plain', 'compacted']) await kcat(['-P', '-b', b.bootstrap, '-t', topic, '-p', '0', '-K', ':'], 'k2:after\n')
  for (const topic of ['plain', 'compacted']) {
    const out = await kcat(['-C', '-b', b.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %k %s\n'])
    assert.equal(out, '0 k1 before\n1 k2 after\n', topic)
  }
  assert.equal(b.proc.exitCode, null, 'the broker is still running')
})
