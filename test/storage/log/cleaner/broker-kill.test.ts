/**
 * kill -9 of a real broker process (`samsa server start`) while its log cleaner swaps cleaned
 * segments in, again and again on the same log dir (issue 19). Each round: kcat writes keyed
 * records and tombstones to a compacted topic with small segments on a broker whose cleaner is
 * off, that broker stops cleanly (so the segment files are the known "before" state), a broker
 * with the cleaner on starts on the same dir and is SIGKILLed during its pass, and a third
 * start recovers the dir. Half the rounds die at a named step of the swap (SAMSA_FAULT_KILL: the
 * process kills itself at the n-th check of a fault point, src/util/faults.ts), half at a random
 * moment of a pass throttled to last about a second (for points the hooks do not name). After each kill, kcat reads the
 * partition from offset 0 to its end, and for every segment group the cleaner would form from the
 * before state (its groupSegmentsBySize rule over the files' sizes) the records read equal either
 * the before state or the after state (the model: a record stays iff it is its key's latest below
 * the active segment; tombstones stay, delete.retention.ms being long), its files either its old
 * segments or the one cleaned segment, in agreement with its records; every key's latest value
 * is at its original offset, and `samsa dump-log` of the partition's files reports no problem and
 * the same offsets. 5 kills by default; SAMSA_CLEANER_KILLS=1 runs 20.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, startBrokerProcess, type BrokerProcess } from '../../../helpers/broker-process.js'
import { deferrer } from '../../../helpers/groups.js'
import { hasCommand, requireTool, runTool } from '../../../helpers/tools.js'

const KILLS = process.env['SAMSA_CLEANER_KILLS'] === '1' ? 20 : 5
const TOPIC = 'ck'
const SEGMENT_BYTES = 2048
/** The swap's steps in order (cleaner.ts, local-log.ts replaceSegments), most telling first. */
const POINTS = ['cleaner.replace', 'cleaner.rename', 'cleaner.swap', 'cleaner.delete', 'cleaner.write', 'cleaner.swapped']
const KEYS = 30
const PER_ROUND = 150

interface Rec {
  key: string
  value: string | null
}

/** A random kill lands in a pass of about this long: the I/O budget is set from the log's size. */
const RANDOM_PASS_MS = 1000

const brokerOverrides = (cleaner: boolean, ioBytesPerSecond: number | undefined): Record<string, string> => ({
  'log.cleaner.enable': String(cleaner),
  'log.cleaner.backoff.ms': '100',
  'log.level': 'info',
  ...(ioBytesPerSecond ? { 'log.cleaner.io.max.bytes.per.second': String(ioBytesPerSecond) } : {}),
})

/** The partition from offset 0 to its end, through kcat (a real client). */
async function readPartition(bootstrap: string): Promise<Map<number, Rec>> {
  const read = () => runTool('kcat', ['-C', '-b', bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %k %S %s\n'], { timeoutMs: 30_000 })
  let r = await read()
  // Right after a start the partition may not have its leader yet; any other error fails at once.
  for (let i = 0; i < 10 && r.code !== 0 && /not available|unknown topic/i.test(r.stderr); i++) {
    await new Promise((res) => setTimeout(res, 200))
    r = await read()
  }
  assert.equal(r.code, 0, `kcat read from offset 0: ${r.stderr}`)
  const out = new Map<number, Rec>()
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue
    const [o, key, len, value] = line.split(' ')
    out.set(Number(o), { key: key!, value: len === '-1' ? null : (value ?? '') })
  }
  return out
}

/** The .log files of the partition with their sizes, in offset order. */
async function segmentFiles(partitionDir: string): Promise<Array<{ baseOffset: number; size: number }>> {
  const names = (await readdir(partitionDir)).filter((n) => /^\d{20}\.log$/.test(n)).sort()
  return Promise.all(names.map(async (n) => ({ baseOffset: Number(n.slice(0, 20)), size: (await stat(join(partitionDir, n))).size })))
}

/**
 * The groups one pass forms (Kafka's groupSegmentsBySize as cleaner.ts applies it): consecutive
 * inactive segments whose sizes sum to at most segment.bytes (the index limits are far away at
 * these sizes), as offset ranges [from, to); the active (last) segment is never cleaned.
 */
function groupsOf(segs: ReadonlyArray<{ baseOffset: number; size: number }>): Array<[number, number]> {
  const groups: Array<[number, number]> = []
  let i = 0
  while (i < segs.length - 1) {
    const from = segs[i]!.baseOffset
    let bytes = segs[i]!.size
    i++
    while (i < segs.length - 1 && bytes + segs[i]!.size <= SEGMENT_BYTES) bytes += segs[i++]!.size
    groups.push([from, segs[i]!.baseOffset])
  }
  return groups
}

/** Whether the broker died (its hook fired) or finished a pass first, waiting at most `ms`. */
async function diesOrCleans(b: BrokerProcess, ms: number): Promise<'died' | 'cleaned' | 'timeout'> {
  let dead = false
  void b.exited.then(() => (dead = true))
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
    if (dead) return 'died'
    if (/cleaned ck-0 up to/.test(b.stderr())) return 'cleaned'
  }
  return 'timeout'
}

function inRange(m: ReadonlyMap<number, Rec>, [from, to]: [number, number]): string {
  return [...m].filter(([o]) => o >= from && o < to).sort((a, b) => a[0] - b[0]).map(([o, r]) => `${o} ${r.key}=${r.value ?? 'NULL'}`).join('\n')
}

test(`kill -9 a broker process during cleaning, ${KILLS} times: the log stays valid, every segment group before or after`, { timeout: KILLS * 20_000 }, async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const defer = deferrer(t)
  const logDir = mkdtempSync(join(tmpdir(), 'samsa-cleaner-kill-'))
  defer(() => rmSync(logDir, { recursive: true, force: true }))
  const partitionDir = join(logDir, `${TOPIC}-0`)
  const start = async (cleaner: boolean, env: NodeJS.ProcessEnv = {}, ioBytesPerSecond?: number): Promise<BrokerProcess> => {
    const b = await startBrokerProcess({ logDir, overrides: brokerOverrides(cleaner, ioBytesPerSecond), env, startTimeoutMs: 20_000 })
    defer(() => b.stop('SIGKILL'))
    return b
  }

  let b = await start(false)
  const created = await runCli(['topics', '--bootstrap-server', b.bootstrap, '--create', '--topic', TOPIC, '--partitions', '1', '--config', 'cleanup.policy=compact', '--config', `segment.bytes=${SEGMENT_BYTES}`, '--config', 'min.cleanable.dirty.ratio=0.01', '--config', 'delete.retention.ms=86400000'], { timeoutMs: 30_000 })
  assert.equal(created.code, 0, created.stderr)

  let state = new Map<number, Rec>()
  let end = 0
  let n = 0
  const outcomes: string[] = []
  for (let round = 0; round < KILLS; round++) {
    // 1. New records on a broker that does not clean: the before state is what was written.
    const lines: string[] = []
    const before = new Map(state)
    for (let i = 0; i < PER_ROUND; i++, n++) {
      const key = `k${(n * 7) % KEYS}`
      const value = n % 11 === 10 ? null : `v${n}-${'x'.repeat(20)}`
      lines.push(`${key}:${value ?? ''}`)
      before.set(end + i, { key, value })
    }
    const produced = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', TOPIC, '-p', '0', '-K', ':', '-Z', '-X', 'linger.ms=5', '-X', 'batch.num.messages=5'], { input: lines.join('\n') + '\n', timeoutMs: 30_000 })
    assert.equal(produced.code, 0, produced.stderr)
    end += PER_ROUND
    await b.stop('SIGTERM')
    const segs = await segmentFiles(partitionDir)
    const groups = groupsOf(segs)
    const cleanEnd = segs.at(-1)!.baseOffset
    // The after state: a record below the active segment stays iff it is its key's latest there.
    const latestBelow = new Map<string, number>()
    for (const [o, r] of before) if (o < cleanEnd) latestBelow.set(r.key, Math.max(o, latestBelow.get(r.key) ?? -1))
    const after = new Map([...before].filter(([o, r]) => o >= cleanEnd || latestBelow.get(r.key) === o))
    const changing = groups.filter((g) => inRange(before, g) !== inRange(after, g)).length
    assert.ok(changing > 0, `round ${round}: the pass has work to do`)

    // 2. A broker that cleans, killed at a named step of the swap or at a random moment.
    const atHook = round % 2 === 0
    const point = POINTS[(round / 2) % POINTS.length]!
    const nth = point === 'cleaner.delete' ? 1 : 1 + Math.floor(Math.random() * Math.min(changing, 3))
    // A pass reads the log about twice (the offset map, then every group) and writes the cleaned part.
    const logBytes = segs.reduce((sum, f) => sum + f.size, 0)
    const cleaning = await start(true, atHook ? { SAMSA_FAULT_KILL: `${point}:${nth}` } : {}, atHook ? undefined : Math.ceil((3 * logBytes * 1000) / RANDOM_PASS_MS))
    let how: string
    if (atHook) {
      // Dies by itself at the point; a point the pass never reaches (cleaner.delete with no
      // multi-segment group) lets the pass finish, and the kill comes after it.
      const outcome = await diesOrCleans(cleaning, 15_000)
      if (outcome === 'died') {
        assert.equal((await cleaning.exited).signal, 'SIGKILL', `round ${round}: ${cleaning.stderr()}`)
        await cleaning.waitForStderr(`SAMSA_FAULT_KILL ${point} ${nth} `, 2000)
        how = `${point}:${nth}`
      } else {
        assert.equal(point, 'cleaner.delete', `round ${round}: ${point}:${nth} was never reached (${changing} groups to swap; ${outcome})`)
        how = `${point} not reached, after the pass`
      }
    } else {
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * RANDOM_PASS_MS * 0.8)))
      how = 'random'
    }
    await cleaning.stop('SIGKILL')
    // What the kill left on disk, before recovery: which step it interrupted.
    const left = await readdir(partitionDir)
    // (`.deleted` files are those of earlier swaps too, left for file.delete.delay.ms.)
    const leftover = ['.cleaned', '.swap'].filter((sfx) => left.some((f) => f.endsWith(sfx))).join('+')
    if (how === 'random') how = `random (${/cleaned ck-0 up to/.test(cleaning.stderr()) ? 'after the pass' : leftover ? `left ${leftover}` : 'nothing in flight'})`

    // 3. Recovery: a valid log from offset 0 to the end, each group before or after.
    b = await start(false)
    const got = await readPartition(b.bootstrap)
    assert.equal(Math.max(...got.keys()), end - 1, `round ${round} (${how}): the log end survives`)
    const states: string[] = []
    const bases = (await segmentFiles(partitionDir)).map((f) => f.baseOffset)
    for (const g of groups) {
      // The files too: the group's old segments, or the one cleaned segment at its base.
      const files = bases.filter((o) => o >= g[0] && o < g[1])
      const oldFiles = segs.map((f) => f.baseOffset).filter((o) => o >= g[0] && o < g[1])
      const swapped = files.length === 1 && files[0] === g[0] && oldFiles.length > 1 ? true : String(files) === String(oldFiles) ? oldFiles.length > 1 ? false : undefined : 'neither'
      assert.notEqual(swapped, 'neither', `round ${round}: the segments of group [${g[0]}, ${g[1]}) are ${files}, neither the old ${oldFiles} nor one at ${g[0]}`)
      const seen = inRange(got, g)
      const was = inRange(before, g) === seen ? 'before' : inRange(after, g) === seen ? 'after' : undefined
      assert.ok(was, `round ${round} (${how}): group [${g[0]}, ${g[1]}) is neither the before nor the after state:\n${seen}\n--- before:\n${inRange(before, g)}\n--- after:\n${inRange(after, g)}`)
      if (inRange(before, g) !== inRange(after, g)) {
        // A multi-segment group's records and files agree: cleaned records only in the one cleaned file.
        if (swapped !== undefined) assert.equal(swapped, was === 'after', `round ${round} (${how}): group [${g[0]}, ${g[1]}) has ${was} records in ${files.length} file(s)`)
        states.push(was!)
      } else if (swapped !== undefined) states.push(swapped ? 'after' : 'before')
    }
    // The groups the pass swaps (its changed ones, and merges), in offset order: the swaps go in that
    // order, so some first ones are after and the rest before; at a named step, exactly as many as
    // the kill point implies (a swap with its `.swap` in place is finished by the recovery).
    const swappedFirst = states.indexOf('before') < 0 ? states.length : states.indexOf('before')
    assert.ok(states.slice(swappedFirst).every((st) => st === 'before'), `round ${round} (${how}): groups swapped out of order: ${states}`)
    if (how.startsWith('cleaner.') && point !== 'cleaner.delete') {
      const expected = point === 'cleaner.write' || point === 'cleaner.swap' ? nth - 1 : nth
      assert.equal(swappedFirst, expected, `round ${round} (${how}): swapped groups ${states}`)
    }
    assert.equal(inRange(got, [cleanEnd, end]), inRange(before, [cleanEnd, end]), `round ${round}: the active segment is untouched`)
    const latest = new Map<string, number>()
    for (const [o, r] of before) latest.set(r.key, o)
    for (const [key, o] of latest) assert.deepEqual(got.get(o), before.get(o), `round ${round} (${how}): the latest of ${key} at ${o}`)

    const segmentFilePaths = (await readdir(partitionDir)).filter((f) => /^\d{20}\.(log|index|timeindex)$/.test(f)).map((f) => join(partitionDir, f))
    const dumped = await runCli(['dump-log', '--files', segmentFilePaths.join(','), '--deep-iteration'], { timeoutMs: 60_000 })
    assert.equal(dumped.code, 0, `round ${round}: dump-log: ${dumped.stderr}`)
    assert.doesNotMatch(dumped.stderr, /Mismatches|out of order|not found|cannot|corrupt/i, `round ${round}: dump-log findings`)
    const dumpedOffsets = [...dumped.stdout.matchAll(/\| offset: (\d+)/g)].map((m) => Number(m[1]))
    assert.deepEqual(dumpedOffsets, [...got.keys()].sort((a, b) => a - b), `round ${round}: dump-log shows the records kcat read`)

    const summary = states.every((s) => s === 'before') ? 'all before' : states.every((s) => s === 'after') ? 'all after' : `mixed (${states.filter((s) => s === 'after').length}/${states.length} groups after)`
    outcomes.push(`${how}: ${summary}`)
    state = got
  }
  await b.stop('SIGTERM')
  t.diagnostic(outcomes.join('; '))
  // The hook rounds kill past the swap's point of no return at least once: recovery finished a swap.
  assert.ok(outcomes.some((o) => /all after|mixed/.test(o)), `no round left a cleaned group: ${outcomes.join('; ')}`)
})
