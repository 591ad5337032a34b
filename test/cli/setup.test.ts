/** A new user's first hour: install builds, start does not rebuild, quick-start config, --version. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadBrokerConfig } from '../../src/broker/config.js'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { SERVER_NODE_ARGS } from '../../src/cli/server.js'
import { runCli } from '../helpers/broker-process.js'
import { satisfiesNodeRange } from '../helpers/node-range.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string; scripts: Record<string, string>; files: string[] }

test('npm install builds (prepare), npm start runs the built broker without re-running tsc, with the shipped quick-start config', () => {
  assert.equal(pkg.scripts.prepare, 'npm run build')
  assert.equal(pkg.scripts.prestart, undefined, 'no build before every start')
  // The broker's node arguments are the ones the cluster tool and the tests' brokers start with.
  assert.equal(pkg.scripts.start, `node ${SERVER_NODE_ARGS.join(' ')} dist/bin/samsa.js server start config/server.properties`)
  // The bundle (scripts/bundle.mjs) is built with tsc's output and is what users and the CLI tests run.
  assert.match(pkg.scripts.build!, /^tsc -p tsconfig\.json && node scripts\/bundle\.mjs$/)
  assert.equal((pkg as unknown as { bin: Record<string, string> }).bin.samsa, 'dist/bin/samsa.js')
  assert.ok(pkg.files.includes('config'))
  const cfg = loadBrokerConfig({ file: `${root}config/server.properties` })
  assert.equal(cfg.get('group.initial.rebalance.delay.ms'), 0)
  assert.deepEqual(cfg.get('listeners'), ['PLAINTEXT://localhost:9092'])
  // The production default stays Kafka's.
  assert.equal(loadBrokerConfig().get('group.initial.rebalance.delay.ms'), 3000)
})

test('startBroker() uses the quick-start rebalance delay of 0 unless told otherwise', async () => {
  const logger = createLogger({ level: 'silent' })
  const quick = await startBroker({ logger })
  try {
    assert.equal(quick.broker.config.get('group.initial.rebalance.delay.ms'), 0)
  } finally {
    await quick.close()
  }
  const told = await startBroker({ logger, config: { 'group.initial.rebalance.delay.ms': '3000' } })
  try {
    assert.equal(told.broker.config.get('group.initial.rebalance.delay.ms'), 3000)
  } finally {
    await told.close()
  }
})

test('samsa --version prints the package version', async () => {
  const r = await runCli(['--version'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout.trim(), pkg.version)
})

test('npm install prints no engine warnings: every package in package-lock.json accepts the running Node', () => {
  const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } }> }
  const refused = Object.entries(lock.packages)
    .filter(([, p]) => typeof p.engines?.node === 'string' && !satisfiesNodeRange(process.versions.node, p.engines.node))
    .map(([path, p]) => `${path.replace(/^node_modules\//, '')}@${p.version} wants node ${p.engines!.node}`)
  assert.deepEqual(refused, [], `npm install on Node ${process.versions.node} warns EBADENGINE for these; pin versions that accept it`)
})
