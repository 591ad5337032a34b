/**
 * A librdkafka producer built from bench/librdkafka/produce.c, for the benchmarks whose
 * load kcat cannot supply. kcat produces a line of its input at a time and here tops out near
 * 1.1-1.4 M records/s of 100 B and 160 MiB/s of 1 KiB, below what the broker takes; the small C
 * program sends one shared payload without copying it, so the rate it reaches is librdkafka's
 * and the broker's.
 *
 * It is compiled on first use with the machine's C compiler (CC, default cc) against
 * librdkafka's headers (Debian: librdkafka-dev) into the OS temp dir, named after a hash of
 * the source, so an edit builds again and two checkouts do not overwrite each other's binary.
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KCAT, KCAT_PRODUCE_FLAGS, runKcat } from './kcat.js'

/** The C source, found from this file's place in the source tree or in dist/bench. */
function sourcePath(): string {
  for (const rel of ['./librdkafka/produce.c', '../../bench/librdkafka/produce.c']) {
    const p = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(p)) return p
  }
  throw new Error('bench/librdkafka/produce.c not found next to the benchmarks')
}

let built: { path: string } | { error: string } | undefined

/** The producer binary's path, building it if needed; an Error saying what is missing when it cannot be built. */
export function rdkafkaProducer(): string | Error {
  if (built === undefined) {
    try {
      const src = sourcePath()
      const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12)
      const path = join(tmpdir(), `samsa-rdk-produce-${hash}`)
      if (!existsSync(path)) {
        const cc = process.env['CC'] ?? 'cc'
        // Built under a temporary name and renamed, so a run stopped mid-build leaves no half binary.
        const partial = `${path}.${process.pid}`
        execFileSync(cc, ['-O2', '-o', partial, src, '-lrdkafka'], { stdio: ['ignore', 'ignore', 'pipe'] })
        renameSync(partial, path)
      }
      built = { path }
    } catch (e) {
      // The compiler's last lines when it ran (a missing header, say); else why it did not (no cc).
      const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim()
      const why = stderr ? stderr.split('\n').slice(-3).join(' ') : (e as Error).message
      built = { error: `cannot build the librdkafka producer (needs a C compiler and librdkafka-dev): ${why}` }
    }
  }
  return 'path' in built ? built.path : new Error(built.error)
}

interface RdkafkaProduceResult {
  delivered: number
  failed: number
  /** From the first produce call to the last delivery report. */
  seconds: number
  firstError: string
}

/**
 * Produces `count` records of `size` bytes to `topic` (librdkafka's default partitioner: no
 * keys), with `props` as librdkafka properties; rejects when a record failed or the program did.
 */
function rdkafkaProduce(bootstrap: string, topic: string, count: number, size: number, props: Record<string, string>): Promise<RdkafkaProduceResult> {
  const bin = rdkafkaProducer()
  if (bin instanceof Error) return Promise.reject(bin)
  const args = [bootstrap, topic, String(count), String(size), ...Object.entries(props).map(([k, v]) => `${k}=${v}`)]
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s))
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-4000)))
    proc.once('error', reject)
    proc.once('close', (code) => {
      let result: RdkafkaProduceResult | undefined
      try {
        result = JSON.parse(out.trim().split('\n').pop() ?? '') as RdkafkaProduceResult
      } catch {
        result = undefined
      }
      if (code === 0 && result) resolve(result)
      else reject(new Error(`librdkafka producer to ${topic} exited ${code}${result ? `: ${result.failed} of ${count} records failed (${result.firstError})` : ''}${err ? `; stderr: ${err.trim()}` : ''}`))
    })
  })
}

/** The produce settings of kcat's runs (KCAT_PRODUCE_FLAGS), plus records handed over 10,000 a call. */
const RDKAFKA_PRODUCE_PROPS: Record<string, string> = {
  acks: '1',
  'linger.ms': '5',
  'batch.num.messages': '10000',
  'queue.buffering.max.messages': '2000000',
  'queue.buffering.max.kbytes': '2097151',
  'produce.batch': '10000',
}

/**
 * The benchmarks' producer: the C librdkafka producer unless SAMSA_BENCH_PRODUCER=kcat asks for
 * kcat or the C one cannot be built (then it says why, once).
 */
export function benchProducer(): 'rdkafka' | 'kcat' {
  const asked = process.env['SAMSA_BENCH_PRODUCER'] ?? 'rdkafka'
  if (asked !== 'rdkafka' && asked !== 'kcat') throw new Error(`SAMSA_BENCH_PRODUCER must be rdkafka or kcat, got ${asked}`)
  if (asked === 'kcat') return 'kcat'
  const bin = rdkafkaProducer()
  if (bin instanceof Error) {
    console.log(`NOTE: producing with kcat instead: ${bin.message}`)
    return 'kcat'
  }
  return 'rdkafka'
}

export const producerName = (producer: 'rdkafka' | 'kcat') => (producer === 'kcat' ? `${KCAT} -P` : 'bench/librdkafka/produce.c')

/**
 * Produces `records` records of `size` bytes to `topic` with the same settings either way; kcat
 * sends the lines of `file` (see writeRecordFile), which the caller writes only for kcat.
 */
export async function produceRecords(producer: 'rdkafka' | 'kcat', bootstrap: string, topic: string, records: number, size: number, file: string): Promise<void> {
  if (producer === 'kcat') await runKcat(['-P', '-b', bootstrap, '-t', topic, '-l', file, '-q', ...KCAT_PRODUCE_FLAGS])
  else await rdkafkaProduce(bootstrap, topic, records, size, RDKAFKA_PRODUCE_PROPS)
}
