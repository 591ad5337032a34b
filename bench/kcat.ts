/** kcat as the benchmarks' load: record files for `kcat -P -l` and a runner. */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'

export const KCAT = process.env['KCAT'] ?? 'kcat'

/** Producer flags: acks=1, batches of up to 10,000 records, a queue the whole file fits in. */
export const KCAT_PRODUCE_FLAGS = ['-X', 'acks=1', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=2000000', '-X', 'queue.buffering.max.kbytes=2097151']
/** Consumer flags: fetches of up to 4 MiB, a 256 MiB prefetch queue. */
export const KCAT_CONSUME_FLAGS = ['-X', 'fetch.message.max.bytes=4194304', '-X', 'queued.max.messages.kbytes=262144']

const MiB = 1024 * 1024

/** `records` lines of `size` bytes each (plus the newline kcat splits on), each with a distinct 10-digit prefix. */
export async function writeRecordFile(path: string, records: number, size: number): Promise<void> {
  const out = createWriteStream(path)
  const perChunk = Math.max(1, Math.floor((4 * MiB) / (size + 1)))
  const line = Buffer.alloc(size + 1, 0x61)
  line[size] = 0x0a
  for (let written = 0; written < records; ) {
    const n = Math.min(perChunk, records - written)
    const chunk = Buffer.allocUnsafe(n * (size + 1))
    for (let i = 0; i < n; i++) {
      line.copy(chunk, i * (size + 1))
      chunk.write(String(written + i).padStart(10, '0'), i * (size + 1), 'latin1')
    }
    written += n
    if (!out.write(chunk)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

/** Runs kcat to its end; rejects with the tail of its stderr when it exits non-zero. */
export function runKcat(args: string[], onStdout?: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(KCAT, args, { stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] })
    let err = ''
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-4000)))
    if (onStdout) proc.stdout!.on('data', onStdout)
    proc.once('error', reject)
    proc.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${KCAT} ${args.join(' ')} exited ${code}: ${err}`))))
  })
}
