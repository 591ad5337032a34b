/**
 * The consumer against a real Samsa broker: record round trip, manual assignment with seek and
 * pause/resume, offset reset policies, commits and resuming from them, poll / batches limits,
 * read_committed on plain data, fetches pipelined ahead of the application.
 */
import { test } from 'node:test'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { ClientError, KafkaError } from '../../../src/client/base/errors.js'
import type { ConsumerRecord } from '../../../src/client/consumer/index.js'
import { consumerFor, produce, spread, testBroker, until, take } from './helpers.js'
import { fetchHandler } from '../../../src/broker/handlers/01-fetch.js'

test('consumer: keys, values, null values, headers (repeated, null), timestamps and offsets round-trip through a group', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('rt', 2)
  const before = Date.now()
  const sent = [
    { partition: 0, key: 'a', value: 'one', headers: [['h', 'x'], ['h', 'y'], ['n', null]] as Array<[string, string | null]> },
    { partition: 0, key: null, value: null },
    { partition: 1, key: Buffer.from([0, 255]), value: Buffer.alloc(5000, 7), headers: [['bin', Buffer.from([1, 2])]] as Array<[string, Buffer]> },
    { partition: 1, key: '', value: '' },
  ]
  const acks = await produce(b.bootstrap, 'rt', sent)
  const c = consumerFor(t, b.bootstrap, { groupId: 'rt-g', autoOffsetReset: 'earliest' })
  await c.subscribe(['rt'])
  const got = await take(c[Symbol.asyncIterator](), 4)
  got.sort((x, y) => x.partition - y.partition || Number(x.offset - y.offset))
  assert.deepEqual(
    got.map((r) => [r.topic, r.partition, r.offset]),
    acks.map((a) => ['rt', a.partition, a.offset]),
  )
  assert.deepEqual(got[0]!.key, Buffer.from('a'))
  assert.deepEqual(got[0]!.value, Buffer.from('one'))
  assert.deepEqual(
    got[0]!.headers.map((h) => [h.key, h.value?.toString() ?? null]),
    [['h', 'x'], ['h', 'y'], ['n', null]],
  )
  assert.equal(got[1]!.key, null)
  assert.equal(got[1]!.value, null)
  assert.deepEqual(got[1]!.headers, [])
  assert.deepEqual(got[2]!.key, Buffer.from([0, 255]))
  assert.deepEqual(got[2]!.value, Buffer.alloc(5000, 7))
  assert.deepEqual(got[2]!.headers, [{ key: 'bin', value: Buffer.from([1, 2]) }])
  assert.deepEqual(got[3]!.key, Buffer.alloc(0))
  assert.deepEqual(got[3]!.value, Buffer.alloc(0))
  for (const r of got) {
    assert.equal(r.timestampType, 'CreateTime')
    assert.ok(r.timestamp >= before - 1000 && r.timestamp <= Date.now() + 1000, `timestamp ${r.timestamp}`)
    assert.equal(typeof r.leaderEpoch, 'number')
  }
  assert.deepEqual(c.subscription(), ['rt'])
  assert.deepEqual(c.assignment().map((tp) => tp.partition).sort(), [0, 1])
})

test('consumer: manual assignment without a group; seek, pause and resume; position', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('ma', 2)
  await produce(b.bootstrap, 'ma', spread(20, 2))
  const c = consumerFor(t, b.bootstrap, { autoOffsetReset: 'earliest' })
  const p0 = { topic: 'ma', partition: 0 }
  const p1 = { topic: 'ma', partition: 1 }
  c.assign([p0, p1])
  assert.deepEqual(c.subscription(), [])
  c.pause([p1])
  assert.deepEqual(c.paused(), [p1])
  c.seek(p0, 5n)
  assert.equal(await c.position(p0), 5n)
  const first: ConsumerRecord[] = []
  while (first.length < 5) first.push(...(await c.poll({ timeoutMs: 2000 })))
  assert.deepEqual(first.map((r) => [r.partition, r.offset]), [5, 6, 7, 8, 9].map((o) => [0, BigInt(o)]))
  assert.equal(await c.position(p0), 10n)
  // Paused: nothing from p1 even though it has data (and may have some buffered).
  assert.deepEqual(await c.poll({ timeoutMs: 300 }), [])
  c.resume([p1])
  assert.deepEqual(c.paused(), [])
  const second: ConsumerRecord[] = []
  while (second.length < 10) second.push(...(await c.poll({ timeoutMs: 2000 })))
  assert.deepEqual(second.map((r) => [r.partition, Number(r.offset)]), Array.from({ length: 10 }, (_, i) => [1, i]))
  assert.deepEqual(second.map((r) => r.value!.toString()), Array.from({ length: 10 }, (_, i) => `v${2 * i + 1}`))
  // A seek back in the middle of buffered data replays from there.
  c.seek(p1, 3)
  const again = await c.poll({ timeoutMs: 2000 })
  assert.equal(again[0]!.offset, 3n)
  c.seekToEnd([p0])
  assert.equal(await c.position(p0), 10n)
  c.seekToBeginning()
  assert.equal(await c.position(p0), 0n)
  assert.equal(await c.position(p1), 0n)
  assert.throws(() => c.seek({ topic: 'ma', partition: 7 }, 0n), (e: unknown) => e instanceof ClientError && e.code === 'ILLEGAL_STATE')
  await assert.rejects(c.commit(), (e: unknown) => e instanceof ClientError && /groupId/.test(e.message))
})

test('consumer: autoOffsetReset latest starts at the end; earliest after an out-of-range seek; none reports NO_OFFSET', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('reset', 1)
  await produce(b.bootstrap, 'reset', spread(5, 1, 'old'))
  const tp = { topic: 'reset', partition: 0 }

  const latest = consumerFor(t, b.bootstrap, { groupId: 'reset-latest', autoOffsetReset: 'latest' })
  await latest.subscribe('reset')
  // The group's answer is installed by a poll (as in the Java consumer): poll until it is. Waiting
  // without polling failed on a loaded machine, where the join outlasted the first poll.
  const deadline = Date.now() + 30_000
  while (latest.assignment().length !== 1) {
    assert.ok(Date.now() < deadline, 'assigned within 30 s')
    assert.deepEqual(await latest.poll({ timeoutMs: 200 }), [], 'latest: nothing of what was there before')
  }
  assert.equal(await latest.position(tp), 5n)
  await produce(b.bootstrap, 'reset', spread(3, 1, 'new'))
  const got: ConsumerRecord[] = []
  while (got.length < 3) got.push(...(await latest.poll({ timeoutMs: 2000 })))
  assert.deepEqual(got.map((r) => r.value!.toString()), ['new0', 'new1', 'new2'])

  const earliest = consumerFor(t, b.bootstrap, { autoOffsetReset: 'earliest' })
  earliest.assign([tp])
  earliest.seek(tp, 1000n)
  const reset = await earliest.poll({ timeoutMs: 2000 })
  assert.equal(reset[0]!.offset, 0n, 'OFFSET_OUT_OF_RANGE resets to the earliest offset')

  const none = consumerFor(t, b.bootstrap, { groupId: 'reset-none', autoOffsetReset: 'none' })
  await none.subscribe(['reset'])
  await assert.rejects(none.poll({ timeoutMs: 5000 }), (e: unknown) => e instanceof ClientError && e.code === 'NO_OFFSET' && /reset-0/.test(e.message))
  await assert.rejects(none.position(tp), (e: unknown) => e instanceof ClientError && e.code === 'NO_OFFSET')
  none.seek(tp, 6n)
  assert.equal((await none.poll({ timeoutMs: 2000 }))[0]!.offset, 6n, 'a seek gives the partition a position')

  const noneManual = consumerFor(t, b.bootstrap, { autoOffsetReset: 'none' })
  noneManual.assign([tp])
  noneManual.seek(tp, 100n)
  await assert.rejects(noneManual.poll({ timeoutMs: 5000 }), (e: unknown) => e instanceof KafkaError && e.errorName === 'OFFSET_OUT_OF_RANGE')
})

test('consumer: commit, close, and a new member of the group resumes exactly after the committed offsets', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('resume', 2)
  await produce(b.bootstrap, 'resume', spread(40, 2))
  const all: string[] = []

  // Manual commits: take 15 records one at a time, commit, close.
  const a = consumerFor(t, b.bootstrap, { groupId: 'resume-g', autoOffsetReset: 'earliest', enableAutoCommit: false })
  await a.subscribe(['resume'])
  for (const r of await take(a.records(), 15)) all.push(r.value!.toString())
  await a.commit()
  const committed = await a.committed([{ topic: 'resume', partition: 0 }, { topic: 'resume', partition: 1 }])
  assert.equal(committed.reduce((n, c) => n + Number(c.offset ?? 0n), 0), 15)
  await a.close()

  // Auto-commit: the close commits what was delivered.
  const c2 = consumerFor(t, b.bootstrap, { groupId: 'resume-g', autoOffsetReset: 'earliest' })
  await c2.subscribe(['resume'])
  for (const r of await take(c2.records(), 10)) all.push(r.value!.toString())
  await c2.close()

  const c3 = consumerFor(t, b.bootstrap, { groupId: 'resume-g', autoOffsetReset: 'earliest' })
  await c3.subscribe(['resume'])
  for (const r of await take(c3.records(), 15)) all.push(r.value!.toString())
  assert.deepEqual([...all].sort(), Array.from({ length: 40 }, (_, i) => `v${i}`).sort(), 'no duplicates, no gaps')
  assert.deepEqual(await c3.poll({ timeoutMs: 500 }), [], 'nothing left')

  // Explicit offsets, and commitAsync's callback.
  await c3.commit([{ topic: 'resume', partition: 0, offset: 3n, metadata: 'm' }])
  const [p0] = await c3.committed([{ topic: 'resume', partition: 0 }])
  assert.equal(p0!.offset, 3n)
  assert.equal(p0!.metadata, 'm')
  const done = await new Promise<Error | null>((resolve) => c3.commitAsync([{ topic: 'resume', partition: 0, offset: 20n }], resolve))
  assert.equal(done, null)
  assert.equal((await c3.committed([{ topic: 'resume', partition: 0 }]))[0]!.offset, 20n)
})

test('consumer: poll returns at most maxPollRecords; batches() gives one partition at a time with its high watermark', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('pb', 3)
  await produce(b.bootstrap, 'pb', spread(90, 3))
  const c = consumerFor(t, b.bootstrap, { autoOffsetReset: 'earliest', maxPollRecords: 7 })
  c.assign([0, 1, 2].map((partition) => ({ topic: 'pb', partition })))
  const polled = await c.poll({ timeoutMs: 2000 })
  assert.ok(polled.length >= 1 && polled.length <= 7, `${polled.length} records`)
  let n = polled.length
  const seen = new Map<number, bigint>()
  for await (const batch of c.batches()) {
    assert.ok(batch.records.length >= 1 && batch.records.length <= 7)
    assert.equal(batch.highWatermark, 30n)
    for (const r of batch.records) {
      assert.equal(r.partition, batch.partition)
      const prev = seen.get(r.partition)
      if (prev !== undefined) assert.equal(r.offset, prev + 1n, 'in order, no gaps')
      seen.set(r.partition, r.offset)
    }
    n += batch.records.length
    if (n >= 90) break
  }
  assert.equal(n, 90)
  // Iteration ends when the consumer closes.
  const it = c.records()
  setTimeout(() => void c.close(), 100)
  assert.deepEqual(await it.next(), { done: true, value: undefined })
  await assert.rejects(c.poll(), (e: unknown) => e instanceof ClientError && e.code === 'CLIENT_CLOSED')
})

test('consumer: read_committed reads every record of non-transactional data; an AbortSignal ends a waiting poll', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('rc', 1)
  await produce(b.bootstrap, 'rc', spread(25, 1))
  const c = consumerFor(t, b.bootstrap, { autoOffsetReset: 'earliest', isolationLevel: 'read_committed' })
  c.assign([{ topic: 'rc', partition: 0 }])
  const got = await take(c.records(), 25)
  assert.deepEqual(got.map((r) => r.value!.toString()), Array.from({ length: 25 }, (_, i) => `v${i}`))
  const ac = new AbortController()
  setTimeout(() => ac.abort(new Error('stop waiting')), 100)
  await assert.rejects(c.poll({ signal: ac.signal }), /stop waiting/)
  const ac2 = new AbortController()
  const it = c.records({ signal: ac2.signal })
  setTimeout(() => ac2.abort(new Error('stop iterating')), 100)
  await assert.rejects(it.next(), /stop iterating/)
})

test('consumer: manual assignment with a groupId commits as a simple group (generation -1) and starts from committed offsets', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('simple', 1)
  await produce(b.bootstrap, 'simple', spread(10, 1))
  const tp = { topic: 'simple', partition: 0 }
  const a = consumerFor(t, b.bootstrap, { groupId: 'simple-g', autoOffsetReset: 'earliest' })
  a.assign([tp])
  assert.equal((await take(a.records(), 4)).length, 4)
  assert.deepEqual(a.groupMetadata(), { groupId: 'simple-g', generationId: -1, memberId: '', groupInstanceId: null })
  await a.close() // auto-commit on close
  const c = consumerFor(t, b.bootstrap, { groupId: 'simple-g', autoOffsetReset: 'earliest', enableAutoCommit: false })
  c.assign([tp])
  assert.equal(await c.position(tp), 4n, 'the committed offset is the starting position')
  const rest = await take(c.records(), 6)
  assert.deepEqual(rest.map((r) => Number(r.offset)), [4, 5, 6, 7, 8, 9])
  await c.commit()
  assert.equal((await c.committed([tp]))[0]!.offset, 10n)
})

test('consumer: a poll waiting for records keeps the process alive while the broker is unreachable', async () => {
  // With only the consumer's own retry timers pending (no socket open between attempts), Node
  // must not exit under an application awaiting poll(): it would end with code 0, silently.
  const dir = fileURLToPath(new URL('../../../src/client/consumer/consumer.js', import.meta.url))
  const script = `
    import { Consumer } from ${JSON.stringify(dir)}
    const c = new Consumer({ bootstrapServers: '127.0.0.1:1', retryBackoffMs: 50 })
    c.assign([{ topic: 't', partition: 0 }])
    c.seek({ topic: 't', partition: 0 }, 5)
    process.stdout.write('polling\\n')
    await c.poll()
    process.stdout.write('poll returned\\n')
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  try {
    await until(() => out.includes('polling'), 'the child to start polling')
    // Several connection attempts and backoffs later, it must still be waiting.
    const early = await Promise.race([exited.then((code) => `exited with ${code}`), new Promise<string>((r) => setTimeout(() => r('still waiting'), 1500))])
    assert.equal(early, 'still waiting', `stdout: ${out}`)
  } finally {
    child.kill('SIGKILL')
    await exited
  }
})

test('consumer: the next fetch goes out as soon as a response is in, while its records still wait for the application (Java fetches again only once the buffer is used up)', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('pipe', 1)
  await produce(b.bootstrap, 'pipe', spread(10, 1))
  // The broker notes each Fetch's offset for the partition as it arrives.
  const asked: bigint[] = []
  b.broker.context.handlers.register({
    ...fetchHandler,
    handle: (req, ctx) => {
      for (const topic of req.topics) for (const p of topic.partitions) asked.push(p.fetchOffset)
      return fetchHandler.handle(req, ctx)
    },
  })
  const c = consumerFor(t, b.bootstrap, { autoOffsetReset: 'earliest', maxPollRecords: 1 })
  const tp = { topic: 'pipe', partition: 0 }
  c.assign([tp])
  const first = await c.poll({ timeoutMs: 5000 })
  assert.deepEqual(first.map((r) => r.offset), [0n])
  // The application holds on to the other nine; the fetcher asks for what follows them anyway.
  await until(() => asked.includes(10n), 'a Fetch from offset 10')
  assert.equal(await c.position(tp), 1n, 'the application has taken one record')
  const rest: ConsumerRecord[] = []
  while (rest.length < 9) rest.push(...(await c.poll({ timeoutMs: 5000 })))
  assert.deepEqual(rest.map((r) => r.offset), Array.from({ length: 9 }, (_, i) => BigInt(i + 1)))
})
