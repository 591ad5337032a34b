#!/usr/bin/env node
// Records the Kafka frames real clients exchange with Samsa, as golden fixtures.
//
//   npm run build && node scripts/capture-frames.mjs [--out DIR] [--clients kcat,kafkajs,...]
//                                                      [--target HOST:PORT]
//
// A small TCP proxy on 127.0.0.1 sits in front of a Samsa broker and, per connection, splits
// both directions into frames (int32 size + payload). Each client runs in turn against the
// proxy; its request frames and the matching response frames (by order, checked by
// correlation id) go to DIR/<client>.json (default test/protocol/golden) as hex without the
// size prefix. test/protocol/golden/golden.test.ts decodes and re-encodes every one.
//
// Without --target the script starts `dist/src/cli/samsa.js server start` itself with
// advertised.listeners pointing at the proxy, so clients that reconnect to the advertised
// address stay behind the proxy. With --target, the broker there should advertise the proxy's
// address or connections after the first Metadata bypass it.
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const run = promisify(execFile)

const API_NAMES = { 3: 'Metadata', 18: 'ApiVersions', 60: 'DescribeCluster', 10: 'FindCoordinator', 19: 'CreateTopics' }

function parseArgs(argv) {
  const opts = { out: join(root, 'test/protocol/golden'), clients: undefined, target: undefined, proxyPort: 0 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--out') opts.out = resolve(argv[++i])
    else if (a === '--clients') opts.clients = argv[++i].split(',')
    else if (a === '--target') opts.target = argv[++i]
    else if (a === '--proxy-port') opts.proxyPort = Number(argv[++i])
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/capture-frames.mjs [--out DIR] [--clients a,b] [--target HOST:PORT] [--proxy-port N]')
      process.exit(0)
    } else throw new Error(`unknown argument ${a}`)
  }
  return opts
}

/** Splits a byte stream into frames; calls onFrame(payload) for each complete one. */
function framer(onFrame) {
  let buf = Buffer.alloc(0)
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
    while (buf.length >= 4) {
      const size = buf.readInt32BE(0)
      if (size < 0 || buf.length < 4 + size) break
      onFrame(buf.subarray(4, 4 + size))
      buf = buf.subarray(4 + size)
    }
  }
}

/** The proxy: every connection's exchanges, in order, go to `sink` while one is set. */
function startProxy(upstream, listenPort) {
  let sink
  let connId = 0
  const open = new Set()
  const server = createServer((client) => {
    const id = connId++
    const record = sink
    const pending = []
    const up = connect(upstream)
    open.add(client)
    open.add(up)
    const onRequest = framer((payload) => {
      const ex = {
        connection: id,
        apiKey: payload.readInt16BE(0),
        apiName: undefined,
        apiVersion: payload.readInt16BE(2),
        correlationId: payload.readInt32BE(4),
        request: payload.toString('hex'),
        response: null,
      }
      ex.apiName = API_NAMES[ex.apiKey] ?? `key${ex.apiKey}`
      pending.push(ex)
      record?.push(ex)
    })
    const onResponse = framer((payload) => {
      const ex = pending.shift()
      const corr = payload.readInt32BE(0)
      if (!ex) {
        console.warn(`connection ${id}: response with correlation id ${corr} and no request`)
        return
      }
      if (ex.correlationId !== corr) console.warn(`connection ${id}: response correlation id ${corr}, expected ${ex.correlationId}`)
      ex.response = payload.toString('hex')
    })
    client.on('data', (c) => {
      onRequest(c)
      up.write(c)
    })
    up.on('data', (c) => {
      onResponse(c)
      client.write(c)
    })
    const done = () => {
      client.destroy()
      up.destroy()
      open.delete(client)
      open.delete(up)
    }
    client.on('close', done)
    up.on('close', done)
    client.on('error', done)
    up.on('error', done)
  })
  return new Promise((resolve) => {
    server.listen(listenPort, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        capture(into) {
          sink = into
        },
        /** Waits until every proxied connection is closed (clients hang up), or timeoutMs. */
        async drain(timeoutMs = 3000) {
          const deadline = Date.now() + timeoutMs
          while (open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
          for (const s of open) s.destroy()
        },
        close: () => new Promise((r) => server.close(r)),
      })
    })
  })
}

/** Starts the Samsa CLI broker advertising the proxy's address. */
async function startSamsa(advertisedPort) {
  const cli = join(root, 'dist/src/cli/samsa.js')
  const logDir = mkdtempSync(join(tmpdir(), 'samsa-capture-'))
  const proc = spawn(
    process.execPath,
    [
      cli, 'server', 'start',
      '--override', 'listeners=PLAINTEXT://127.0.0.1:0',
      '--override', `advertised.listeners=PLAINTEXT://127.0.0.1:${advertisedPort}`,
      '--override', `log.dirs=${logDir}`,
      // A stable cluster id keeps the response fixtures stable between captures.
      '--override', 'cluster.id=c2Ftc2EtZ29sZGVuLWlkAA',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  const port = await new Promise((resolve, reject) => {
    proc.stdout.setEncoding('utf8').on('data', (s) => {
      out += s
      const m = /listening on PLAINTEXT:\/\/[^:]+:(\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    proc.once('exit', (code) => reject(new Error(`samsa exited with ${code} before listening: ${out}`)))
  })
  return {
    port,
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGTERM')
      await exited
      rmSync(logDir, { recursive: true, force: true })
    },
  }
}

function pkgVersion(name) {
  // Read by path: some packages do not export ./package.json.
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
}

/** A topic the broker does not have: requests naming a topic, answered with an error. */
const TOPIC = 'golden-topic'

const PY_KAFKA = `
import sys
from kafka import KafkaAdminClient, KafkaConsumer
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], client_id='samsa-golden')
admin.describe_cluster()
admin.close()
consumer = KafkaConsumer(bootstrap_servers=sys.argv[1], client_id='samsa-golden')
consumer.topics()
consumer.partitions_for_topic('golden-topic')
consumer.close()
`
const PY_CONFLUENT = `
import sys
from confluent_kafka.admin import AdminClient
admin = AdminClient({'bootstrap.servers': sys.argv[1], 'client.id': 'samsa-golden'})
admin.list_topics(timeout=10)
admin.list_topics(topic='golden-topic', timeout=10)
`

/** Each client: what it runs against `bootstrap`, and how to tell its version. */
const CLIENTS = {
  kcat: {
    async version() {
      const r = await run('kcat', ['-V'])
      const m = /Version (\S+) .*librdkafka (\S+)/.exec(r.stdout + r.stderr)
      return m ? `${m[1]} (librdkafka ${m[2]})` : 'unknown'
    },
    async run(bootstrap) {
      await run('kcat', ['-L', '-b', bootstrap, '-m', '10'], { timeout: 30_000 })
      await run('kcat', ['-L', '-b', bootstrap, '-t', TOPIC, '-m', '10'], { timeout: 30_000 })
    },
  },
  kafkajs: {
    version: async () => pkgVersion('kafkajs'),
    async run(bootstrap) {
      const { Kafka, logLevel } = require('kafkajs')
      const admin = new Kafka({ clientId: 'samsa-golden', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin()
      await admin.connect()
      await admin.describeCluster()
      await admin.listTopics()
      await admin.fetchTopicMetadata({ topics: [TOPIC] }).catch(() => {}) // unknown: the error answer is captured too
      await admin.disconnect()
    },
  },
  'kafka-python': {
    async version() {
      return (await run('/usr/bin/python3', ['-c', 'import kafka; print(kafka.__version__)'])).stdout.trim()
    },
    async run(bootstrap) {
      await run('/usr/bin/python3', ['-c', PY_KAFKA, bootstrap], { timeout: 30_000 })
    },
  },
  'confluent-kafka': {
    async version() {
      return (await run('/usr/bin/python3', ['-c', 'import confluent_kafka as c; print(c.version()[0], c.libversion()[0])'])).stdout.trim()
    },
    async run(bootstrap) {
      await run('/usr/bin/python3', ['-c', PY_CONFLUENT, bootstrap], { timeout: 30_000 })
    },
  },
  platformatic: {
    version: async () => pkgVersion('@platformatic/kafka'),
    async run(bootstrap) {
      const { Admin } = await import(require.resolve('@platformatic/kafka'))
      const admin = new Admin({ clientId: 'samsa-golden', bootstrapBrokers: [bootstrap] })
      await admin.metadata({ topics: [] })
      await admin.metadata({ topics: [TOPIC] }).catch(() => {}) // unknown: the error answer is captured too
      await admin.close()
    },
  },
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const names = opts.clients ?? Object.keys(CLIENTS)
  for (const n of names) if (!CLIENTS[n]) throw new Error(`unknown client ${n}; known: ${Object.keys(CLIENTS).join(', ')}`)

  // Bind the proxy first: the broker must advertise its port.
  let upstream = opts.target ? { host: opts.target.split(':')[0], port: Number(opts.target.split(':')[1]) } : undefined
  const pending = { host: '127.0.0.1', port: 0 }
  const proxy = await startProxy(upstream ?? pending, opts.proxyPort)
  let samsa
  if (!upstream) {
    samsa = await startSamsa(proxy.port)
    pending.port = samsa.port
  }
  const bootstrap = `127.0.0.1:${proxy.port}`
  mkdirSync(opts.out, { recursive: true })
  let failed = 0
  try {
    for (const name of names) {
      const client = CLIENTS[name]
      const exchanges = []
      proxy.capture(exchanges)
      try {
        await client.run(bootstrap)
      } catch (e) {
        console.error(`${name}: ${e.message}`)
        failed++
        continue
      } finally {
        await proxy.drain()
        proxy.capture(undefined)
      }
      const fixture = {
        client: name,
        clientVersion: await client.version(),
        note: 'Captured by scripts/capture-frames.mjs from this client talking to Samsa. Hex is each frame without its int32 size prefix.',
        exchanges,
      }
      const file = join(opts.out, `${name}.json`)
      writeFileSync(file, JSON.stringify(fixture, null, 2) + '\n')
      const summary = exchanges.map((e) => `${e.apiName}v${e.apiVersion}${e.response === null ? '(no response)' : ''}`).join(' ')
      console.log(`${name} ${fixture.clientVersion}: ${exchanges.length} exchanges -> ${file}\n  ${summary}`)
    }
  } finally {
    await samsa?.stop()
    await proxy.close()
  }
  process.exit(failed ? 1 : 0)
}

main().catch((e) => {
  console.error(e.stack ?? e)
  process.exit(1)
})
