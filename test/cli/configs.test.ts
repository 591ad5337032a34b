/**
 * `samsa configs` as a user runs it, one process per command, against a real broker process:
 * describe / alter / delete round trips on a topic, a broker and the cluster-wide broker
 * default, Kafka's output lines, and that the broker really applies what was set (a record
 * larger than max.message.bytes is refused until the config is deleted).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAddConfig } from '../../src/cli/configs.js'
import { Admin } from '../../src/client/admin/admin.js'
import { Producer } from '../../src/client/producer/index.js'
import { createLogger } from '../../src/util/logger.js'
import { runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'

const quiet = createLogger({ level: 'error' })
let b: BrokerProcess
let admin: Admin

before(async () => {
  b = await startBrokerProcess({ startTimeoutMs: 30_000 })
  admin = new Admin({ bootstrapServers: b.bootstrap, logger: quiet })
})

after(async () => {
  await admin?.close()
  await b?.stop()
})

function configs(...args: string[]) {
  return runCli(['configs', '--bootstrap-server', b.bootstrap, ...args], { timeoutMs: 30_000 })
}

async function ok(...args: string[]): Promise<string> {
  const r = await configs(...args)
  assert.equal(r.code, 0, `samsa configs ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  assert.equal(r.stderr, '')
  return r.stdout
}

/** Runs and expects exit `code` with exactly one line on stderr; returns it. */
async function fails(code: number, ...args: string[]): Promise<string> {
  const r = await configs(...args)
  assert.equal(r.code, code, `samsa configs ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`)
  assert.match(lines[0]!, /^samsa configs: /)
  return lines[0]!
}

async function topicOverrides(topic: string): Promise<Record<string, string | null>> {
  const [res] = await admin.describeConfigs([{ type: 'topic', name: topic }])
  return Object.fromEntries(res!.entries.filter((e) => e.source === 'DYNAMIC_TOPIC_CONFIG').map((e) => [e.name, e.value]))
}

/** Sends one record of `size` bytes; resolves with the error, or null when it was stored. */
async function sendError(topic: string, size: number): Promise<Error | null> {
  const p = new Producer({ bootstrapServers: b.bootstrap, logger: quiet, lingerMs: 0, retries: 0 })
  try {
    await p.send({ topic, value: Buffer.alloc(size, 'x') })
    return null
  } catch (e) {
    return e as Error
  } finally {
    await p.close()
  }
}

test('topic: describe, alter (list values in brackets), describe shows the change with synonyms, delete', async () => {
  await admin.createTopics([{ topic: 'cfg', numPartitions: 1 }])
  assert.equal(await ok('--describe', '--topic', 'cfg'), 'Dynamic configs for topic cfg are:\n')

  assert.equal(await ok('--alter', '--topic', 'cfg', '--add-config', 'retention.ms=3600000,cleanup.policy=[compact,delete]'), 'Completed updating config for topic cfg.\n')
  assert.deepEqual(await topicOverrides('cfg'), { 'cleanup.policy': 'compact,delete', 'retention.ms': '3600000' })
  assert.equal(
    await ok('--describe', '--entity-type', 'topics', '--entity-name', 'cfg'),
    'Dynamic configs for topic cfg are:\n' +
      '  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}\n' +
      '  retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000, DEFAULT_CONFIG:log.retention.hours=168}\n',
  )

  // --all: every topic config, sorted, the unset ones from their defaults.
  const all = (await ok('--describe', '--all', '--topic', 'cfg')).split('\n').filter((l) => l !== '')
  assert.equal(all[0], 'All configs for topic cfg are:')
  const names = all.slice(1).map((l) => l.trim().split('=')[0]!)
  assert.deepEqual(names, [...names].sort())
  assert.ok(all.includes('  segment.bytes=1073741824 sensitive=false synonyms={DEFAULT_CONFIG:log.segment.bytes=1073741824}'), all.join('\n'))
  assert.ok(all.some((l) => l.startsWith('  retention.ms=3600000 ')))

  assert.equal(await ok('--alter', '--topic', 'cfg', '--delete-config', 'retention.ms', '--add-config', 'retention.bytes=1000000'), 'Completed updating config for topic cfg.\n')
  assert.deepEqual(await topicOverrides('cfg'), { 'cleanup.policy': 'compact,delete', 'retention.bytes': '1000000' })
  await ok('--alter', '--topic', 'cfg', '--delete-config', 'cleanup.policy,retention.bytes')
  assert.deepEqual(await topicOverrides('cfg'), {})
  assert.equal(await ok('--describe', '--topic', 'cfg'), 'Dynamic configs for topic cfg are:\n')
})

test('topic: the broker applies what was set (max.message.bytes refuses a larger record until deleted)', async () => {
  await admin.createTopics([{ topic: 'small', numPartitions: 1 }])
  assert.equal(await sendError('small', 2000), null)
  await ok('--alter', '--topic', 'small', '--add-config', 'max.message.bytes=500')
  assert.match(String(await sendError('small', 2000)), /MESSAGE_TOO_LARGE|RECORD_TOO_LARGE/)
  await ok('--alter', '--topic', 'small', '--delete-config', 'max.message.bytes')
  assert.equal(await sendError('small', 2000), null)
})

test('broker default (--entity-default): alter, describe, inherited by topics and applied, then deleted', async () => {
  await admin.createTopics([{ topic: 'inherits', numPartitions: 1 }])
  assert.equal(await ok('--describe', '--entity-type', 'brokers', '--entity-default'), 'Default configs for brokers in the cluster are:\n')
  assert.equal(
    await ok('--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'message.max.bytes=600'),
    'Completed updating default config for brokers in the cluster.\n',
  )
  const line = '  message.max.bytes=600 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=600}\n'
  assert.equal(await ok('--describe', '--broker-defaults'), `Default configs for brokers in the cluster are:\n${line}`)
  // Without a name: every broker's own dynamic configs (none), then the default.
  assert.equal(await ok('--describe', '--entity-type', 'brokers'), `Dynamic configs for broker ${b.nodeId} are:\nDefault configs for brokers in the cluster are:\n${line}`)
  // The topic has no override: its value now comes from the broker default, shown as a synonym.
  assert.ok(
    (await ok('--describe', '--all', '--topic', 'inherits')).includes(
      '  max.message.bytes=600 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=600, DEFAULT_CONFIG:message.max.bytes=1048588}\n',
    ),
  )
  assert.match(String(await sendError('inherits', 2000)), /MESSAGE_TOO_LARGE|RECORD_TOO_LARGE/)

  await ok('--alter', '--entity-type', 'brokers', '--entity-default', '--delete-config', 'message.max.bytes')
  assert.equal(await ok('--describe', '--entity-type', 'brokers', '--entity-default'), 'Default configs for brokers in the cluster are:\n')
  assert.equal(await sendError('inherits', 2000), null)
})

test('broker by id: alter, describe with its source, delete', async () => {
  const id = String(b.nodeId)
  assert.equal(await ok('--alter', '--broker', id, '--add-config', 'log.retention.ms=7200000'), `Completed updating config for broker ${id}.\n`)
  assert.match(
    await ok('--describe', '--entity-type', 'brokers', '--entity-name', id),
    new RegExp(`^Dynamic configs for broker ${id} are:\n {2}log\\.retention\\.ms=7200000 sensitive=false synonyms=\\{DYNAMIC_BROKER_CONFIG:log\\.retention\\.ms=7200000[,}].*\n$`),
  )
  const all = await ok('--describe', '--all', '--broker', id)
  assert.match(all, new RegExp(`^All configs for broker ${id} are:\n`))
  assert.match(all, /\n {2}log\.dirs=\S+ sensitive=false synonyms=\{STATIC_BROKER_CONFIG:log\.dirs=/)
  await ok('--alter', '--broker', id, '--delete-config', 'log.retention.ms')
  assert.equal(await ok('--describe', '--broker', id), `Dynamic configs for broker ${id} are:\n`)
  // A static-only property cannot change at runtime: the broker says so, and the fix.
  assert.match(await fails(1, '--alter', '--broker', id, '--add-config', 'log.dirs=/elsewhere'), /INVALID_REQUEST.*log\.dirs.*server\.properties/)
})

test('broker loggers: describe shows the root level; alter is refused by the broker with its reason', async () => {
  const id = String(b.nodeId)
  assert.match(await ok('--describe', '--broker-logger', id), new RegExp(`^Dynamic configs for broker-logger ${id} are:\n {2}root=\\w+ sensitive=false synonyms=\\{\\}\n$`))
  assert.match(await fails(1, '--alter', '--entity-type', 'broker-loggers', '--entity-name', id, '--add-config', 'root=DEBUG'), /log\.level/)
  assert.match(await fails(1, '--alter', '--broker-logger', id, '--add-config', 'kafka.server=DEBUG'), /Invalid broker logger\(s\): kafka\.server/)
})

test('--add-config-file sets the configs of a properties file', async () => {
  await admin.createTopics([{ topic: 'fromfile', numPartitions: 1 }])
  const dir = mkdtempSync(join(tmpdir(), 'samsa-configs-'))
  try {
    const file = join(dir, 'topic.properties')
    writeFileSync(file, '# overrides\nretention.ms=60000\nsegment.ms = 3600000\n')
    await ok('--alter', '--topic', 'fromfile', '--add-config-file', file)
    assert.deepEqual(await topicOverrides('fromfile'), { 'retention.ms': '60000', 'segment.ms': '3600000' })
    assert.match(await fails(2, '--alter', '--topic', 'fromfile', '--add-config-file', join(dir, 'none.properties')), /none\.properties/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('errors: unknown topic, unknown config name, config not set, bad values; one line each and nothing changed', async () => {
  await admin.createTopics([{ topic: 'errs', numPartitions: 1, configs: { 'retention.ms': '1000000' } }])
  assert.match(await fails(1, '--alter', '--topic', 'missing', '--add-config', 'retention.ms=1'), /UNKNOWN_TOPIC_OR_PARTITION.*missing.*samsa topics --list/)
  // Kafka's tool answers a describe of a missing topic with this line, and success.
  assert.equal(await ok('--describe', '--topic', 'missing'), "The topic 'missing' doesn't exist and doesn't have dynamic config.\n")
  assert.match(await fails(1, '--describe', '--all', '--topic', 'missing'), /UNKNOWN_TOPIC_OR_PARTITION/)
  assert.equal(await ok('--describe', '--broker', '99'), "The broker '99' doesn't exist and doesn't have dynamic config.\n")

  assert.match(await fails(1, '--alter', '--topic', 'errs', '--add-config', 'no.such.config=1'), /INVALID_CONFIG.*no\.such\.config/)
  assert.match(await fails(1, '--alter', '--topic', 'errs', '--add-config', 'retention.ms=soon'), /INVALID_CONFIG/)
  assert.match(await fails(1, '--alter', '--topic', 'errs', '--delete-config', 'segment.ms,retention.ms'), /Invalid config\(s\): segment\.ms/)
  assert.deepEqual(await topicOverrides('errs'), { 'retention.ms': '1000000' }, 'a refused alter changes nothing')

  assert.match(await fails(2, '--alter', '--topic', 'errs', '--add-config', 'retention.ms'), /format "key=val"/)
  assert.match(await fails(2, '--alter', '--topic', 'errs', '--add-config', 'a=b=c'), /format "key=val"/)
  assert.match(await fails(2, '--alter', '--topic', 'errs', '--add-config', 'bad key=1'), /Invalid character found for config key: bad key/)
  assert.deepEqual(await topicOverrides('errs'), { 'retention.ms': '1000000' })
})

test('usage errors exit 2 with one line', async () => {
  assert.match(await fails(2, '--topic', 't'), /Command must include exactly one action: --describe, --alter/)
  assert.match(await fails(2, '--describe', '--alter', '--topic', 't'), /exactly one action/)
  assert.match(await fails(2, '--describe', '--topic', 't', '--add-config', 'a=1'), /--add-config can't be used with --describe/)
  assert.match(await fails(2, '--describe'), /At least one entity type must be specified/)
  assert.match(await fails(2, '--describe', '--entity-type', 'ips'), /ips is not supported/)
  assert.match(await fails(2, '--describe', '--entity-type', 'widgets'), /Invalid entity type widgets/)
  assert.match(await fails(2, '--describe', '--entity-type', 'topics', '--topic', 't'), /should not be used in conjunction/)
  assert.match(await fails(2, '--describe', '--topic', 't', '--broker', '0'), /Only one entity type/)
  assert.match(await fails(2, '--describe', '--broker', 'one'), /valid integer broker id, but it is: one/)
  assert.match(await fails(2, '--describe', '--entity-type', 'topics', '--entity-default'), /--entity-default must not be specified with --describe of topics/)
  assert.match(await fails(2, '--describe', '--entity-type', 'broker-loggers'), /An entity name must be specified with --describe of broker-loggers/)
  assert.match(await fails(2, '--alter', '--entity-type', 'topics', '--add-config', 'a=1'), /An entity name must be specified with --alter of topics/)
  assert.match(await fails(2, '--alter', '--entity-type', 'brokers', '--add-config', 'a=1'), /--entity-default must be specified with --alter of brokers/)
  assert.match(await fails(2, '--alter', '--topic', 't'), /At least one of --add-config, --add-config-file, or --delete-config/)
  assert.match(await fails(2, '--alter', '--topic', 't', '--add-config', 'a=1', '--add-config-file', 'f'), /Only one of --add-config or --add-config-file/)
  assert.match(await fails(2, '--describe', '--topic', 'bad/name'), /invalid topic name/)
  const zk = await runCli(['configs', '--zookeeper', 'localhost:2181', '--describe', '--topic', 't'])
  assert.equal(zk.code, 2)
  assert.match(zk.stderr, /^samsa configs: --zookeeper .*--bootstrap-server.*\n$/)
  assert.match((await runCli(['configs', '--describe', '--topic', 't'])).stderr, /--bootstrap-server must be specified/)
})

test('an unreachable bootstrap server fails fast with one line naming it', async () => {
  const r = await runCli(['configs', '--bootstrap-server', '127.0.0.1:1', '--describe', '--topic', 't'], { env: { SAMSA_CLI_CONNECT_TIMEOUT_MS: '1000' }, timeoutMs: 30_000 })
  assert.equal(r.code, 1)
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, r.stderr)
  assert.match(lines[0]!, /^samsa configs: .*127\.0\.0\.1:1\b.*--bootstrap-server/)
})

test('--help lists every flag', async () => {
  const r = await runCli(['configs', '--help'])
  assert.equal(r.code, 0)
  for (const flag of [
    '--bootstrap-server', '--command-config', '--describe', '--alter', '--all', '--entity-type', '--entity-name', '--entity-default',
    '--add-config', '--add-config-file', '--delete-config', '--topic', '--broker', '--broker-logger', '--broker-defaults', '--zookeeper',
  ]) {
    assert.ok(r.stdout.includes(`${flag} `), `${flag} in help`)
  }
})

test('--add-config syntax: commas outside brackets separate, brackets group and are dropped, empty values allowed', () => {
  assert.deepEqual(
    [...parseAddConfig(['a=1, b = [x,y] ,c=', 'd=[1]'])],
    [
      ['a', '1'],
      ['b', 'x,y'],
      ['c', ''],
      ['d', '1'],
    ],
  )
  for (const bad of ['a', '=1', 'a=1=2', 'a=1,b']) assert.throws(() => parseAddConfig([bad]), /format "key=val"/, bad)
  assert.deepEqual([...parseAddConfig(['k=[a=b]'])], [['k', 'a=b']], "'=' inside brackets is part of the value")
})
