/**
 * `samsa topics` as a user runs it, one process per command, against a real broker process:
 * Kafka's output layouts, the --topic regex, --if-exists / --if-not-exists, the describe
 * reports, usage errors. What the tool did is checked through the admin client, not only
 * through the tool's own output.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin } from '../../src/client/admin/admin.js'
import { createLogger } from '../../src/util/logger.js'
import { runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'

let b: BrokerProcess
let admin: Admin

before(async () => {
  b = await startBrokerProcess({ overrides: { 'num.partitions': '2' }, startTimeoutMs: 30_000 })
  admin = new Admin({ bootstrapServers: b.bootstrap, logger: createLogger({ level: 'error' }) })
})

after(async () => {
  await admin?.close()
  await b?.stop()
})

function topics(...args: string[]) {
  return runCli(['topics', '--bootstrap-server', b.bootstrap, ...args], { timeoutMs: 30_000 })
}

/** Runs and expects success; returns stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await topics(...args)
  assert.equal(r.code, 0, `samsa topics ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r.stdout
}

/** Runs and expects exit `code` with exactly one line on stderr naming the tool; returns that line. */
async function fails(code: number, ...args: string[]): Promise<string> {
  const r = await topics(...args)
  assert.equal(r.code, code, `samsa topics ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`)
  assert.match(lines[0]!, /^samsa topics: /)
  return lines[0]!
}

async function partitionCount(topic: string): Promise<number> {
  const [d] = await admin.describeTopics([topic])
  return d!.partitions.length
}

test('create, describe in Kafka’s layout, list, alter partitions, delete', async () => {
  assert.equal(await ok('--create', '--topic', 'orders', '--partitions', '3', '--config', 'retention.ms=3600000', '--config', 'cleanup.policy = compact'), 'Created topic orders.\n')
  assert.equal(await partitionCount('orders'), 3)

  const [desc] = await admin.describeTopics(['orders'])
  const described = await ok('--describe', '--topic', 'orders')
  assert.equal(
    described,
    `Topic: orders\tTopicId: ${desc!.topicId}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,retention.ms=3600000\n` +
      [0, 1, 2].map((p) => `\tTopic: orders\tPartition: ${p}\tLeader: ${b.nodeId}\tReplicas: ${b.nodeId}\tIsr: ${b.nodeId}\tElr: N/A\tLastKnownElr: N/A\n`).join(''),
  )

  // Without --partitions the broker's num.partitions (2 here) applies; no overrides: empty Configs.
  assert.equal(await ok('--create', '--topic', 'payments'), 'Created topic payments.\n')
  assert.match(await ok('--describe', '--topic', 'payments'), /^Topic: payments\tTopicId: \S+\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: \n/)

  const listed = (await ok('--list')).split('\n').filter((l) => l !== '')
  assert.ok(listed.includes('orders') && listed.includes('payments'), listed.join(','))
  assert.deepEqual(listed, [...listed].sort(), 'sorted')

  assert.equal(await ok('--alter', '--topic', 'orders', '--partitions', '5'), '')
  assert.equal(await partitionCount('orders'), 5)
  assert.match(await ok('--describe', '--topic', 'orders'), /PartitionCount: 5\t[^]*\tPartition: 4\tLeader: /)
  assert.match(await fails(1, '--alter', '--topic', 'orders', '--partitions', '2'), /INVALID_PARTITIONS.*orders/)

  assert.equal(await ok('--delete', '--topic', 'payments'), '')
  assert.ok(!(await admin.listTopics()).includes('payments'))
  assert.ok(!(await ok('--list')).split('\n').includes('payments'))
})

test('--create of an existing topic fails unless --if-not-exists; a missing topic fails unless --if-exists', async () => {
  await ok('--create', '--topic', 'twice', '--partitions', '1')
  const line = await fails(1, '--create', '--topic', 'twice')
  assert.match(line, /TOPIC_ALREADY_EXISTS/)
  assert.match(line, /Topic 'twice' already exists/)
  assert.match(line, /--if-not-exists/, 'names the fix')
  assert.equal(await ok('--create', '--topic', 'twice', '--partitions', '4', '--if-not-exists'), '')
  assert.equal(await partitionCount('twice'), 1, 'the existing topic is left alone')

  for (const action of [['--delete'], ['--describe'], ['--alter', '--partitions', '3']]) {
    const missing = await fails(1, ...action, '--topic', 'no-such-topic')
    assert.match(missing, /Topic 'no-such-topic' does not exist as expected/)
    assert.match(missing, /--if-exists/)
    assert.equal(await ok(...action, '--topic', 'no-such-topic', '--if-exists'), '')
  }
  assert.ok(!(await admin.listTopics()).includes('no-such-topic'))
})

test('--topic is a regex (whole name, commas as alternatives) for describe, list, alter and delete', async () => {
  for (const t of ['rx.a1', 'rx.a2', 'rx.b1', 'rx-a3']) await ok('--create', '--topic', t, '--partitions', '1')
  const names = (out: string) => out.split('\n').filter((l) => l.startsWith('Topic: ')).map((l) => l.split('\t')[0]!.slice('Topic: '.length))
  assert.deepEqual(names(await ok('--describe', '--topic', 'rx\\.a.*')), ['rx.a1', 'rx.a2'])
  assert.deepEqual(names(await ok('--describe', '--topic', 'rx.a.*')), ['rx-a3', 'rx.a1', 'rx.a2'], "'.' matches any character")
  assert.deepEqual(names(await ok('--describe', '--topic', 'rx.b1, rx-a3')), ['rx-a3', 'rx.b1'])
  assert.equal(await ok('--list', '--topic', 'rx\\.a'), '', 'the regex must match the whole name')
  assert.equal(await ok('--list', '--topic', 'rx\\..*1'), 'rx.a1\nrx.b1\n')

  await ok('--alter', '--topic', 'rx\\.a.*', '--partitions', '2')
  assert.deepEqual(await Promise.all(['rx.a1', 'rx.a2', 'rx.b1'].map(partitionCount)), [2, 2, 1])

  await ok('--delete', '--topic', 'rx\\..*')
  const left = await admin.listTopics()
  assert.deepEqual(left.filter((t) => t.startsWith('rx')), ['rx-a3'])
  assert.match(await fails(2, '--describe', '--topic', 'rx(['), /invalid regex/)
})

test('describe reports: nothing under-replicated or unavailable on a healthy broker, at-min-isr and overrides do list', async () => {
  await ok('--create', '--topic', 'healthy', '--partitions', '2')
  await ok('--create', '--topic', 'overridden', '--partitions', '1', '--config', 'max.message.bytes=5000')
  const all = await ok('--describe', '--topic', 'healthy|overridden')
  assert.equal(all.split('\n').filter((l) => l.startsWith('\tTopic: ')).length, 3, 'the plain describe shows every partition')

  assert.equal(await ok('--describe', '--topic', 'healthy|overridden', '--under-replicated-partitions'), '')
  assert.equal(await ok('--describe', '--topic', 'healthy|overridden', '--unavailable-partitions'), '')
  assert.equal(await ok('--describe', '--topic', 'healthy|overridden', '--under-min-isr-partitions'), '')
  // ISR 1 = min.insync.replicas 1: every partition, and no topic lines.
  const atMin = await ok('--describe', '--topic', 'healthy|overridden', '--at-min-isr-partitions')
  assert.deepEqual(
    atMin.split('\n').filter((l) => l !== '').map((l) => l.split('\t').slice(1, 3).join(' ')),
    ['Topic: healthy Partition: 0', 'Topic: healthy Partition: 1', 'Topic: overridden Partition: 0'],
  )
  const overrides = await ok('--describe', '--topic', 'healthy|overridden', '--topics-with-overrides')
  assert.match(overrides, /^Topic: overridden\tTopicId: \S+\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: max\.message\.bytes=5000\n$/)
})

test('internal topics are listed and described unless --exclude-internal', async () => {
  // Looking up a group coordinator makes the broker create __consumer_offsets.
  await admin.listGroupOffsets('topics-test-group')
  const listed = (await ok('--list')).split('\n')
  assert.ok(listed.includes('__consumer_offsets'), listed.join(','))
  assert.ok(!(await ok('--list', '--exclude-internal')).split('\n').includes('__consumer_offsets'))
  assert.match(await ok('--describe', '--topic', '__consumer.*'), /^Topic: __consumer_offsets\t/)
  // Excluded, the filter matches nothing: an error, as in Kafka, unless --if-exists.
  assert.match(await fails(1, '--describe', '--topic', '__consumer.*', '--exclude-internal'), /does not exist as expected/)
  assert.equal(await ok('--describe', '--topic', '__consumer.*', '--exclude-internal', '--if-exists'), '')
  assert.doesNotMatch(await ok('--describe', '--exclude-internal'), /__consumer_offsets/)
})

test('--replica-assignment places the partitions on --create and on --alter', async () => {
  const id = String(b.nodeId)
  assert.equal(await ok('--create', '--topic', 'placed', '--replica-assignment', `${id},${id}`), 'Created topic placed.\n')
  const [d] = await admin.describeTopics(['placed'])
  assert.deepEqual(d!.partitions.map((p) => p.replicas), [[b.nodeId], [b.nodeId]])
  await ok('--alter', '--topic', 'placed', '--partitions', '3', '--replica-assignment', `${id},${id},${id}`)
  assert.equal(await partitionCount('placed'), 3)

  assert.match(await fails(2, '--create', '--topic', 'p2', '--replica-assignment', `${id}:${id}`), /duplicate entries: 0/)
  assert.match(await fails(2, '--create', '--topic', 'p2', '--replica-assignment', `${id},${id}:1`), /Partition 1 has different replication factor/)
  assert.match(await fails(2, '--create', '--topic', 'p2', '--replica-assignment', 'a'), /not a broker id/)
  assert.match(await fails(2, '--create', '--topic', 'p2', '--replica-assignment', id, '--partitions', '1'), /--replica-assignment can't be used with --partitions/)
  assert.ok(!(await admin.listTopics()).includes('p2'))
})

test('errors from the broker: one line, exit 1, Kafka’s error name', async () => {
  assert.match(await fails(1, '--create', '--topic', 'rf3', '--replication-factor', '3'), /INVALID_REPLICATION_FACTOR/)
  assert.match(await fails(1, '--create', '--topic', 'badcfg', '--config', 'no.such.config=1'), /INVALID_CONFIG.*no\.such\.config/)
  assert.match(await fails(1, '--create', '--topic', 'badval', '--config', 'retention.ms=soon'), /INVALID_CONFIG/)
  assert.match(await fails(1, '--create', '--topic', 'bad/name'), /INVALID_TOPIC_EXCEPTION/)
  const left = await admin.listTopics()
  for (const t of ['rf3', 'badcfg', 'badval']) assert.ok(!left.includes(t), t)
})

test('usage errors exit 2 with one line: actions, --zookeeper, flags that do not fit the action, bad values', async () => {
  assert.match(await fails(2), /Command must include exactly one action: --list, --describe, --create, --alter or --delete/)
  assert.match(await fails(2, '--list', '--describe'), /exactly one action/)
  const zk = await runCli(['topics', '--zookeeper', 'localhost:2181', '--list'])
  assert.equal(zk.code, 2)
  assert.equal(zk.stderr.trim().split('\n').length, 1)
  assert.match(zk.stderr, /--zookeeper.*Kafka 4 removed ZooKeeper.*--bootstrap-server/)
  assert.match((await runCli(['topics', '--list'])).stderr, /--bootstrap-server must be specified/)
  assert.match(await fails(2, '--create'), /--create needs --topic/)
  assert.match(await fails(2, '--alter', '--topic', 'orders'), /--alter needs --partitions/)
  assert.match(await fails(2, '--alter', '--topic', 'orders', '--partitions', '9', '--config', 'a=b'), /samsa configs --alter/)
  assert.match(await fails(2, '--list', '--partitions', '3'), /--partitions can't be used with --list/)
  assert.match(await fails(2, '--describe', '--if-not-exists'), /--if-not-exists can't be used with --describe/)
  assert.match(await fails(2, '--create', '--topic', 'x', '--exclude-internal'), /--exclude-internal can't be used with --create/)
  assert.match(await fails(2, '--list', '--under-replicated-partitions'), /can't be used with --list/)
  assert.match(await fails(2, '--create', '--topic', 'x', '--partitions', '0'), /--partitions must be an integer from 1 to 2147483647, got '0'/)
  assert.match(await fails(2, '--create', '--topic', 'x', '--replication-factor', '0'), /--replication-factor must be an integer from 1 to 32767, got '0'/)
  assert.match(await fails(2, '--create', '--topic', 'x', '--partitions', 'many'), /--partitions must be an integer .* got 'many'/)
  assert.match(await fails(2, '--create', '--topic', 'x', '--config', 'retention.ms'), /format "key=val"/)
  assert.match(await fails(2, '--list', '--no-such-flag'), /unknown option/)
  assert.ok(!(await admin.listTopics()).includes('x'))
})

test('an unreachable bootstrap server fails fast with one line naming it', async () => {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise((resolve) => s.close(resolve))
  const r = await runCli(['topics', '--bootstrap-server', `127.0.0.1:${port}`, '--list'], { env: { SAMSA_CLI_CONNECT_TIMEOUT_MS: '1000' }, timeoutMs: 30_000 })
  assert.equal(r.code, 1)
  assert.equal(r.stdout, '')
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, r.stderr)
  assert.ok(lines[0]!.includes(`127.0.0.1:${port}`), lines[0])
  assert.match(lines[0]!, /^samsa topics: .*--bootstrap-server/)
})

test('--command-config passes admin client properties; an unreadable file is a usage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-topics-'))
  try {
    const file = join(dir, 'admin.properties')
    // --bootstrap-server wins over the file's bootstrap.servers, as in Kafka's tools.
    writeFileSync(file, 'client.id=topics-test\nrequest.timeout.ms=20000\nbootstrap.servers=127.0.0.1:1\n')
    assert.ok((await ok('--list', '--command-config', file)).split('\n').includes('orders'))
    writeFileSync(file, 'request.timeout.ms=soon\n')
    assert.match(await fails(2, '--list', '--command-config', file), /request\.timeout\.ms/)
    assert.match(await fails(2, '--list', '--command-config', join(dir, 'missing.properties')), /missing\.properties/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('--help lists every flag', async () => {
  const r = await runCli(['topics', '--help'])
  assert.equal(r.code, 0)
  for (const flag of [
    '--bootstrap-server', '--command-config', '--create', '--list', '--describe', '--alter', '--delete', '--topic', '--topic-id', '--config',
    '--partitions', '--replication-factor', '--replica-assignment', '--under-replicated-partitions', '--unavailable-partitions',
    '--under-min-isr-partitions', '--at-min-isr-partitions', '--topics-with-overrides', '--if-exists', '--if-not-exists',
    '--exclude-internal', '--partition-size-limit-per-response', '--zookeeper',
  ]) {
    assert.ok(r.stdout.includes(`${flag} `), `${flag} in help`)
  }
})

test('--describe --topic-id finds the topic by id', async () => {
  await ok('--create', '--topic', 'by-id', '--partitions', '1')
  const [d] = await admin.describeTopics(['by-id'])
  const out = await ok('--describe', '--topic-id', d!.topicId!)
  assert.match(out, new RegExp(`^Topic: by-id\\tTopicId: ${d!.topicId}\\t`))
  assert.equal(out.split('\n').filter((l) => l.startsWith('Topic: ')).length, 1)
  assert.match(await fails(1, '--describe', '--topic-id', 'AAAAAAAAAAAAAAAAAAAAAQ'), /TopicId 'AAAAAAAAAAAAAAAAAAAAAQ' does not exist/)
})
