/**
 * Client throughput: Samsa's own client beside kafkajs and @platformatic/kafka, all against
 * the same Samsa broker in one run. For 100-byte and 1 KiB records (keyless, values from the
 * same pre-built Buffers for every client, no compression) it measures
 *
 *   - produce (acks=1): records/s from the first send until every record is acknowledged;
 *   - consume: records/s from creating the consumer (connect, metadata, group join where the
 *     library needs a group) until the Nth record has been handed to the application, and the
 *     rate after the first record (leaving connecting and the group join out);
 *   - CPU over the same interval, in % of one core: the client process (every thread), the
 *     broker process (/proc/<pid>/stat) and everything else on the machine (/proc/stat minus
 *     the two). The first two say who is the bottleneck (a broker near 100% is the limit for
 *     every client alike); the third says how much other work competed for the CPUs (the
 *     machine is shared: a run with "other CPU" well above 0% is skewed);
 *
 * and prints the ratio Samsa / other client beside the target (Samsa at least 5x kafkajs and
 * 2x @platformatic/kafka), and the load average at the start and the end. MB = 2^20 bytes of
 * record values.
 *
 * Run lengths: every run lasts about 3 s or more at this machine's rates (DEFAULT_RECORDS), so
 * that connecting, a group join and a cold JIT are a small part of each figure; the whole
 * bench takes about 70 s here. The counts differ between clients (kafkajs produces slowly,
 * @platformatic/kafka consumes slowly): all figures are rates, so they need not match.
 *
 * Processes: the broker runs as its own process (`samsa server start`, log in a temp dir,
 * group.initial.rebalance.delay.ms=0 so a lone group member is not held 3 s), and every
 * client run is a child process of its own (this file again, with `--worker client mode
 * ...`), so no two clients and no client and the broker share an event loop; each worker also
 * starts with a cold JIT. A worker reports progress lines and one JSON result line; the parent
 * checks the broker's log end offsets after each produce run. Before each run the parent runs
 * `sync`: otherwise the kernel writes back the previous run's log (over a gigabyte after
 * Samsa's 1 KiB produce) during the next client's run, which then pays for it in CPU.
 *
 * Topics: each (client, size) produce run writes a fresh topic of SAMSA_BENCH_PARTITIONS
 * partitions. The consumers of one size all read the same topic, the one Samsa's producer
 * wrote (so every consumer sees the same batches on disk), from the beginning, each stopping
 * at its own record count. Before the cases, a warm-up (Samsa producer, @platformatic/kafka
 * consumer, 200,000 records of 100 B) runs the broker's cold code paths.
 *
 * Each library is used as it is meant to be used for throughput, with its defaults otherwise:
 *
 *   Samsa      Producer({ acks: 1, batchSize: 262144 }): batch.size raised from Kafka's 16384,
 *              as Kafka's tuning advice has it for throughput (256 KiB measured best here of
 *              16/64/256/1024 KiB, by far for 1 KiB records: a request carries at most one
 *              batch per partition), Kafka's defaults otherwise (lingerMs 5, bufferMemory 32 MiB,
 *              5 requests in flight per connection, sticky partitioning of keyless records).
 *              `sendBatch` of SEND_BATCH records at a time (one promise per call; the client
 *              batches per partition itself), at most IN_FLIGHT calls outstanding.
 *              Consumer({ autoOffsetReset: 'earliest' }) without a group, `assign` of every
 *              partition, `for await (const batch of consumer.batches())`; defaults otherwise.
 *   kafkajs    producer() with the DefaultPartitioner (keyless: round-robin), `sendBatch`
 *              ({ topicMessages, acks: 1 }) of SEND_BATCH records, at most IN_FLIGHT calls
 *              outstanding (maxInFlightRequests is unlimited by default). consumer({ groupId })
 *              (kafkajs consumes only in groups) subscribed fromBeginning, `run({ eachBatch,
 *              autoCommit: false })`; defaults otherwise (maxBytesPerPartition 1 MiB, maxBytes
 *              10 MiB).
 *   platformatic  Producer({ acks: 1 }) (keyless: round-robin), `send({ messages })` of
 *              SEND_BATCH records, at most IN_FLIGHT calls outstanding (maxInflights 5 per
 *              connection by default). Consumer({ groupId }) `consume({ topics, mode: 'earliest',
 *              autocommit: false })`, counting the stream's 'data' events; defaults otherwise
 *              (maxBytes 10 MiB, highWaterMark 1024).
 *
 * Equal work for the consumers: each one hands the application every record decoded (offset,
 * timestamp, key, value and headers; kafkajs's eachBatch and @platformatic/kafka's stream
 * decode every record before handing it over, as Samsa's `batches()` does), and the worker
 * reads every value's length. Samsa's consumer also verifies each batch's CRC32C (check.crcs,
 * on by default as in Kafka); kafkajs and @platformatic/kafka do not verify CRCs at all, so
 * Samsa's figures include work the others skip. Offsets are committed by none of the consumers
 * (Samsa's has no group; the others have autocommit off, as @platformatic/kafka's own
 * benchmarks do), so every one only fetches. The Samsa consumer is loaded at run time
 * (src/client/consumer/index.js); if it does not load, its rows say "skipped" and why.
 * SEND_BATCH 1,000 was the best or close to it for kafkajs and @platformatic/kafka at both
 * sizes in trials of 100 to 5,000 records a call (Samsa's client hardly minds). Everything
 * shares this machine (on 2 cores, the broker and one client at a time), so compare the
 * clients within one run, not the absolute figures with other set-ups; figures vary by 20-30%
 * from run to run here, more when other work runs (see "other CPU").
 *
 *   npm run build && node dist/bench/client/clients.js
 *
 * One client run alone (to profile it, say with `node --cpu-prof`), against a broker already
 * running and, for consume, a topic already written:
 *
 *   SAMSA_BENCH_BROKER_PID=<broker pid> node dist/bench/client/clients.js --worker \
 *     <samsa|platformatic|kafkajs> <produce|consume> <host:port> <topic> <size> <records> <partitions>
 *
 * prints the JSON result line (ms, records, bytes, CPU ms); progress goes to stderr.
 *
 * Environment:
 *   SAMSA_BENCH_<CLIENT>_<MODE>_<SIZE>  records for one run, e.g. SAMSA_BENCH_KAFKAJS_CONSUME_1K;
 *                                    CLIENT SAMSA|PLATFORMATIC|KAFKAJS, MODE PRODUCE|CONSUME, SIZE 100|1K.
 *                                    Defaults (produce / consume), 100 B: samsa 7,000,000 / 7,000,000,
 *                                    platformatic 1,000,000 / 1,000,000, kafkajs 500,000 / 1,500,000;
 *                                    1 KiB: samsa 1,200,000 / 1,200,000, platformatic 500,000 / 400,000,
 *                                    kafkajs 150,000 / 600,000. Consumers read at most what Samsa's
 *                                    producer wrote.
 *   SAMSA_BENCH_CLIENT_SCALE         multiplies every default count (1; 0.2 for a quick look)
 *   SAMSA_BENCH_PARTITIONS           partitions per topic (6)
 *   SAMSA_BENCH_CLIENT_SEND_BATCH    records per sendBatch / send call (1,000)
 *   SAMSA_BENCH_CLIENT_IN_FLIGHT     send calls outstanding (5, like max.in.flight.requests.per.connection)
 *   SAMSA_BENCH_SAMSA_BATCH_SIZE     Samsa producer batchSize (262144)
 *   SAMSA_BENCH_CLIENTS              comma-separated subset of samsa,platformatic,kafkajs (all);
 *                                    Samsa's producer runs regardless, as it fills the consumers' topic
 *   SAMSA_BENCH_CLIENT_TIMEOUT_S     a worker running longer is killed and the run fails (300)
 *   SAMSA_BENCH_DIR                  where the broker's log goes (the OS temp dir)
 */
import { execFile, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, progress } from '../progress.js'

const MiB = 1024 * 1024
const PARTITIONS = Number(process.env['SAMSA_BENCH_PARTITIONS'] ?? 6)
const SEND_BATCH = Number(process.env['SAMSA_BENCH_CLIENT_SEND_BATCH'] ?? 1000)
const IN_FLIGHT = Number(process.env['SAMSA_BENCH_CLIENT_IN_FLIGHT'] ?? 5)
const SAMSA_BATCH_SIZE = Number(process.env['SAMSA_BENCH_SAMSA_BATCH_SIZE'] ?? 262_144)
const TIMEOUT_MS = Number(process.env['SAMSA_BENCH_CLIENT_TIMEOUT_S'] ?? 300) * 1000

const CLIENTS = ['samsa', 'platformatic', 'kafkajs'] as const
type ClientName = (typeof CLIENTS)[number]
type Mode = 'produce' | 'consume'

const LABEL: Record<ClientName, string> = { samsa: 'samsa', platformatic: '@platformatic/kafka', kafkajs: 'kafkajs' }
/** Samsa's rate must be at least this many times the other client's. */
const TARGET: Record<ClientName, number | undefined> = { samsa: undefined, platformatic: 2, kafkajs: 5 }

/** What a worker prints as its last stdout line. */
interface WorkerResult {
  records: number
  bytes: number
  ms: number
  /** consume: ms from start to the first record. */
  firstMs?: number
  /** CPU ms the worker process used (every thread) over `ms`. */
  clientCpuMs?: number
  /** CPU ms the broker process used over `ms`; absent where /proc is not readable. */
  brokerCpuMs?: number
  /** CPU ms every process on the machine used over `ms` (from /proc/stat); absent where not readable. */
  machineCpuMs?: number
  /** Set when the client could not run (the Samsa consumer before it exists). */
  skipped?: string
}

interface WorkerArgs {
  client: ClientName
  mode: Mode
  bootstrap: string
  topic: string
  size: number
  records: number
  partitions: number
}

/** `count` distinct values of `size` bytes: a counter prefix, then filler. Identical in every worker. */
function makeValues(size: number, count = 256): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const b = Buffer.alloc(size, 0x61 + (i % 26))
    b.write(String(i).padStart(10, '0'), 0, 'latin1')
    return b
  })
}

/** The broker's pid, passed to workers so they can read its CPU time over exactly their measured interval. */
const BROKER_PID = process.env['SAMSA_BENCH_BROKER_PID']

/** Clock ticks (USER_HZ, 100 on Linux) to ms. */
const TICK_MS = 10

/**
 * CPU ms used so far by this process, by the broker (/proc/<pid>/stat: utime + stime) and by
 * the whole machine (/proc/stat: every state but idle and iowait). The last shows how much
 * else ran meanwhile: the machine is shared.
 */
function cpuNow(): { client: number; broker: number | undefined; machine: number | undefined } {
  const u = process.cpuUsage()
  let broker: number | undefined
  let machine: number | undefined
  try {
    if (BROKER_PID) {
      const stat = readFileSync(`/proc/${BROKER_PID}/stat`, 'utf8')
      // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      broker = (Number(f[11]) + Number(f[12])) * TICK_MS
    }
    const all = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number)
    machine = (all.reduce((x, y) => x + y, 0) - all[3]! - all[4]!) * TICK_MS
  } catch {
    // Not Linux: the CPU columns say '-'.
  }
  return { client: (u.user + u.system) / 1000, broker, machine }
}

function cpuSince(from: ReturnType<typeof cpuNow>): Pick<WorkerResult, 'clientCpuMs' | 'brokerCpuMs' | 'machineCpuMs'> {
  const to = cpuNow()
  const diff = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? a - b : undefined)
  const out: Pick<WorkerResult, 'clientCpuMs' | 'brokerCpuMs' | 'machineCpuMs'> = { clientCpuMs: to.client - from.client }
  const broker = diff(to.broker, from.broker)
  const machine = diff(to.machine, from.machine)
  if (broker !== undefined) out.brokerCpuMs = broker
  if (machine !== undefined) out.machineCpuMs = machine
  return out
}

// ---------------------------------------------------------------------------------------------
// Worker side: one client, one mode, one topic. Progress as "progress N" lines on stderr, the
// result as one JSON line on stdout.
// ---------------------------------------------------------------------------------------------

function reportProgress(n: number): void {
  process.stderr.write(`progress ${n}\n`)
}

/**
 * Drives `send(chunk)` over `records` records in chunks of `perCall`, with at most IN_FLIGHT
 * calls outstanding (waiting for the oldest one when the window is full).
 */
async function produceLoop(records: number, perCall: number, values: Buffer[], send: (values: Buffer[]) => Promise<unknown>): Promise<void> {
  const window: Array<{ n: number; done: Promise<unknown> }> = []
  let acked = 0
  let last = 0
  const timer = setInterval(() => reportProgress(acked), 250)
  try {
    for (let sent = 0; sent < records; ) {
      const n = Math.min(perCall, records - sent)
      const chunk = new Array<Buffer>(n)
      for (let i = 0; i < n; i++) chunk[i] = values[(sent + i) % values.length]!
      sent += n
      window.push({ n, done: send(chunk) })
      if (window.length >= IN_FLIGHT) {
        const oldest = window.shift()!
        await oldest.done
        acked += oldest.n
      }
      if (acked - last >= 100_000) {
        last = acked
        // Lets the progress timer run when sends resolve without yielding to timers.
        await new Promise((r) => setImmediate(r))
      }
    }
    for (const w of window) {
      await w.done
      acked += w.n
    }
  } finally {
    clearInterval(timer)
  }
}

async function produceWorker(a: WorkerArgs): Promise<WorkerResult> {
  const values = makeValues(a.size)
  const { topic } = a
  let started = 0
  let cpu = cpuNow()
  const start = () => {
    cpu = cpuNow()
    started = performance.now()
  }
  switch (a.client) {
    case 'samsa': {
      const { Producer } = await import('../../src/client/producer/index.js')
      const producer = new Producer({ bootstrapServers: [a.bootstrap], clientId: 'bench-samsa', acks: 1, batchSize: SAMSA_BATCH_SIZE })
      start()
      await produceLoop(a.records, SEND_BATCH, values, (chunk) => producer.sendBatch(chunk.map((value) => ({ topic, value }))))
      const ms = performance.now() - started
      const used = cpuSince(cpu)
      await producer.close()
      return { records: a.records, bytes: a.records * a.size, ms, ...used }
    }
    case 'kafkajs': {
      const { Kafka, logLevel, Partitioners } = await import('kafkajs')
      const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [a.bootstrap], logLevel: logLevel.ERROR })
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
      start()
      await producer.connect()
      await produceLoop(a.records, SEND_BATCH, values, (chunk) => producer.sendBatch({ topicMessages: [{ topic, messages: chunk.map((value) => ({ value })) }], acks: 1 }))
      const ms = performance.now() - started
      const used = cpuSince(cpu)
      await producer.disconnect()
      return { records: a.records, bytes: a.records * a.size, ms, ...used }
    }
    case 'platformatic': {
      const { Producer, ProduceAcks } = await import('@platformatic/kafka')
      const producer = new Producer({ clientId: 'bench-platformatic', bootstrapBrokers: [a.bootstrap], acks: ProduceAcks.LEADER, autocreateTopics: false })
      start()
      await produceLoop(a.records, SEND_BATCH, values, (chunk) => producer.send({ messages: chunk.map((value) => ({ topic, value })), acks: ProduceAcks.LEADER }))
      const ms = performance.now() - started
      const used = cpuSince(cpu)
      await producer.close()
      return { records: a.records, bytes: a.records * a.size, ms, ...used }
    }
  }
}

/** Counts records as they arrive; `done` resolves at the Nth. */
function counter(target: number, started: number) {
  const cpu = cpuNow()
  let used: ReturnType<typeof cpuSince> | undefined
  let records = 0
  let bytes = 0
  let firstAt = 0
  let doneAt = 0
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  const timer = setInterval(() => reportProgress(records), 250)
  return {
    done,
    get finished() {
      return doneAt !== 0
    },
    add(n: number, valueBytes: number) {
      if (doneAt !== 0) return
      if (firstAt === 0 && n > 0) firstAt = performance.now()
      records += n
      bytes += valueBytes
      if (records >= target) {
        doneAt = performance.now()
        used = cpuSince(cpu)
        clearInterval(timer)
        resolve()
      }
    },
    result(): WorkerResult {
      clearInterval(timer)
      return { records, bytes, ms: doneAt - started, firstMs: firstAt - started, ...used }
    },
  }
}

/** The shape the Samsa consumer is written to (src/client/consumer/index.ts). */
interface SamsaConsumer {
  assign(partitions: Array<{ topic: string; partition: number }>): unknown
  batches(): AsyncIterable<{ records: Array<{ value: Buffer | null }> }>
  close(): Promise<void>
}
type SamsaConsumerClass = new (options: { bootstrapServers: string[]; clientId?: string; autoOffsetReset?: 'earliest' | 'latest' | 'none' }) => SamsaConsumer

async function consumeWorker(a: WorkerArgs): Promise<WorkerResult> {
  const { topic } = a
  const partitions = Array.from({ length: a.partitions }, (_, partition) => ({ topic, partition }))
  switch (a.client) {
    case 'samsa': {
      // Imported by URL at run time: the consumer is being written, and this file must build
      // (and the other clients run) without it.
      let Consumer: SamsaConsumerClass | undefined
      try {
        const mod = (await import(new URL('../../src/client/consumer/index.js', import.meta.url).href)) as { Consumer?: SamsaConsumerClass }
        Consumer = mod.Consumer
      } catch (e) {
        return { records: 0, bytes: 0, ms: 0, skipped: `src/client/consumer/index.js did not load (${(e as Error).message.split('\n')[0]})` }
      }
      if (typeof Consumer !== 'function') return { records: 0, bytes: 0, ms: 0, skipped: 'src/client/consumer/index.js exports no Consumer' }
      const started = performance.now()
      const c = counter(a.records, started)
      const consumer = new Consumer({ bootstrapServers: [a.bootstrap], clientId: 'bench-samsa', autoOffsetReset: 'earliest' })
      await consumer.assign(partitions)
      for await (const batch of consumer.batches()) {
        let bytes = 0
        for (const r of batch.records) bytes += r.value?.length ?? 0
        c.add(batch.records.length, bytes)
        if (c.finished) break
      }
      await consumer.close()
      return c.result()
    }
    case 'kafkajs': {
      const { Kafka, logLevel } = await import('kafkajs')
      const started = performance.now()
      const c = counter(a.records, started)
      const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [a.bootstrap], logLevel: logLevel.ERROR })
      const consumer = kafka.consumer({ groupId: `bench-kafkajs-${randomUUID()}` })
      let crashed: (e: Error) => void
      const crash = new Promise<never>((_, reject) => (crashed = reject))
      consumer.on(consumer.events.CRASH, (e) => crashed(e.payload.error))
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          let bytes = 0
          for (const m of batch.messages) bytes += m.value?.length ?? 0
          c.add(batch.messages.length, bytes)
        },
      })
      await Promise.race([c.done, crash])
      await consumer.disconnect()
      return c.result()
    }
    case 'platformatic': {
      const { Consumer, MessagesStreamModes } = await import('@platformatic/kafka')
      const started = performance.now()
      const c = counter(a.records, started)
      const consumer = new Consumer({ clientId: 'bench-platformatic', groupId: `bench-platformatic-${randomUUID()}`, bootstrapBrokers: [a.bootstrap] })
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false })
      const failed = new Promise<never>((_, reject) => stream.once('error', reject))
      stream.on('data', (m: { value: Buffer | null }) => c.add(1, m.value?.length ?? 0))
      await Promise.race([c.done, failed])
      await consumer.close(true)
      return c.result()
    }
  }
}

async function worker(argv: string[]): Promise<void> {
  const [client, mode, bootstrap, topic, size, records, partitions] = argv
  const a: WorkerArgs = { client: client as ClientName, mode: mode as Mode, bootstrap: bootstrap!, topic: topic!, size: Number(size), records: Number(records), partitions: Number(partitions) }
  if (!CLIENTS.includes(a.client) || (a.mode !== 'produce' && a.mode !== 'consume')) throw new Error(`bad worker arguments: ${argv.join(' ')}`)
  const result = a.mode === 'produce' ? await produceWorker(a) : await consumeWorker(a)
  process.stdout.write(`${JSON.stringify(result)}\n`)
  // Libraries may leave timers or sockets behind after close; the result is out.
  process.exit(0)
}

// ---------------------------------------------------------------------------------------------
// Parent side: broker, topics, workers, table.
// ---------------------------------------------------------------------------------------------


/**
 * Writes dirty pages back before a run (`sync`), so that the kernel's writeback of the
 * previous run's log (over a gigabyte for the 1 KiB case) does not take CPU and disk from the
 * next client's run. Skipped where there is no `sync`.
 */
function syncDisks(): Promise<void> {
  return new Promise((resolve) => execFile('sync', { timeout: 60_000 }, () => resolve()))
}

async function runWorker(a: WorkerArgs, label: string): Promise<WorkerResult> {
  await syncDisks()
  const bar = progress()
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const args = [fileURLToPath(import.meta.url), '--worker', a.client, a.mode, a.bootstrap, a.topic, String(a.size), String(a.records), String(a.partitions)]
    const proc = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', SAMSA_LOG_LEVEL: process.env['SAMSA_LOG_LEVEL'] ?? 'warn' },
    })
    let out = ''
    let err = ''
    let partial = ''
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s))
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
      const lines = (partial + s).split('\n')
      partial = lines.pop()!
      for (const line of lines) {
        const m = /^progress (\d+)$/.exec(line)
        if (m) {
          const n = Number(m[1])
          const secs = (performance.now() - started) / 1000
          bar.update(`${label}: ${fmt(n)} / ${fmt(a.records)} records, ${fmt(n / secs)} records/s`)
        } else {
          err = (err + line + '\n').slice(-4000)
        }
      }
    })
    const timer = setTimeout(() => proc.kill('SIGKILL'), TIMEOUT_MS)
    proc.once('error', reject)
    proc.once('close', (code, signal) => {
      clearTimeout(timer)
      bar.done()
      const line = out.trim().split('\n').pop() ?? ''
      if (code === 0 && line.startsWith('{')) return resolve(JSON.parse(line) as WorkerResult)
      const why = signal === 'SIGKILL' ? `killed after ${TIMEOUT_MS / 1000} s` : `exited ${code ?? signal}`
      reject(new Error(`${label}: worker ${why}\nstdout: ${out.slice(-2000)}\nstderr: ${(err + partial).slice(-4000)}`))
    })
  })
}

interface Case {
  label: string
  /** In the environment variables' names. */
  tag: '100' | '1K'
  size: number
  /** Records each client produces, and reads back (at most what Samsa's producer wrote, the topic every consumer reads). */
  records: Record<Mode, Record<ClientName, number>>
}

/**
 * Default record counts: about 3 s or more per run at the rates this machine gives, so that
 * connecting, group joins and a cold JIT stay a small part of each figure, and the whole
 * bench stays within about three minutes. Samsa's producer writes the topic every consumer
 * reads, so its count bounds the consumers'.
 */
const DEFAULT_RECORDS: Record<Case['tag'], Record<Mode, Record<ClientName, number>>> = {
  '100': { produce: { samsa: 7_000_000, platformatic: 1_000_000, kafkajs: 500_000 }, consume: { samsa: 7_000_000, platformatic: 1_000_000, kafkajs: 1_500_000 } },
  '1K': { produce: { samsa: 1_200_000, platformatic: 500_000, kafkajs: 150_000 }, consume: { samsa: 1_200_000, platformatic: 400_000, kafkajs: 600_000 } },
}

function cases(): Case[] {
  const scale = Number(process.env['SAMSA_BENCH_CLIENT_SCALE'] ?? 1)
  const count = (tag: Case['tag'], mode: Mode, client: ClientName) => {
    const v = process.env[`SAMSA_BENCH_${client.toUpperCase()}_${mode.toUpperCase()}_${tag}`]
    return Math.max(1, Math.round(v !== undefined ? Number(v) : DEFAULT_RECORDS[tag][mode][client] * scale))
  }
  const records = (tag: Case['tag']) => {
    const per = (mode: Mode) => Object.fromEntries(CLIENTS.map((c) => [c, count(tag, mode, c)])) as Record<ClientName, number>
    return { produce: per('produce'), consume: per('consume') }
  }
  return [
    { label: '100 B', tag: '100', size: 100, records: records('100') },
    { label: '1 KiB', tag: '1K', size: 1024, records: records('1K') },
  ]
}

interface Row {
  client: ClientName
  size: string
  result: WorkerResult
}

const rate = (r: WorkerResult) => r.records / (r.ms / 1000)

/** CPU time over wall time, in % of one core ('-' when not measured). */
const cpuPct = (cpuMs: number | undefined, ms: number) => (cpuMs === undefined ? '-' : `${Math.round((100 * cpuMs) / ms)}%`)

function printTable(title: string, rows: Row[], firstRecord = false): void {
  const head = ['client', 'size', 'records', 'seconds', ...(firstRecord ? ['1st record s', 'after 1st rec/s'] : []), 'records/s', 'MB/s', 'client CPU', 'broker CPU', 'other CPU', 'samsa / x', 'target']
  const body = rows.map((r) => {
    if (r.result.skipped) return [LABEL[r.client], r.size, '-', '-', ...(firstRecord ? ['-', '-'] : []), '-', '-', '-', '-', '-', '-', `skipped: ${r.result.skipped}`]
    const { clientCpuMs, brokerCpuMs, machineCpuMs } = r.result
    const other = machineCpuMs !== undefined && clientCpuMs !== undefined && brokerCpuMs !== undefined ? Math.max(0, machineCpuMs - clientCpuMs - brokerCpuMs) : undefined
    const samsa = rows.find((s) => s.client === 'samsa' && s.size === r.size && !s.result.skipped)
    const ratio = samsa ? rate(samsa.result) / rate(r.result) : undefined
    const target = TARGET[r.client]
    const first = r.result.firstMs ?? 0
    return [
      LABEL[r.client],
      r.size,
      fmt(r.result.records),
      (r.result.ms / 1000).toFixed(2),
      ...(firstRecord ? [(first / 1000).toFixed(2), fmt(r.result.records / ((r.result.ms - first) / 1000))] : []),
      fmt(rate(r.result)),
      (r.result.bytes / MiB / (r.result.ms / 1000)).toFixed(1),
      cpuPct(clientCpuMs, r.result.ms),
      cpuPct(brokerCpuMs, r.result.ms),
      cpuPct(other, r.result.ms),
      r.client === 'samsa' || ratio === undefined ? '-' : ratio.toFixed(2),
      target === undefined ? '' : ratio === undefined ? `>= ${target}` : `>= ${target} ${ratio >= target ? 'met' : 'missed'}`,
    ]
  })
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (i === head.length - 1 ? 0 : row[i]!.length))))
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 || i === head.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  console.log(title)
  console.log(line(head))
  for (const row of body) console.log(line(row))
}

const loadLine = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`

async function main(): Promise<void> {
  // Loaded here, not at the top: workers need none of it.
  const { startBrokerProcess } = await import('../../test/helpers/broker-process.js')
  const { RawClient } = await import('../../test/helpers/raw-client.js')
  const { LATEST, createTopic, listOffset } = await import('../../test/helpers/wire.js')

  const only = process.env['SAMSA_BENCH_CLIENTS']?.split(',').map((s) => s.trim())
  const clients = CLIENTS.filter((c) => !only || only.includes(c))
  const dir = await mkdtemp(join(process.env['SAMSA_BENCH_DIR'] ?? tmpdir(), 'samsa-bench-clients-'))
  let broker: Awaited<ReturnType<typeof startBrokerProcess>> | undefined
  try {
    broker = await startBrokerProcess({
      logDir: join(dir, 'log'),
      overrides: { 'num.partitions': String(PARTITIONS), 'group.initial.rebalance.delay.ms': '0' },
      env: { SAMSA_LOG_LEVEL: 'warn' },
    })
    // Workers read the broker's CPU time from /proc over their own measured interval.
    process.env['SAMSA_BENCH_BROKER_PID'] = String(broker.proc.pid)
    const c = await RawClient.connect(broker.port, broker.host)
    const cpu = cpus()[0]?.model ?? 'unknown CPU'
    console.log(`samsa broker pid ${broker.proc.pid} at ${broker.bootstrap}, ${PARTITIONS} partitions per topic; node ${process.version}, ${availableParallelism()} CPUs (${cpu})`)
    console.log(`producers: acks=1, sends of ${fmt(SEND_BATCH)} records, at most ${IN_FLIGHT} outstanding; samsa batchSize ${SAMSA_BATCH_SIZE}; one process per client run`)
    console.log(`at start: ${loadLine()} (${availableParallelism()} CPUs; other work on the machine skews the figures)`)

    const newTopic = async (name: string) => {
      const r = await createTopic(c, name, PARTITIONS)
      if (r.errorCode !== 0) throw new Error(`creating ${name}: error ${r.errorCode}`)
    }
    const logEnd = async (topic: string) => {
      let total = 0
      for (let p = 0; p < PARTITIONS; p++) total += Number((await listOffset(c, topic, p, LATEST)).offset)
      return total
    }
    const base = { bootstrap: broker.bootstrap, partitions: PARTITIONS }

    // Warm-up: the broker's first batches run through cold code paths.
    await newTopic('bench-warmup')
    await runWorker({ ...base, client: 'samsa', mode: 'produce', topic: 'bench-warmup', size: 100, records: 200_000 }, 'warm-up produce')
    await runWorker({ ...base, client: 'platformatic', mode: 'consume', topic: 'bench-warmup', size: 100, records: 200_000 }, 'warm-up consume')

    const produced: Row[] = []
    const consumed: Row[] = []
    for (const k of cases()) {
      // Produce: a fresh topic per client. Samsa's is also the topic every consumer reads.
      const readTopic = `bench-samsa-${k.size}`
      for (const client of new Set<ClientName>(['samsa', ...clients])) {
        const topic = `bench-${client}-${k.size}`
        const records = k.records.produce[client]
        await newTopic(topic)
        const label = `produce ${k.label} ${LABEL[client]}`
        const result = await runWorker({ ...base, client, mode: 'produce', topic, size: k.size, records }, label)
        const held = await logEnd(topic)
        if (held !== records) throw new Error(`${label}: the log holds ${held} records, expected ${records}`)
        if (clients.includes(client)) produced.push({ client, size: k.label, result })
        console.log(`${label}: ${fmt(rate(result))} records/s`)
      }
      const available = k.records.produce.samsa
      for (const client of clients) {
        const records = Math.min(k.records.consume[client], available)
        const label = `consume ${k.label} ${LABEL[client]}`
        const result = await runWorker({ ...base, client, mode: 'consume', topic: readTopic, size: k.size, records }, label)
        consumed.push({ client, size: k.label, result })
        if (result.skipped) {
          console.log(`${label}: skipped (${result.skipped})`)
          continue
        }
        if (result.records < records || result.bytes < records * k.size) {
          throw new Error(`${label}: got ${result.records} records, ${result.bytes} bytes; expected ${records} records of ${k.size} bytes`)
        }
        console.log(`${label}: ${fmt(rate(result))} records/s (first record after ${fmt(result.firstMs ?? 0)} ms)`)
      }
    }
    c.close()

    console.log('')
    console.log(`at end: ${loadLine()}`)
    console.log('')
    printTable('Produce (acks=1), records/s from the first send to the last acknowledgement', produced)
    console.log('')
    printTable(`Consume (every consumer reads bench-samsa-<size> from the beginning), records/s from creating the consumer to the Nth record`, consumed, true)
    console.log('')
    console.log('MB = 2^20 bytes of record values. "samsa / x": Samsa\'s records/s over that client\'s for the same size and direction;')
    console.log('record counts differ between clients (each run lasts a few seconds), which rates allow. Consume times include connecting')
    console.log('and, for kafkajs and @platformatic/kafka, joining a group ("1st record s"; "after 1st rec/s" leaves that out). CPU columns:')
    console.log('CPU time over the measured interval in % of one core (client: every thread of the worker; broker: /proc/<pid>/stat;')
    console.log('other: the rest of the machine, from /proc/stat: when it is high, other work took CPU from the run).')
    console.log('Broker and client share this machine, one client at a time. Samsa\'s consumer checks CRCs (check.crcs); the others do not.')
  } finally {
    await broker?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

const at = process.argv.indexOf('--worker')
if (at >= 0) await worker(process.argv.slice(at + 1))
else await main()
