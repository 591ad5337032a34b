/**
 * Randomised crash recovery: take a log written by the broker, damage the segments past the
 * recovery point the way a crash or a bad disk would (cut a file at a random byte, flip random
 * bytes, damage or lose index files), reopen it as after an unclean shutdown, and check:
 *  - the log is a prefix of what was written: every batch returned is byte-identical to the
 *    batch on disk, and only fields outside the CRC (base offset, leader epoch) may differ
 *    from what was written — and only where they were hit;
 *  - nothing before the first damaged byte is lost;
 *  - offsets strictly increase, reads from any offset return only valid batches;
 *  - the next append lands exactly at the log end offset, and a second recovery changes nothing;
 *  - the producer state (rebuilt from the newest snapshot that survives, then the log past it)
 *    is exactly that of the batches recovered: each idempotent producer's last sequence and
 *    offset, so its next batch is accepted and a retry of it is a duplicate.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { cp, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { isBatchCrcValid } from '../../../src/protocol/records/batch-header.js'
import { FileCache } from '../../../src/storage/io/file-cache.js'
import { silentLogger } from '../../../src/storage/logger.js'
import { UnifiedLog } from '../../../src/storage/log/unified-log.js'
import { buildBatch, parseBatches, type ParsedBatch } from '../helpers/batches.js'
import { makeTempDir, removeDir } from '../helpers/tmp.js'

interface StoredBatch extends ParsedBatch {
  /** Base offset of the segment file holding it, and its index in the whole log. */
  segment: number
  index: number
}

interface Template {
  dir: string
  config: { segmentBytes: number; indexIntervalBytes: number }
  batches: StoredBatch[]
  segments: Array<{ base: number; size: number }>
}

/** Producer state outlives the test: the batches' timestamps are from 1970. */
const NEVER = Number.MAX_SAFE_INTEGER

/** Each producer's last sequence and offset in these batches, as the recovered state must have them. */
function producersOf(batches: readonly ParsedBatch[]): Map<bigint, { lastSeq: number; lastOffset: number }> {
  const out = new Map<bigint, { lastSeq: number; lastOffset: number }>()
  for (const b of batches) {
    const pid = b.bytes.readBigInt64BE(43)
    if (pid === -1n) continue
    out.set(pid, { lastSeq: b.bytes.readInt32BE(53) + b.lastOffset - b.baseOffset, lastOffset: b.lastOffset })
  }
  return out
}

function stateOf(log: UnifiedLog): Map<bigint, { lastSeq: number; lastOffset: number }> {
  const out = new Map<bigint, { lastSeq: number; lastOffset: number }>()
  for (const [pid, e] of log.producerState.activeProducers()) out.set(pid, { lastSeq: e.lastSeq, lastOffset: e.lastDataOffset })
  return out
}

// The default keeps `npm test` quick; SAMSA_CRASH_RUNS=500 (by hand) is the long run.
const SCALE = Number(process.env.SAMSA_CRASH_RUNS ?? 150) / 500
const RUNS = { cut: Math.round(500 * SCALE), flip: Math.round(500 * SCALE), index: Math.round(200 * SCALE) }
let root: string
const templates: Template[] = []
let caseNo = 0
/** What the damage did, reported as test diagnostics. */
const stats = { cases: 0, lostTail: 0, intact: 0, survivedUnprotectedFlip: 0 }

function segFile(dir: string, base: number, suffix = '.log'): string {
  return join(dir, String(base).padStart(20, '0') + suffix)
}

async function makeTemplate(name: string, config: Template['config'], batches: number, seed: number): Promise<Template> {
  const dir = join(root, name)
  const files = new FileCache()
  const log = await UnifiedLog.open({ dir, topic: 't', partition: 0, files, logger: silentLogger, config, producerIdExpirationMs: NEVER })
  let rnd = seed
  const seqs = new Map<number, number>()
  const next = (n: number) => {
    rnd = (rnd * 1103515245 + 12345) % 2147483648
    return rnd % n
  }
  for (let i = 0; i < batches; i++) {
    // Two of three batches come from one of two idempotent producers.
    const pid = i % 3 === 2 ? undefined : 500 + (i % 2)
    const records = 1 + next(4)
    const seq = pid === undefined ? -1 : (seqs.get(pid) ?? 0)
    if (pid !== undefined) seqs.set(pid, seq + records)
    const batch = buildBatch({ records, valueSize: 5 + next(150), timestamp: 1000 + i * 7, timestampStep: 1, ...(pid !== undefined ? { producerId: pid, producerEpoch: 0, baseSequence: seq } : {}) })
    await log.appendAsLeader(batch, { leaderEpoch: Math.floor(i / 15) })
  }
  await log.close()
  await files.closeAll()
  const stored: StoredBatch[] = []
  const segments: Template['segments'] = []
  const bases = (await readdir(dir)).filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b)
  for (const base of bases) {
    const bytes = await readFile(segFile(dir, base))
    segments.push({ base, size: bytes.length })
    for (const b of parseBatches(bytes)) stored.push({ ...b, bytes: Buffer.from(b.bytes), segment: base, index: stored.length })
  }
  return { dir, config, batches: stored, segments }
}

before(async () => {
  root = await makeTempDir('samsa-crash-')
  templates.push(await makeTemplate('multi', { segmentBytes: 1500, indexIntervalBytes: 128 }, 70, 1))
  templates.push(await makeTemplate('single', { segmentBytes: 1 << 20, indexIntervalBytes: 256 }, 40, 2))
  templates.push(await makeTemplate('dense-index', { segmentBytes: 3000, indexIntervalBytes: 0 }, 60, 3))
  for (const t of templates) assert.ok(t.batches.length > 0)
  assert.ok(templates[0]!.segments.length >= 4, 'the multi-segment template needs several segments')
})

after(async () => {
  await removeDir(root)
  console.log(`# crash recovery cases: ${JSON.stringify(stats)}`)
})

/** Damage applied to one copy of a template; positions are file offsets in a segment's .log. */
interface Damage {
  cut?: { segment: number; at: number }
  flips: Array<{ segment: number; at: number; xor: number }>
  indexes: Array<{ segment: number; file: '.index' | '.timeindex'; kind: 'delete' | 'truncate' | 'flip'; at: number }>
}

/** Field ranges a batch's CRC does not cover and recovery cannot check: base offset, leader epoch. */
function inUnprotectedField(offsetInBatch: number): boolean {
  return offsetInBatch < 8 || (offsetInBatch >= 12 && offsetInBatch < 16)
}

async function runCase(t: Template, recoverySegment: number, damage: Damage): Promise<void> {
  const dir = join(root, `case-${caseNo++}`)
  await cp(t.dir, dir, { recursive: true })
  const files = new FileCache({ maxOpenFiles: 8 })
  try {
    // Apply the damage.
    const disk = new Map<number, Buffer>()
    for (const s of t.segments) disk.set(s.base, await readFile(segFile(dir, s.base)))
    for (const f of damage.flips) disk.get(f.segment)![f.at]! ^= f.xor
    for (const f of damage.flips) await writeFile(segFile(dir, f.segment), disk.get(f.segment)!)
    if (damage.cut) {
      await truncate(segFile(dir, damage.cut.segment), damage.cut.at)
      disk.set(damage.cut.segment, disk.get(damage.cut.segment)!.subarray(0, damage.cut.at))
    }
    for (const d of damage.indexes) {
      const path = segFile(dir, d.segment, d.file)
      if (d.kind === 'delete') await unlink(path).catch(() => {})
      else {
        const size = (await stat(path).catch(() => ({ size: 0 }))).size
        if (size === 0) continue
        if (d.kind === 'truncate') await truncate(path, d.at % size)
        else {
          const bytes = await readFile(path)
          bytes[d.at % size]! ^= 0xa5
          await writeFile(path, bytes)
        }
      }
    }

    // The first batch (in log order) touched by the damage: everything before it must survive.
    const firstHit = t.batches.findIndex((b) => {
      if (damage.cut && b.segment === damage.cut.segment && b.position + b.size > damage.cut.at) return true
      if (damage.cut && b.segment > damage.cut.segment) return true
      return damage.flips.some((f) => f.segment === b.segment && f.at >= b.position && f.at < b.position + b.size)
    })
    const mustKeep = firstHit < 0 ? t.batches.length : firstHit
    const recoveryPoint = recoverySegment

    const log = await UnifiedLog.open({ dir, topic: 't', partition: 0, files, logger: silentLogger, config: { ...t.config, fileDeleteDelayMs: 0 }, recoveryPoint, hadCleanShutdown: false, producerIdExpirationMs: NEVER })
    const got = parseBatches(await log.readRecords({ fromOffset: log.logStartOffset, maxBytes: 1 << 24 }))
    const context = () => JSON.stringify({ template: t.dir.split('/').at(-1), recoveryPoint, damage, mustKeep, got: got.length, leo: log.logEndOffset, segments: log.segmentBaseOffsets() })

    assert.ok(got.length >= mustKeep, `lost valid data: ${context()}`)
    let prevLast = -1
    for (let i = 0; i < got.length; i++) {
      const r = got[i]!
      const o = t.batches[i]!
      assert.ok(isBatchCrcValid(r.bytes, 0), `bad CRC returned: ${context()}`)
      assert.ok(r.baseOffset > prevLast, `offsets not increasing: ${context()}`)
      prevLast = r.lastOffset
      // Byte-identical to what is on disk for that batch...
      assert.deepEqual(r.bytes, disk.get(o.segment)!.subarray(o.position, o.position + o.size), `not the stored batch: ${context()}`)
      // ...and any damage inside it is in a field recovery cannot check.
      for (const f of damage.flips) {
        if (f.segment === o.segment && f.at >= o.position && f.at < o.position + o.size) {
          assert.ok(inUnprotectedField(f.at - o.position), `a damaged batch survived: ${context()}`)
        }
      }
    }
    stats.cases++
    if (got.length < t.batches.length) stats.lostTail++
    else stats.intact++
    if (damage.flips.some((f) => got.some((_, i) => t.batches[i]!.segment === f.segment && f.at >= t.batches[i]!.position && f.at < t.batches[i]!.position + t.batches[i]!.size))) {
      stats.survivedUnprotectedFlip++
    }
    const lastOffset = got.at(-1)?.lastOffset ?? -1
    assert.ok(log.logEndOffset >= lastOffset + 1, context())
    assert.equal(log.logEndOffset, Math.max(lastOffset + 1, log.segmentBaseOffsets().at(-1)!), context())

    // Reads from any offset return valid whole batches (a cut only at the maxBytes limit).
    for (let k = 0; k < 3 && got.length > 0; k++) {
      const from = log.logStartOffset + ((caseNo * 7919 + k * 104729) % Math.max(1, log.logEndOffset - log.logStartOffset))
      const maxBytes = 100 + ((caseNo * 31 + k * 977) % 3000)
      const bytes = await log.readRecords({ fromOffset: from, maxBytes })
      const parsed = parseBatches(bytes)
      for (const p of parsed) assert.ok(isBatchCrcValid(p.bytes, 0), context())
      if (parsed.length > 0) assert.ok(parsed[0]!.lastOffset >= from, context())
      const whole = parsed.reduce((s, p) => s + p.size, 0)
      assert.ok(whole === bytes.length || bytes.length === maxBytes, `partial batch not at the byte limit: ${context()}`)
    }

    // The producer state is that of the batches that survived.
    const expected = producersOf(got)
    assert.deepEqual(stateOf(log), expected, `producer state: ${context()}`)

    // Appends continue exactly at the log end offset; each producer continues its sequence.
    const leo = log.logEndOffset
    const appended = await log.appendAsLeader(buildBatch({ records: 2 }), { leaderEpoch: 9 })
    assert.equal(appended.firstOffset, leo, context())
    let added = 2
    for (const [pid, { lastSeq }] of expected) {
      const next = buildBatch({ records: 1, producerId: Number(pid), producerEpoch: 0, baseSequence: lastSeq + 1 })
      const r = await log.appendAsLeader(Buffer.from(next), { leaderEpoch: 9 })
      assert.equal(r.firstOffset, leo + added, context())
      const retry = await log.appendAsLeader(Buffer.from(next), { leaderEpoch: 9 })
      assert.deepEqual([retry.duplicate, retry.firstOffset], [true, leo + added], `retry not a duplicate: ${context()}`)
      added++
    }
    const after = stateOf(log)
    await log.close({ flush: false })

    // Recovering again (still unclean) finds the same log and the same producers.
    const again = await UnifiedLog.open({ dir, topic: 't', partition: 0, files, logger: silentLogger, config: t.config, recoveryPoint: 0, hadCleanShutdown: false, producerIdExpirationMs: NEVER })
    assert.equal(again.logEndOffset, leo + added, context())
    assert.deepEqual(stateOf(again), after, `producer state after a second recovery: ${context()}`)
    assert.equal(again.recovery.truncatedBytes, 0, context())
    const all = parseBatches(await again.readRecords({ fromOffset: again.logStartOffset, maxBytes: 1 << 24 }))
    assert.equal(all.length, got.length + 1 + expected.size, context())
    await again.close({ flush: false })
  } finally {
    await files.closeAll()
    await removeDir(dir)
  }
}

/** Picks a template and a recovery point (as small numbers, so counterexamples stay readable). */
const setup = fc.record({ template: fc.nat(), recovery: fc.nat() })

/** Damage goes only to segments from the one holding the recovery point on. */
function resolve({ template, recovery }: { template: number; recovery: number }) {
  const t = templates[template % templates.length]!
  const first = recovery % t.segments.length
  return { t, recoverySegment: t.segments[first]!.base, damageable: t.segments.slice(first) }
}

test(`crash recovery: ${RUNS.cut} random cuts`, async () => {
  await fc.assert(
    fc.asyncProperty(setup, fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), async (choice, seg, frac) => {
      const { t, recoverySegment, damageable } = resolve(choice)
      const s = damageable[seg % damageable.length]!
      await runCase(t, recoverySegment, { cut: { segment: s.base, at: Math.floor(frac * s.size) }, flips: [], indexes: [] })
    }),
    { numRuns: RUNS.cut, seed: 20240601 },
  )
})

test(`crash recovery: ${RUNS.flip} random byte flips`, async () => {
  const flip = fc.record({ seg: fc.nat(), frac: fc.double({ min: 0, max: 0.9999, noNaN: true }), xor: fc.integer({ min: 1, max: 255 }) })
  await fc.assert(
    fc.asyncProperty(setup, fc.array(flip, { minLength: 1, maxLength: 3 }), async (choice, flips) => {
      const { t, recoverySegment, damageable } = resolve(choice)
      const damage: Damage = {
        flips: flips.map((f) => {
          const s = damageable[f.seg % damageable.length]!
          return { segment: s.base, at: Math.floor(f.frac * s.size), xor: f.xor }
        }),
        indexes: [],
      }
      await runCase(t, recoverySegment, damage)
    }),
    { numRuns: RUNS.flip, seed: 20240602 },
  )
})

test(`crash recovery: ${RUNS.index} cases of damaged or missing index files plus a cut`, async () => {
  const idx = fc.record({
    seg: fc.nat(),
    file: fc.constantFrom('.index' as const, '.timeindex' as const),
    kind: fc.constantFrom('delete' as const, 'truncate' as const, 'flip' as const),
    at: fc.nat(),
  })
  await fc.assert(
    fc.asyncProperty(setup, fc.array(idx, { minLength: 1, maxLength: 4 }), fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), async (choice, indexes, seg, frac) => {
      const { t, recoverySegment, damageable } = resolve(choice)
      const s = damageable[seg % damageable.length]!
      await runCase(t, recoverySegment, {
        cut: { segment: s.base, at: Math.floor(frac * s.size) },
        flips: [],
        indexes: indexes.map((d) => ({ ...d, segment: damageable[d.seg % damageable.length]!.base })),
      })
    }),
    { numRuns: RUNS.index, seed: 20240603 },
  )
})
