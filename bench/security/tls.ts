/**
 * Produce throughput over TLS against plaintext, same broker, same run: kcat (librdkafka)
 * produces the same messages to a PLAINTEXT and an SSL listener of one broker, alternating,
 * and the MB/s of each and their ratio are printed.
 *
 *   npm run build && node dist/bench/security/tls.js [messages=200000] [size=1024] [rounds=2]
 */
import { spawn } from 'node:child_process'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { makeCerts } from '../../test/helpers/certs.js'

const messages = Number(process.argv[2] ?? 200_000)
const size = Number(process.argv[3] ?? 1024)
const rounds = Number(process.argv[4] ?? 2)

const certs = makeCerts()
const b = await startBroker({
  logger: createLogger({ level: 'silent' }),
  config: { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'ssl.keystore.location': certs.serverKeystore },
})
const port = (l: string) => b.broker.listeners.find((x) => x.name === l)!.port
const line = 'x'.repeat(size) + '\n'
const input = Buffer.from(line.repeat(messages))

/** kcat runs as a child; the broker lives in this process, so the wait must not block. */
async function produce(listener: string, topic: string): Promise<number> {
  const args = ['-P', '-b', `localhost:${port(listener)}`, '-t', topic, '-X', 'linger.ms=5', '-X', 'batch.size=1000000', '-X', 'acks=1']
  if (listener === 'SSL') args.push('-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`)
  const started = process.hrtime.bigint()
  const p = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] })
  let err = ''
  p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
  p.stdin.end(input)
  const code = await new Promise<number | null>((resolve) => p.once('close', resolve))
  if (code !== 0) throw new Error(`kcat failed: ${err}`)
  return Number(process.hrtime.bigint() - started) / 1e9
}

try {
  const mb = (messages * size) / 1e6
  const totals = { PLAINTEXT: 0, SSL: 0 }
  for (let i = 0; i < rounds; i++) {
    for (const l of ['PLAINTEXT', 'SSL'] as const) {
      const s = await produce(l, `bench-${l.toLowerCase()}-${i}`)
      totals[l] += s
      console.log(`round ${i + 1} ${l.padEnd(9)} ${(mb / s).toFixed(1)} MB/s (${s.toFixed(2)} s for ${messages} x ${size} B)`)
    }
  }
  const plain = (mb * rounds) / totals.PLAINTEXT
  const tls = (mb * rounds) / totals.SSL
  console.log(`plaintext ${plain.toFixed(1)} MB/s, TLS ${tls.toFixed(1)} MB/s, TLS/plaintext ${(tls / plain).toFixed(2)}`)
} finally {
  await b.close()
  certs.cleanup()
}
