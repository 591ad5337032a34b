/**
 * What idempotence and transactions cost the Samsa producer: `samsa producer-perf-test`
 * (Kafka's tool, each run its own process) against one broker process, in the same run, for
 *
 *   - plain acks=all (enable.idempotence=false),
 *   - idempotent (the default: producer id and sequence numbers on every batch),
 *   - transactional, a transaction committed every SAMSA_BENCH_TXN_MS (default 100 ms).
 *
 * Modes alternate over SAMSA_BENCH_ROUNDS rounds (default 3), so a slow moment of the shared
 * machine hits all of them; each prints its median records/s and the ratio to plain acks=all.
 * Kafka's own figure: idempotence costs a few percent, transactions of 100 ms little more.
 *
 *   npm run build && node dist/bench/client/exactly-once.js
 *
 * Environment: SAMSA_BENCH_RECORDS (default 1000000 per run), SAMSA_BENCH_RECORD_SIZE (100),
 * SAMSA_BENCH_PARTITIONS (6).
 */
import { spawn } from 'node:child_process'
import { startBrokerProcess } from '../../test/helpers/broker-process.js'
import { RawClient } from '../../test/helpers/raw-client.js'
import { createTopic } from '../../test/helpers/wire.js'

const RECORDS = Number(process.env.SAMSA_BENCH_RECORDS ?? 1_000_000)
const SIZE = Number(process.env.SAMSA_BENCH_RECORD_SIZE ?? 100)
const PARTITIONS = Number(process.env.SAMSA_BENCH_PARTITIONS ?? 6)
const ROUNDS = Number(process.env.SAMSA_BENCH_ROUNDS ?? 3)
const TXN_MS = Number(process.env.SAMSA_BENCH_TXN_MS ?? 100)

interface Mode {
  name: string
  args: (round: number) => string[]
}

const MODES: Mode[] = [
  { name: 'acks=all, not idempotent', args: () => ['--producer-props', 'acks=all', 'enable.idempotence=false'] },
  { name: 'idempotent (default)', args: () => ['--producer-props', 'acks=all'] },
  { name: `transactional, ${TXN_MS} ms transactions`, args: (round) => ['--producer-props', 'acks=all', '--transactional-id', `bench-tx-${round}`, '--transaction-duration-ms', String(TXN_MS)] },
]

function perfTest(bootstrap: string, topic: string, extra: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = ['dist/src/cli/samsa.js', 'producer-perf-test', '--topic', topic, '--num-records', String(RECORDS), '--record-size', String(SIZE), '--throughput', '-1', '--bootstrap-server', bootstrap, ...extra]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => {
      const m = /^(\d+) records sent, (\d+\.\d+) records\/sec/m.exec(out.trimEnd().split('\n').at(-1) ?? '')
      if (code !== 0 || !m) reject(new Error(`producer-perf-test exited ${code}: ${out}`))
      else resolve(Number(m[2]))
    })
  })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main(): Promise<void> {
  const broker = await startBrokerProcess()
  try {
    const c = await RawClient.connect(broker.port, broker.host)
    const rates = new Map<string, number[]>(MODES.map((m) => [m.name, []]))
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, mode] of MODES.entries()) {
          const topic = `eos-${round}-${i}`
          await createTopic(c, topic, PARTITIONS)
          const rate = await perfTest(broker.bootstrap, topic, mode.args(round))
          rates.get(mode.name)!.push(rate)
          process.stderr.write(`round ${round + 1}/${ROUNDS} ${mode.name}: ${Math.round(rate)} records/s\n`)
        }
      }
    } finally {
      c.close()
    }
    const base = median(rates.get(MODES[0]!.name)!)
    console.log(`${RECORDS} records of ${SIZE} B per run, ${PARTITIONS} partitions, median of ${ROUNDS} rounds:`)
    for (const m of MODES) {
      const r = median(rates.get(m.name)!)
      console.log(`  ${m.name.padEnd(34)} ${Math.round(r).toString().padStart(9)} records/s  ${((r / base) * 100).toFixed(1)}% of plain acks=all`)
    }
  } finally {
    await broker.stop()
  }
}

await main()
