/**
 * The Samsa driver: one worker process holding every producer (or every consumer) of a run,
 * driven by the coordinator over stdin/stdout (protocol.ts). The coordinator starts the
 * producer side and the consumer side as two processes, so they share no event loop.
 *
 *   node dist/bench/omb/samsa-worker.js      (reads its WorkerConfig as the first stdin line)
 *
 * Client settings (OMB's Kafka throughput driver's, with acks=1 as issues 20 and 21 measure):
 * Producer({ acks: 1, lingerMs: 1, batchSize: 1 MiB }) (not idempotent: acks=1), keys by the
 * workload's key distributor (keyless records go to the sticky partitioner); Consumer({ groupId,
 * autoOffsetReset: 'earliest' }) subscribed to its topic, defaults otherwise, read with
 * `batches()`.
 *
 * Scheduling is coordinated-omission-correct: message i of the schedule is due at start + i/rate,
 * and carries that intended time; when the worker falls behind (a slow client, a blocked
 * buffer, a late timer) the late messages are sent as soon as it can, still stamped with their
 * intended times, so the lateness shows in publish delay and in every latency measured from
 * the intended time. At most MAX_OUTSTANDING_BYTES are unacknowledged (the client's own
 * buffer.memory would block there anyway); beyond that the schedule waits for acknowledgements.
 */
import { createInterface } from 'node:readline'
import { Buckets } from './histogram.js'
import { nowUs, type Command, type ConsumerConfig, type ProducerConfig, type Report, type StatsLine, type WorkerConfig } from './protocol.js'
import { makeKeys, PAYLOAD_FILL } from './payload.js'

const MAX_OUTSTANDING_BYTES = 32 * 1024 * 1024
/** Messages sent per turn of the event loop before it lets acknowledgements in. */
const PER_TURN = 1000
const STATS_INTERVAL_MS = 1000
/** Gaps to the next due message shorter than this are waited out exactly (fineWait), not with a timer. */
const TIMER_MIN_US = 1500
/** The shortest gap between two wake-ups of the schedule. */
const FINE_STEP_US = 200
/** The longest the driver sleeps without letting I/O in. */
const FINE_WAIT_US = 250
/** Atomics.wait's target: nothing ever wakes it, so it sleeps its timeout. */
const sleeper = new Int32Array(new SharedArrayBuffer(4))

function emit(r: Report): void {
  process.stdout.write(`${JSON.stringify(r)}\n`)
}

function fatal(e: unknown): never {
  emit({ type: 'error', message: e instanceof Error ? e.message : String(e) })
  process.exit(1)
}

async function producerWorker(cfg: ProducerConfig, commands: AsyncIterable<Command>): Promise<void> {
  const { Producer } = await import('../../src/client/producer/index.js')
  const producers: Array<{ topic: string; p: InstanceType<typeof Producer> }> = []
  for (const topic of cfg.topics) {
    for (let i = 0; i < cfg.producersPerTopic; i++) {
      producers.push({ topic, p: new Producer({ bootstrapServers: [cfg.bootstrap], clientId: `omb-producer-${producers.length}`, acks: 1, lingerMs: 1, batchSize: 1024 * 1024, idempotent: false }) })
    }
  }
  // Connect and fetch metadata before the schedule starts, so the first second is not a cold
  // start. The message's send times are 0, which tells consumers to skip it.
  await Promise.all(producers.map(({ p, topic }) => p.send({ topic, value: Buffer.alloc(cfg.messageSize) })))

  const keys = cfg.keyDistributor === 'NO_KEY' ? undefined : makeKeys()
  const fill = PAYLOAD_FILL.subarray(0, cfg.messageSize)
  const pub = new Buckets()
  const pubSend = new Buckets()
  const delay = new Buckets()
  let sent = 0
  let sentBytes = 0
  let acked = 0
  let errors = 0
  let outstandingBytes = 0
  let firstError: string | undefined
  const stats = (flush = false): StatsLine => {
    const s: StatsLine = { type: 'stats', sent, sentBytes, acked, errors, pub: pub.take(), pubSend: pubSend.take(), delay: delay.take() }
    if (flush) s.flush = true
    sent = sentBytes = acked = errors = 0
    return s
  }

  let rate = 0
  let anchorUs = 0
  let anchorSeq = 0
  let seq = 0
  let next = 0
  let keyIndex = 0
  let timer: NodeJS.Timeout | undefined
  let immediate: NodeJS.Immediate | undefined
  let stopping = false

  // One value for every message, as OMB sends one payload: send() copies the record into its
  // batch before it returns (ProducerBatch.tryAppend), so only the 16 time bytes change. A fresh
  // 1 KiB buffer per message was a quarter of this process's garbage at 50 MiB/s, and its
  // collections landed in the latencies measured.
  const value = Buffer.alloc(cfg.messageSize)
  fill.copy(value, 16, 16)
  const sendOne = (intendedUs: number, sentUs: number) => {
    value.writeUInt32BE(Math.floor(intendedUs / 2 ** 32), 0)
    value.writeUInt32BE(intendedUs % 2 ** 32, 4)
    value.writeUInt32BE(Math.floor(sentUs / 2 ** 32), 8)
    value.writeUInt32BE(sentUs % 2 ** 32, 12)
    const { p, topic } = producers[next]!
    next = (next + 1) % producers.length
    const key = keys === undefined ? null : cfg.keyDistributor === 'KEY_ROUND_ROBIN' ? keys[keyIndex++ % keys.length]! : keys[Math.floor(Math.random() * keys.length)]!
    outstandingBytes += cfg.messageSize
    sent++
    sentBytes += cfg.messageSize
    delay.record(sentUs - intendedUs)
    p.send({ topic, key, value }).then(
      () => {
        const now = nowUs()
        pub.record(now - intendedUs)
        pubSend.record(now - sentUs)
        acked++
        outstandingBytes -= cfg.messageSize
        if (waitingForAcks && outstandingBytes < MAX_OUTSTANDING_BYTES) {
          waitingForAcks = false
          schedule(0)
        }
      },
      (e: Error) => {
        errors++
        outstandingBytes -= cfg.messageSize
        firstError ??= e.message
      },
    )
  }

  let waitingForAcks = false
  const schedule = (ms: number) => {
    clearTimeout(timer)
    clearImmediate(immediate)
    if (ms <= 0) immediate = setImmediate(tick)
    else timer = setTimeout(tick, ms)
  }
  function tick(): void {
    if (stopping || rate <= 0) return
    const now = nowUs()
    const due = anchorSeq + Math.floor(((now - anchorUs) * rate) / 1e6) + 1
    let n = 0
    while (seq < due && n < PER_TURN) {
      if (outstandingBytes >= MAX_OUTSTANDING_BYTES) {
        waitingForAcks = true
        return
      }
      sendOne(anchorUs + ((seq - anchorSeq) * 1e6) / rate, n === 0 ? now : nowUs())
      seq++
      n++
    }
    if (seq < due) return schedule(0)
    const nextDueUs = anchorUs + ((seq - anchorSeq) * 1e6) / rate
    const waitUs = nextDueUs - nowUs()
    // A timer fires on a whole millisecond of the loop's clock, up to a millisecond late: at
    // 5 MiB/s of 1 KiB that put about 0.6 ms of the driver's own lateness into every latency
    // (publish delay p99 1.4 ms), where the librdkafka driver's poll() waits to the microsecond.
    // A gap under TIMER_MIN_US is waited out exactly instead: let I/O in (setImmediate), then
    // sleep the rest of the gap, at most FINE_WAIT_US at a time so acknowledgements are not
    // held up longer than that. The wake-ups are at least FINE_STEP_US apart, so at high rates
    // each sends the few messages that fell due meanwhile rather than one per turn of the loop.
    if (waitUs < TIMER_MIN_US) {
      clearTimeout(timer)
      clearImmediate(immediate)
      immediate = setImmediate(fineWait, Math.max(nextDueUs, nowUs() + FINE_STEP_US))
    } else schedule((waitUs - TIMER_MIN_US) / 1000)
  }
  function fineWait(dueUs: number): void {
    const waitUs = dueUs - nowUs()
    if (waitUs > 0) Atomics.wait(sleeper, 0, 0, Math.min(waitUs, FINE_WAIT_US) / 1000)
    if (nowUs() >= dueUs) tick()
    else immediate = setImmediate(fineWait, dueUs)
  }
  const setRate = (r: number) => {
    // A new schedule from now: messages the old one had not sent yet are dropped, not sent late.
    // Only the max-rate controller changes the rate, and it lowers it because the producers fell
    // behind; carrying that lateness into the new rate would count it again in every latency.
    anchorUs = nowUs()
    anchorSeq = seq
    rate = r
    schedule(0)
  }

  const interval = setInterval(() => {
    if (firstError && errors > 0) process.stderr.write(`samsa producer: ${errors} sends failed (first: ${firstError})\n`)
    emit(stats())
  }, STATS_INTERVAL_MS)
  emit({ type: 'ready' })
  for await (const c of commands) {
    if (c.cmd === 'start' || c.cmd === 'rate') setRate(c.rate)
    else if (c.cmd === 'flush') emit(stats(true))
    else if (c.cmd === 'stop') break
  }
  stopping = true
  clearTimeout(timer)
  clearImmediate(immediate)
  clearInterval(interval)
  const deadline = Date.now() + 10_000
  while (outstandingBytes > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  emit(stats(true))
  await Promise.all(producers.map(({ p }) => p.close({ timeoutMs: 5000 }).catch(() => undefined)))
}

async function consumerWorker(cfg: ConsumerConfig, commands: AsyncIterable<Command>): Promise<void> {
  const { Consumer } = await import('../../src/client/consumer/index.js')
  const e2e = new Buckets()
  let received = 0
  let receivedBytes = 0
  const stats = (flush = false): StatsLine => {
    const s: StatsLine = { type: 'stats', received, receivedBytes, e2e: e2e.take() }
    if (flush) s.flush = true
    received = receivedBytes = 0
    return s
  }
  const groups: Array<Array<InstanceType<typeof Consumer>>> = []
  const loops: Promise<void>[] = []
  let paused = false
  let stopping = false
  for (const topic of cfg.topics) {
    for (const sub of cfg.subscriptions) {
      const members: Array<InstanceType<typeof Consumer>> = []
      for (let i = 0; i < cfg.consumerPerSubscription; i++) {
        const c = new Consumer({ bootstrapServers: [cfg.bootstrap], clientId: `omb-consumer-${sub}-${i}`, groupId: `${sub}-${topic}`, autoOffsetReset: 'earliest' })
        await c.subscribe([topic])
        members.push(c)
        loops.push(
          (async () => {
            for await (const batch of c.batches()) {
              const now = nowUs()
              for (const r of batch.records) {
                const v = r.value
                if (v === null || v.length < 16) continue
                const intended = v.readUInt32BE(0) * 2 ** 32 + v.readUInt32BE(4)
                // 0: a producer's connect message, sent before the schedule.
                if (intended === 0) continue
                e2e.record(now - intended)
                received++
                receivedBytes += v.length
              }
              if (paused) c.pause(c.assignment())
            }
          })().catch((e: Error) => {
            if (!stopping) fatal(new Error(`samsa consumer ${sub}-${topic}/${i}: ${e.message}`))
          }),
        )
      }
      groups.push(members)
    }
  }
  // Ready once every subscription of every topic holds all its partitions.
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (groups.every((g) => g.reduce((n, c) => n + c.assignment().length, 0) === cfg.partitionsPerTopic)) {
        clearInterval(check)
        resolve()
      }
    }, 50)
  })
  const all = groups.flat()
  const interval = setInterval(() => emit(stats()), STATS_INTERVAL_MS)
  emit({ type: 'ready' })
  for await (const c of commands) {
    if (c.cmd === 'pause') {
      paused = true
      for (const m of all) m.pause(m.assignment())
    } else if (c.cmd === 'resume') {
      paused = false
      for (const m of all) m.resume(m.paused())
    } else if (c.cmd === 'flush') emit(stats(true))
    else if (c.cmd === 'stop') break
  }
  stopping = true
  clearInterval(interval)
  emit(stats(true))
  await Promise.all(all.map((c) => c.close({ timeoutMs: 5000 }).catch(() => undefined)))
}

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
  const first = await lines.next()
  if (first.done) throw new Error('no configuration line on stdin')
  const cfg = JSON.parse(first.value) as WorkerConfig
  const commands = (async function* (): AsyncGenerator<Command> {
    for (;;) {
      const l = await lines.next()
      // The coordinator went away: stop as if told to.
      if (l.done) {
        yield { cmd: 'stop' }
        return
      }
      if (l.value.trim() !== '') yield JSON.parse(l.value) as Command
    }
  })()
  if (cfg.role === 'producer') await producerWorker(cfg, commands)
  else if (cfg.role === 'consumer') await consumerWorker(cfg, commands)
  else throw new Error(`unknown role ${JSON.stringify((cfg as { role: unknown }).role)}`)
  emit({ type: 'stopped' })
  // Clients may leave timers behind after close; everything is reported.
  process.exit(0)
}

main().catch(fatal)
