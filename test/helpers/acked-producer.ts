/**
 * The producer and the read-back of the failover, rolling-restart and chaos tests, with their
 * history for the checker (test/helpers/history-checker.ts).
 *
 * The producer is librdkafka (Debian's python3-confluent-kafka) with acks=all, and either
 * idempotence off and no retries, or idempotent with librdkafka's retries. Without idempotence
 * a resent record may be written twice; retries=0 keeps librdkafka from resending after a
 * timeout or a lost connection (so with a leader killed, a record is written at most once), but
 * it still resends a batch answered NOT_LEADER_OR_FOLLOWER, which a leader that lost its
 * leadership during an acks=all wait answers (as Kafka's does) when the records may already be
 * on the new leader: tests that move leadership under a live old leader (SIGSTOP, SIGTERM) use
 * the idempotent producer. Records are `r-<i>` on partition i % P at a
 * steady rate; every delivery report is one JSON line, read as it comes, so a test can act
 * (kill a broker) mid-stream. Read-back is kcat from the beginning to the high watermark.
 */
import { spawn } from 'node:child_process'
import { PYTHON } from './python.js'
import { runTool } from './tools.js'
import type { Attempt, ReadRecord } from './history-checker.js'
import type { Admin } from '../../src/client/admin/index.js'

const PRODUCER = String.raw`
import json, sys, time
from confluent_kafka import Producer
cfg = json.loads(sys.stdin.readline())
conf = {'bootstrap.servers': sys.argv[1], 'acks': 'all', 'linger.ms': 5, 'message.timeout.ms': cfg['timeoutMs'],
        'request.timeout.ms': 5000, 'topic.metadata.refresh.interval.ms': 1000, 'metadata.max.age.ms': 2000}
# Idempotent: librdkafka retries and the broker drops the duplicates. Otherwise no retries at all.
conf.update({'enable.idempotence': True} if cfg.get('idempotent') else {'enable.idempotence': False, 'retries': 0})
p = Producer(conf)
out = sys.stdout
def report(i):
    def cb(err, msg):
        out.write(json.dumps({'i': i, 'p': msg.partition(), 'o': msg.offset() if err is None else -1, 'e': None if err is None else err.name()}) + '\n')
        out.flush()
    return cb
start = time.time()
for i in range(cfg['count']):
    while time.time() < start + i / cfg['rate']:
        p.poll(0.001)
    while True:
        try:
            p.produce(cfg['topic'], value=('r-%d' % i).encode(), partition=i % cfg['partitions'], on_delivery=report(i))
            break
        except BufferError:
            p.poll(0.01)
    p.poll(0)
left = p.flush(cfg['timeoutMs'] / 1000 + 10)
out.write(json.dumps({'done': True, 'undelivered': left}) + '\n')
out.flush()
`

export interface Delivery {
  i: number
  p: number
  /** null: delivered, offset unknown (see attemptsOf). */
  o: number | null
  e: string | null
}

export interface ProducerRun {
  /** Delivery reports so far. */
  deliveries: Delivery[]
  acked(): number
  /** Resolves when the producer has sent everything and flushed. */
  done: Promise<void>
  kill(): void
}

export function startAckedProducer(bootstrap: string, opts: { topic: string; partitions: number; count: number; rate: number; timeoutMs?: number; idempotent?: boolean }): ProducerRun {
  const proc = spawn(PYTHON, ['-c', PRODUCER, bootstrap], { stdio: ['pipe', 'pipe', 'pipe'] })
  proc.stdin.end(JSON.stringify({ ...opts, timeoutMs: opts.timeoutMs ?? 20_000 }) + '\n')
  const deliveries: Delivery[] = []
  let buf = ''
  let err = ''
  let finished = false
  proc.stdout.setEncoding('utf8').on('data', (s: string) => {
    buf += s
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      const m = JSON.parse(line) as Delivery | { done: true }
      if ('done' in m) finished = true
      else deliveries.push(m)
    }
  })
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-5000)))
  const done = new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => (code === 0 && finished ? resolve() : reject(new Error(`producer exited ${code}: ${err}`))))
  })
  return {
    deliveries,
    acked: () => deliveries.filter((d) => d.e === null).length,
    done,
    kill: () => proc.kill('SIGKILL'),
  }
}

/** The history of a run: one attempt per record, acknowledged (with its offset), failed, or never reported. */
export function attemptsOf(run: ProducerRun, count: number, partitions: number): Attempt[] {
  const byIndex = new Map(run.deliveries.map((d) => [d.i, d]))
  return Array.from({ length: count }, (_, i) => {
    const d = byIndex.get(i)
    const base = { id: `r-${i}`, partition: i % partitions, seq: i }
    if (!d) return { ...base, status: 'unknown' as const }
    if (d.e !== null) return { ...base, status: 'failed' as const }
    // librdkafka reports an idempotent retry it finds already persisted (the broker answered
    // it DUPLICATE_SEQUENCE_NUMBER, or a later batch was acked) as delivered without an offset
    // (Python sees None): acknowledged, at an offset nobody was told.
    return typeof d.o === 'number' && d.o >= 0 ? { ...base, status: 'acked' as const, offset: d.o } : { ...base, status: 'acked' as const }
  })
}

/**
 * Waits until every partition's high watermark is past its last acknowledged record (of those
 * acknowledged at a known offset), for at most `timeoutMs`; returns what was still short (empty
 * when nothing was). A leader elected just before holds its high watermark where it was until
 * every follower in its ISR has fetched from it (Kafka's rule too), and a read to the high
 * watermark in that window stops short of records that are there and acknowledged. A record
 * really lost never becomes visible: the wait ends and the checker reports it.
 */
async function waitForAckedVisible(admin: Admin, topic: string, attempts: readonly Attempt[], timeoutMs = 30_000): Promise<string[]> {
  const needed = new Map<number, number>()
  for (const a of attempts) if (a.status === 'acked' && a.offset !== undefined) needed.set(a.partition, Math.max(needed.get(a.partition) ?? -1, a.offset + 1))
  const deadline = Date.now() + timeoutMs
  let short: string[] = []
  for (;;) {
    try {
      const listed = await admin.listOffsets([...needed.keys()].map((partition) => ({ topic, partition, at: 'latest' as const })))
      short = listed.filter((l) => l.offset < BigInt(needed.get(l.partition)!)).map((l) => `${topic}-${l.partition}: high watermark ${l.offset}, acked up to ${needed.get(l.partition)! - 1}`)
    } catch (err) {
      short = [`ListOffsets failed: ${(err as Error).message}`]
    }
    if (short.length === 0 || Date.now() >= deadline) return short
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * readBack after a run with failovers: first waits (waitForAckedVisible) for every acknowledged
 * record to be below the high watermark, telling `note` what was still above it after 30 s.
 */
export async function readBackAcked(bootstrap: string, admin: Admin, topic: string, attempts: readonly Attempt[], note: (line: string) => void = () => {}): Promise<ReadRecord[]> {
  const short = await waitForAckedVisible(admin, topic, attempts)
  if (short.length > 0) note(`acknowledged records still above the high watermark after 30 s: ${short.join('; ')}`)
  return readBack(bootstrap, topic)
}

/** Every record of `topic` from the beginning to the high watermark, with kcat (after a failover: readBackAcked). */
export async function readBack(bootstrap: string, topic: string): Promise<ReadRecord[]> {
  const r = await runTool('kcat', ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-q', '-X', 'fetch.wait.max.ms=100'], { timeoutMs: 60_000 })
  if (r.code !== 0) throw new Error(`kcat read-back failed: ${r.stderr}`)
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const m = JSON.parse(l) as { partition: number; offset: number; payload: string | null }
      return { partition: m.partition, offset: m.offset, id: m.payload }
    })
}
