/** Broker configuration: defaults, sources and their precedence, validation, listeners. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BROKER_CONFIG, checkBrokerConfig, ConfigError, leaseTtlSeconds, loadBrokerConfig, parseBrokerConfigValue, parseListeners } from '../../src/broker/config.js'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'

function propsFile(t: TestContext, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'server.properties')
  writeFileSync(file, text)
  return file
}

/** Asserts that fn throws a ConfigError whose message names `key`. */
function throwsNaming(fn: () => unknown, key: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`)
    assert.equal(e.name, 'ConfigError')
    assert.ok(e.message.includes(key), `message ${JSON.stringify(e.message)} names ${key}`)
    return true
  })
}

test("defaults are Kafka's", () => {
  const cfg = loadBrokerConfig()
  for (const key of Object.keys(BROKER_CONFIG)) assert.notEqual(cfg.getRaw(key), undefined, `${key} has a default`)
  assert.equal(cfg.get('broker.id'), 0)
  assert.deepEqual(cfg.get('listeners'), ['PLAINTEXT://localhost:9092'])
  assert.deepEqual(cfg.get('advertised.listeners'), [])
  assert.deepEqual(cfg.get('log.dirs'), ['./data'])
  assert.equal(cfg.get('num.partitions'), 1)
  assert.equal(cfg.get('default.replication.factor'), 1)
  assert.equal(cfg.get('auto.create.topics.enable'), true)
  assert.equal(cfg.get('delete.topic.enable'), true)
  assert.equal(cfg.get('log.retention.hours'), 168)
  assert.equal(cfg.get('log.segment.bytes'), 1073741824)
  assert.equal(cfg.get('socket.request.max.bytes'), 104857600)
  assert.equal(cfg.get('queued.max.requests'), 500)
  assert.equal(cfg.get('message.max.bytes'), 1048588)
  assert.equal(cfg.get('offsets.topic.num.partitions'), 50)
  assert.equal(cfg.get('group.initial.rebalance.delay.ms'), 3000)
  assert.equal(cfg.get('log.message.timestamp.type'), 'CreateTime')
  assert.equal(cfg.get('cluster.id'), '')
})

test('values from a properties file are typed', (t) => {
  const file = propsFile(
    t,
    [
      '# broker',
      'broker.id = 3',
      'listeners: PLAINTEXT://127.0.0.1:9192, EXTERNAL://0.0.0.0:9193',
      'log.dirs=/a,/b',
      'auto.create.topics.enable=FALSE',
      'num.partitions=  4  ',
      'log.retention.ms=9223372036854775807',
      'log.roll.ms=-1',
      'broker.rack=r1',
    ].join('\n'),
  )
  const cfg = loadBrokerConfig({ file })
  assert.equal(cfg.get('broker.id'), 3)
  assert.deepEqual(cfg.get('listeners'), ['PLAINTEXT://127.0.0.1:9192', 'EXTERNAL://0.0.0.0:9193'])
  assert.deepEqual(cfg.get('log.dirs'), ['/a', '/b'])
  assert.equal(cfg.get('auto.create.topics.enable'), false)
  assert.equal(cfg.get('num.partitions'), 4)
  assert.equal(cfg.get('log.retention.ms'), Number.MAX_SAFE_INTEGER, 'a long beyond 2^53 is clamped, not rounded to garbage')
  assert.equal(cfg.get('log.roll.ms'), -1)
  assert.equal(cfg.get('broker.rack'), 'r1')
})

test('lists drop empty entries and spaces; an empty list is []', () => {
  const cfg = loadBrokerConfig({ overrides: { 'log.dirs': ' /a , ,/b,', 'advertised.listeners': '   ' } })
  assert.deepEqual(cfg.get('log.dirs'), ['/a', '/b'])
  assert.deepEqual(cfg.get('advertised.listeners'), [])
})

test('environment SAMSA_<KEY> overrides the file; --override overrides both', (t) => {
  const file = propsFile(t, 'log.dirs=/from/file\nnum.partitions=2\nbroker.id=1\n')
  const env = { SAMSA_LOG_DIRS: '/env/a,/env/b', SAMSA_NUM_PARTITIONS: '5', SAMSA_BROKER_ID: '2' }

  const fileOnly = loadBrokerConfig({ file })
  assert.deepEqual(fileOnly.get('log.dirs'), ['/from/file'])

  const withEnv = loadBrokerConfig({ file, env })
  assert.deepEqual(withEnv.get('log.dirs'), ['/env/a', '/env/b'])
  assert.equal(withEnv.get('num.partitions'), 5)
  assert.equal(withEnv.get('broker.id'), 2)

  const withOverride = loadBrokerConfig({ file, env, overrides: { 'log.dirs': '/override', 'broker.id': '9' } })
  assert.deepEqual(withOverride.get('log.dirs'), ['/override'])
  assert.equal(withOverride.get('broker.id'), 9)
  assert.equal(withOverride.get('num.partitions'), 5, 'env still applies to keys not overridden')
})

test('environment variables that are not SAMSA_<known key> are ignored', () => {
  const cfg = loadBrokerConfig({ env: { LOG_DIRS: '/x', KAFKA_LOG_DIRS: '/y', SAMSA_NOT_A_KEY: '1', samsa_log_dirs: '/z' } })
  assert.deepEqual(cfg.get('log.dirs'), ['./data'])
  assert.equal(cfg.getRaw('not.a.key'), undefined)
})

test('unknown keys warn (naming the key) and are ignored, from any source', (t) => {
  const file = propsFile(t, 'process.roles=broker,controller\nnum.network.threads=3\n')
  const warnings: string[] = []
  const cfg = loadBrokerConfig({ file, overrides: { 'no.such.thing': 'x' }, warn: (m) => warnings.push(m) })
  assert.equal(warnings.length, 3, JSON.stringify(warnings))
  for (const key of ['process.roles', 'num.network.threads', 'no.such.thing']) {
    assert.ok(warnings.some((w) => w.includes(key)), `a warning names ${key}`)
    assert.equal(cfg.getRaw(key), undefined)
    assert.equal(cfg.explicit.has(key), false)
  }
})

test('Kafka 3.x keys Kafka 4 removed are accepted with a deprecation warning naming the replacement', (t) => {
  const file = propsFile(t, 'log.message.timestamp.difference.max.ms=60000\nlog.message.format.version=2.8\nlog.message.downconversion.enable=false\n')
  const warnings: string[] = []
  const cfg = loadBrokerConfig({ file, warn: (m) => warnings.push(m) })
  assert.equal(cfg.get('log.message.timestamp.difference.max.ms'), 60000)
  assert.equal(cfg.get('log.message.downconversion.enable'), false)
  assert.equal(cfg.explicit.get('log.message.format.version'), '2.8')
  assert.equal(warnings.length, 2, JSON.stringify(warnings))
  assert.match(warnings[0]!, /log\.message\.timestamp\.difference\.max\.ms is deprecated.*log\.message\.timestamp\.before\.max\.ms/)
  assert.match(warnings[1]!, /log\.message\.format\.version is ignored/)
  assert.ok(!warnings.some((w) => w.includes('unknown')), 'none is reported unknown')
})

test('unknown keys never throw, even without a warn callback', () => {
  assert.doesNotThrow(() => loadBrokerConfig({ overrides: { 'zookeeper.connect': 'localhost:2181' } }))
})

test("names of Object.prototype's members are unknown properties, not broker ones", () => {
  const warnings: string[] = []
  const cfg = loadBrokerConfig({ overrides: { constructor: 'x', toString: 'y' }, warn: (m) => warnings.push(m) })
  for (const key of ['constructor', 'toString']) {
    assert.ok(warnings.some((w) => w.includes(key)), `a warning names ${key}: ${JSON.stringify(warnings)}`)
    assert.equal(cfg.explicit.has(key), false)
    assert.equal(cfg.getRaw(key), undefined)
    throwsNaming(() => parseBrokerConfigValue(key, '1'), key)
  }
})

test('invalid values throw ConfigError naming the key', () => {
  const cases: Array<[string, string]> = [
    ['num.partitions', 'abc'],
    ['num.partitions', ''],
    ['num.partitions', '1.5'],
    ['num.partitions', '0'],
    ['broker.id', '-2'],
    ['broker.id', '2147483648'],
    ['log.segment.bytes', '2147483648'],
    ['log.segment.bytes', '13'],
    ['log.retention.ms', '12h'],
    ['auto.create.topics.enable', 'yes'],
    ['delete.topic.enable', '1'],
    ['socket.request.max.bytes', '0'],
    ['queued.max.requests', '0'],
    ['queued.max.requests', '-5'],
    ['log.message.timestamp.type', 'createtime'],
    ['default.replication.factor', '0'],
  ]
  for (const [key, value] of cases) {
    throwsNaming(() => loadBrokerConfig({ overrides: { [key]: value } }), key)
  }
})

test('an invalid value is reported whichever source it came from', (t) => {
  const file = propsFile(t, 'num.partitions=many\n')
  throwsNaming(() => loadBrokerConfig({ file }), 'num.partitions')
  throwsNaming(() => loadBrokerConfig({ env: { SAMSA_QUEUED_MAX_REQUESTS: 'lots' } }), 'queued.max.requests')
  // An override fixes a bad file value: the file's value is never used.
  assert.equal(loadBrokerConfig({ file, overrides: { 'num.partitions': '2' } }).get('num.partitions'), 2)
})

test('an unreadable properties file is a ConfigError naming the file', () => {
  const missing = join(tmpdir(), 'samsa-no-such-dir', 'server.properties')
  throwsNaming(() => loadBrokerConfig({ file: missing }), missing)
})

test('log.dir is used when log.dirs is not set; log.dirs wins when both are', () => {
  assert.deepEqual(loadBrokerConfig({ overrides: { 'log.dir': '/single' } }).get('log.dirs'), ['/single'])
  assert.deepEqual(loadBrokerConfig({ overrides: { 'log.dir': '/single', 'log.dirs': '/multi' } }).get('log.dirs'), ['/multi'])
})

test('node.id is an alias of broker.id; broker.id wins when both are set', () => {
  assert.equal(loadBrokerConfig({ overrides: { 'node.id': '4' } }).get('broker.id'), 4)
  assert.equal(loadBrokerConfig({ overrides: { 'node.id': '4', 'broker.id': '6' } }).get('broker.id'), 6)
})

test('parseListeners reads NAME://host:port entries', () => {
  assert.deepEqual(parseListeners('listeners', ['PLAINTEXT://localhost:9092']), [{ name: 'PLAINTEXT', host: 'localhost', port: 9092 }])
  assert.deepEqual(parseListeners('listeners', ['plaintext://:9092']), [{ name: 'PLAINTEXT', host: '', port: 9092 }])
  assert.deepEqual(parseListeners('listeners', ['PLAINTEXT://0.0.0.0:0']), [{ name: 'PLAINTEXT', host: '0.0.0.0', port: 0 }])
  assert.deepEqual(parseListeners('listeners', ['PLAINTEXT://[::1]:9092']), [{ name: 'PLAINTEXT', host: '::1', port: 9092 }])
  assert.deepEqual(parseListeners('listeners', ['INTERNAL_1://10.0.0.1:9092', 'EXTERNAL://broker.example.com:19092']), [
    { name: 'INTERNAL_1', host: '10.0.0.1', port: 9092 },
    { name: 'EXTERNAL', host: 'broker.example.com', port: 19092 },
  ])
  assert.deepEqual(parseListeners('listeners', []), [])
})

test('parseListeners rejects malformed entries with a ConfigError naming the key', () => {
  const bad = [
    'localhost:9092',
    'PLAINTEXT://localhost',
    'PLAINTEXT://localhost:',
    'PLAINTEXT://localhost:port',
    'PLAINTEXT://localhost:65536',
    'PLAINTEXT://localhost:-1',
    'PLAIN TEXT://localhost:9092',
    '://localhost:9092',
    'PLAINTEXT:/localhost:9092',
  ]
  for (const e of bad) throwsNaming(() => parseListeners('advertised.listeners', [e]), 'advertised.listeners')
})

test('parseListeners rejects two listeners with the same name (Kafka: "Each listener must have a different name")', () => {
  throwsNaming(() => parseListeners('listeners', ['PLAINTEXT://127.0.0.1:9092', 'plaintext://127.0.0.1:9093']), 'listeners')
})

/** Starts an embedded broker expected to refuse its config; its log dir must stay untouched. */
async function startRefused(t: TestContext, config: Record<string, string>, pattern: RegExp): Promise<void> {
  const parent = mkdtempSync(join(tmpdir(), 'samsa-refused-'))
  t.after(() => rmSync(parent, { recursive: true, force: true }))
  const dir = join(parent, 'data')
  const logger = createLogger({ level: 'silent' })
  await assert.rejects(startBroker({ logDirs: [dir], config, logger }), (e: Error) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e.name}: ${e.message}`)
    assert.match(e.message, pattern)
    return true
  })
  assert.equal(existsSync(dir), false, 'a refused config leaves no trace on disk')
}

test('a TLS listener without a key is refused at start-up, saying so; SASL_PLAINTEXT is served', async (t) => {
  await startRefused(t, { listeners: 'SSL://127.0.0.1:0' }, /listener SSL uses TLS but has no key: set ssl\.keystore\.location/)
  await startRefused(t, { listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";' }, /listener SASL_SSL uses TLS but has no key/)
  // The protocol comes from listener.security.protocol.map, not from the name.
  await startRefused(t, { listeners: 'CLIENT://127.0.0.1:0', 'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT' }, /listener CLIENT enables SASL mechanism GSSAPI|SASL mechanism GSSAPI is not supported/)
  const b = await startBroker({
    config: { listeners: 'CLIENT://127.0.0.1:0', 'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT', 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.client.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";' },
    logger: createLogger({ level: 'silent' }),
  })
  t.after(() => b.close())
  assert.equal(b.broker.listeners[0]!.securityProtocol, 'SASL_PLAINTEXT')
})

test('a listener name without a security protocol is refused as Kafka refuses it; mapping it to PLAINTEXT serves it', async (t) => {
  await startRefused(t, { listeners: 'EXTERNAL://127.0.0.1:0' }, /No security protocol defined for listener EXTERNAL/)
  await startRefused(t, { listeners: 'EXTERNAL://127.0.0.1:0', 'listener.security.protocol.map': 'EXTERNAL:TLS' }, /TLS is not a security protocol/)
  const b = await startBroker({ config: { listeners: 'EXTERNAL://127.0.0.1:0', 'listener.security.protocol.map': 'EXTERNAL:PLAINTEXT' }, logger: createLogger({ level: 'silent' }) })
  t.after(() => b.close())
  assert.equal(b.broker.listeners[0]!.name, 'EXTERNAL')
})

test('advertised.listeners naming a listener absent from listeners is refused with Kafka\'s message', async (t) => {
  await startRefused(
    t,
    { listeners: 'PLAINTEXT://127.0.0.1:0', 'advertised.listeners': 'PLAINTEXT://a.example.com:9092,EXTERNAL://b.example.com:9092' },
    /advertised\.listeners listener names must be equal to or a subset of the ones defined in listeners\. Found PLAINTEXT,EXTERNAL\. The valid options based on the current configuration are PLAINTEXT/,
  )
})

test('an unknown log.level is a ConfigError naming the allowed levels', () => {
  throwsNaming(() => loadBrokerConfig({ overrides: { 'log.level': 'verbose' } }), 'log.level')
  assert.throws(() => loadBrokerConfig({ env: { SAMSA_LOG_LEVEL: 'trace' } }), /must be one of: debug, info, warn, error, silent \(from environment variable SAMSA_LOG_LEVEL\)/)
  assert.equal(loadBrokerConfig({ overrides: { 'log.level': 'INFO' } }).get('log.level'), 'INFO')
})

test('queued.max.request.bytes below socket.request.max.bytes is refused (the largest request could never be read)', async (t) => {
  await startRefused(t, { 'queued.max.request.bytes': '1000', 'socket.request.max.bytes': '2000' }, /queued\.max\.request\.bytes \(1000\) must be at least socket\.request\.max\.bytes \(2000\)/)
})

test('max.connections.per.ip=0 needs overrides, as in Kafka; malformed overrides name the key', async (t) => {
  await startRefused(t, { 'max.connections.per.ip': '0' }, /max\.connections\.per\.ip can be set to zero only if max\.connections\.per\.ip\.overrides is set/)
  await startRefused(t, { 'max.connections.per.ip.overrides': '127.0.0.1' }, /max\.connections\.per\.ip\.overrides/)
})

test('cluster keys: metadata.store, etcd.endpoints, etcd.prefix, and the lease TTL from broker.session.timeout.ms', () => {
  const cfg = loadBrokerConfig()
  assert.equal(cfg.get('metadata.store'), 'local')
  assert.deepEqual(cfg.get('etcd.endpoints'), ['http://127.0.0.1:2379'])
  assert.equal(cfg.get('etcd.prefix'), '/samsa')
  assert.equal(cfg.get('broker.session.timeout.ms'), 9000)
  // etcd leases are whole seconds: rounded up, never below 1.
  for (const [ms, ttl] of [['9000', 9], ['9001', 10], ['1500', 2], ['1', 1], ['999', 1]] as const) {
    assert.equal(leaseTtlSeconds(loadBrokerConfig({ overrides: { 'broker.session.timeout.ms': ms } })), ttl, ms)
  }
  const two = loadBrokerConfig({ overrides: { 'metadata.store': 'etcd', 'etcd.endpoints': 'http://a:2379, http://b:2379' } })
  assert.deepEqual(two.get('etcd.endpoints'), ['http://a:2379', 'http://b:2379'])
  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ 'metadata.store': 'zookeeper' }, /metadata\.store: must be local or etcd/],
    [{ 'etcd.endpoints': 'https://a:2379' }, /TLS to etcd is not supported yet/],
    [{ 'etcd.endpoints': 'a:2379' }, /is not an etcd client URL like http:\/\/127\.0\.0\.1:2379/],
    [{ 'etcd.prefix': 'samsa' }, /etcd\.prefix: must be an absolute key path/],
    [{ 'etcd.prefix': '/samsa/' }, /no trailing/],
    [{ 'broker.session.timeout.ms': '0' }, /must be >= 1/],
  ]
  for (const [overrides, message] of refused) assert.throws(() => loadBrokerConfig({ overrides }), (e: Error) => e instanceof ConfigError && message.test(e.message))
  assert.throws(() => checkBrokerConfig(loadBrokerConfig({ overrides: { 'metadata.store': 'etcd', 'etcd.endpoints': '' } })), /metadata\.store=etcd needs etcd\.endpoints/)
})
