#!/usr/bin/env node
/**
 * The `samsa` command. Tools are subcommands; today: `samsa server start [server.properties]
 * [--override key=value ...]`, as Kafka's kafka-server-start.sh.
 */
import { Broker } from '../broker/broker.js'
import { ConfigError, loadBrokerConfig } from '../broker/config.js'
import { createLogger, parseLevel } from '../util/logger.js'

const USAGE = `usage: samsa <tool> [options]

tools:
  server start [server.properties] [--override key=value ...]
      Start a broker (defaults: PLAINTEXT://localhost:9092, data in ./data).
      Properties use Kafka's names; environment variables SAMSA_<KEY> (dots as
      underscores, e.g. SAMSA_LOG_DIRS) override the file, --override wins over both.
`

function fail(msg: string): never {
  process.stderr.write(`samsa: ${msg}\n`)
  process.exit(2)
}

async function serverStart(args: string[]): Promise<void> {
  let file: string | undefined
  const overrides: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === '--override') {
      const kv = args[++i]
      if (!kv || !kv.includes('=')) fail(`--override needs key=value, got ${kv ?? 'nothing'}`)
      const at = kv.indexOf('=')
      overrides[kv.slice(0, at)] = kv.slice(at + 1)
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE)
      return
    } else if (a.startsWith('-')) {
      fail(`unknown option ${a} for 'server start' (see samsa --help)`)
    } else if (file === undefined) {
      file = a
    } else {
      fail(`unexpected argument ${a}: give one server.properties file`)
    }
  }
  const boot = createLogger({ level: 'info' })
  let config
  try {
    config = loadBrokerConfig({ ...(file ? { file } : {}), overrides, env: process.env, warn: (m) => boot.warn(m) })
  } catch (e) {
    if (e instanceof ConfigError) fail(`${e.message}; fix the property and start again`)
    throw e
  }
  const level = parseLevel(process.env.SAMSA_LOG_LEVEL ?? (config.get('log.level') as string), 'warn')
  const logger = createLogger({ level })
  const broker = new Broker({ config, logger })
  try {
    await broker.start()
  } catch (e) {
    fail(`cannot start: ${(e as Error).message}`)
  }
  const l = broker.listeners
  // One line on stdout so a person (or a test) sees where the broker is.
  process.stdout.write(`samsa broker ${broker.nodeId} listening on ${l.map((x) => `${x.name}://${x.host || '0.0.0.0'}:${x.port}`).join(', ')} (advertised ${l.map((x) => `${x.advertisedHost}:${x.advertisedPort}`).join(', ')})\n`)
  const stop = (signal: string) => {
    logger.info('shutting down', { signal })
    broker.close().then(
      () => process.exit(0),
      (e) => {
        logger.error('shutdown failed', { error: (e as Error).message })
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

async function main(argv: string[]): Promise<void> {
  const [tool, sub, ...rest] = argv
  if (!tool || tool === '--help' || tool === '-h' || tool === 'help') {
    process.stdout.write(USAGE)
    return
  }
  if (tool === 'server') {
    if (sub === 'start') return serverStart(rest)
    fail(`unknown server command ${sub ?? '(none)'}: use 'samsa server start [server.properties]'`)
  }
  fail(`unknown tool ${tool} (see samsa --help)`)
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`samsa: ${(e as Error).stack ?? e}\n`)
  process.exit(1)
})
