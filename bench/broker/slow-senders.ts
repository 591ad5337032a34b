/**
 * Memory held by a broker process while many clients each send one large request slowly:
 * SAMSA_BENCH_CONNECTIONS (default 30) connections each announce a frame of
 * socket.request.max.bytes (100 MiB) and send its body in 1 MiB pieces every
 * SAMSA_BENCH_INTERVAL_MS (default 50 ms), waiting whenever the broker stops reading, for
 * SAMSA_BENCH_SECONDS (default 15 s). Prints the broker's resident memory (VmRSS) as it goes
 * and its peak (VmHWM) at the end, with the bytes the broker accepted from the clients.
 * Before queued.max.request.bytes was honoured every connection buffered its whole frame
 * (30 connections took RSS to ~3 GB); with the broker-wide budget only a few frames are read
 * at once and the rest wait in their sockets.
 *
 *   npm run build && node dist/bench/broker/slow-senders.js
 *
 * Extra broker properties: SAMSA_BENCH_OVERRIDES="queued.max.request.bytes=104857600,...".
 * Linux only (reads /proc/<pid>/status). Traffic goes to 127.0.0.1 only; every loop is
 * bounded by the piece count and the time limit.
 */
import { connect, type Socket } from 'node:net'
import { readFileSync } from 'node:fs'
import { startBrokerProcess } from '../../test/helpers/broker-process.js'

const MiB = 1024 * 1024
const CONNECTIONS = Number(process.env['SAMSA_BENCH_CONNECTIONS'] ?? 30)
const INTERVAL_MS = Number(process.env['SAMSA_BENCH_INTERVAL_MS'] ?? 50)
const SECONDS = Number(process.env['SAMSA_BENCH_SECONDS'] ?? 15)
const FRAME = 100 * MiB

function status(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : NaN
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' })
    s.once('error', reject)
    s.once('connect', () => {
      s.off('error', reject)
      s.on('error', () => {}) // the broker may close us (read timeout, limits); counted below
      resolve(s)
    })
  })
}

async function main(): Promise<void> {
  const overrides: Record<string, string> = { 'socket.request.max.bytes': String(FRAME) }
  for (const kv of (process.env['SAMSA_BENCH_OVERRIDES'] ?? '').split(',').filter((x) => x.includes('='))) {
    const i = kv.indexOf('=')
    overrides[kv.slice(0, i).trim()] = kv.slice(i + 1).trim()
  }
  const b = await startBrokerProcess({ overrides })
  const pid = b.proc.pid!
  const baseline = status(pid, 'VmRSS')
  const piece = Buffer.alloc(MiB, 0x61)
  const deadline = Date.now() + SECONDS * 1000
  let sent = 0
  let closed = 0
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectTo(b.port)))
  const sender = async (s: Socket): Promise<void> => {
    s.once('close', () => closed++)
    const size = Buffer.alloc(4)
    size.writeInt32BE(FRAME)
    s.write(size)
    // One piece short of the whole frame: the request never completes, so it is never answered.
    for (let i = 0; i < FRAME / MiB - 1 && Date.now() < deadline && !s.destroyed; i++) {
      if (!s.write(piece)) {
        // The broker is not reading: wait for it, or for the time limit.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))
          s.once('drain', () => {
            clearTimeout(timer)
            resolve()
          })
          s.once('close', () => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      sent += MiB
      await new Promise((r) => setTimeout(r, INTERVAL_MS))
    }
  }
  const ticker = setInterval(() => {
    console.log(`rss ${(status(pid, 'VmRSS') / MiB).toFixed(0)} MiB, ${(sent / MiB).toFixed(0)} MiB written by ${CONNECTIONS} senders, ${closed} closed`)
  }, 1000)
  await Promise.all(sockets.map(sender))
  clearInterval(ticker)
  const peak = status(pid, 'VmHWM')
  console.log(`connections ${CONNECTIONS}, frame ${FRAME / MiB} MiB each, ${SECONDS} s, overrides ${JSON.stringify(overrides)}`)
  console.log(`broker RSS: baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB; closed by the broker: ${closed}`)
  for (const s of sockets) s.destroy()
  await b.stop()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
