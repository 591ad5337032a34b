/**
 * `samsa reassign-partitions`, `samsa leader-election` and `samsa topics --describe` as processes
 * against three real brokers (in this process, on one shared store: test/helpers/shared-metadata.ts):
 * Kafka's JSON files and output lines for --generate, --execute, --verify, --list, --cancel; the
 * Adding/Removing Replicas columns and the --under-replicated-partitions / --unavailable-partitions
 * reports; preferred elections with Kafka's three kinds of lines; files refused before connecting.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../helpers/broker-process.js'
import { sharedCluster, type SharedCluster } from '../helpers/shared-metadata.js'
import { until } from '../broker/helpers.js'

const FAST = { 'replica.fetch.wait.max.ms': '20', 'replica.fetch.backoff.ms': '20', 'controlled.shutdown.enable': 'false' }

async function cluster(t: TestContext, withController: boolean): Promise<{ c: SharedCluster; bootstrap: string; file: (name: string, content: unknown) => string }> {
  const c = await sharedCluster(t, FAST, withController ? { controller: {} } : {})
  for (const id of [0, 1, 2]) await c.start(id)
  const dir = mkdtempSync(join(tmpdir(), 'samsa-reassign-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = (name: string, content: unknown) => {
    const path = join(dir, name)
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
    return path
  }
  return { c, bootstrap: `127.0.0.1:${c.brokers.get(0)!.listeners[0]!.port}`, file }
}

async function createTopic(c: SharedCluster, name: string, assignments: number[][]): Promise<void> {
  await c.store.createTopic({ name, assignments, configs: {} })
  for (const b of c.brokers.values()) await b.replicas.settled()
  await until(() => c.store.topic(name)!.partitions.every((p) => p.isr.length === p.replicas.length), `${name} in sync`)
}

const samsa = (args: string[]) => runCli(args, { timeoutMs: 30_000 })

test('--execute starts a move (current assignment printed for a rollback), --verify reports it completed, --generate proposes one over --broker-list', async (t) => {
  const { c, bootstrap, file } = await cluster(t, true)
  await createTopic(c, 'mv', [[0, 1], [1, 0]])
  const plan = file('plan.json', { version: 1, partitions: [{ topic: 'mv', partition: 0, replicas: [1, 2], log_dirs: ['any', 'any'] }] })
  const run = await samsa(['reassign-partitions', '--bootstrap-server', bootstrap, '--reassignment-json-file', plan, '--execute'])
  assert.equal(run.code, 0, run.stderr)
  assert.equal(
    run.stdout,
    'Current partition replica assignment\n\n{"version":1,"partitions":[{"topic":"mv","partition":0,"replicas":[0,1],"log_dirs":["any","any"]}]}\n\nSave this to use as the --reassignment-json-file option during rollback\nSuccessfully started partition reassignment for mv-0\n',
  )
  await until(() => c.store.topic('mv')!.partitions[0]!.addingReplicas.length === 0, 'the move to complete', 10_000)
  const verify = await samsa(['reassign-partitions', '--bootstrap-server', bootstrap, '--reassignment-json-file', plan, '--verify'])
  assert.deepEqual([verify.code, verify.stdout], [0, 'Status of partition reassignment:\nReassignment of partition mv-0 is completed.\n'])
  const described = await samsa(['topics', '--bootstrap-server', bootstrap, '--describe', '--topic', 'mv'])
  assert.match(described.stdout, /\tTopic: mv\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: (1,2|2,1)\tElr: N\/A\tLastKnownElr: N\/A\n/)
  const topics = file('topics.json', { topics: [{ topic: 'mv' }], version: 1 })
  const gen = await samsa(['reassign-partitions', '--bootstrap-server', bootstrap, '--topics-to-move-json-file', topics, '--broker-list', '0,2', '--generate'])
  assert.equal(gen.code, 0, gen.stderr)
  const lines = gen.stdout.split('\n')
  assert.deepEqual([lines[0], lines[2], lines[3]], ['Current partition replica assignment', '', 'Proposed partition reassignment configuration'])
  assert.deepEqual(JSON.parse(lines[1]!), { version: 1, partitions: [{ topic: 'mv', partition: 0, replicas: [1, 2], log_dirs: ['any', 'any'] }, { topic: 'mv', partition: 1, replicas: [1, 0], log_dirs: ['any', 'any'] }] })
  const proposed = JSON.parse(lines[4]!) as { partitions: Array<{ partition: number; replicas: number[] }> }
  assert.deepEqual(proposed.partitions.map((p) => [p.partition, [...p.replicas].sort()]), [[0, [0, 2]], [1, [0, 2]]], 'two replicas each, on the brokers listed')
  const unknown = await samsa(['reassign-partitions', '--bootstrap-server', bootstrap, '--topics-to-move-json-file', topics, '--broker-list', '0,7', '--generate'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /broker\(s\) 7/)
})

test('a move in progress: --list, --verify, topics --describe columns and reports, --execute refused without --additional, --cancel; leader-election; files refused before connecting', async (t) => {
  // No controller: a reassignment stays in progress until it is cancelled.
  const { c, bootstrap, file } = await cluster(t, false)
  await createTopic(c, 'prog', [[0, 1]])
  const plan = file('plan.json', { version: 1, partitions: [{ topic: 'prog', partition: 0, replicas: [0, 2] }] })
  const rp = (...args: string[]) => samsa(['reassign-partitions', '--bootstrap-server', bootstrap, ...args])
  assert.equal((await rp('--reassignment-json-file', plan, '--execute')).code, 0)
  assert.deepEqual((await rp('--list')).stdout, 'Current partition reassignments:\nprog-0: replicas: 0,2,1. adding: 2. removing: 1.\n')
  assert.equal((await rp('--reassignment-json-file', plan, '--verify')).stdout, 'Status of partition reassignment:\nReassignment of partition prog-0 is still in progress.\n')
  await until(() => c.store.topic('prog')!.partitions[0]!.isr.includes(2), 'broker 2 to join the ISR')
  const describe = await samsa(['topics', '--bootstrap-server', bootstrap, '--describe', '--topic', 'prog'])
  assert.match(describe.stdout, /\tTopic: prog\tPartition: 0\tLeader: 0\tReplicas: 0,2,1\tIsr: [0-2,]+\tAdding Replicas: 2\tRemoving Replicas: 1\tElr: N\/A/)
  const again = await rp('--reassignment-json-file', plan, '--execute')
  assert.equal(again.code, 1)
  assert.match(again.stderr, /Cannot execute because there is an existing partition assignment/)
  const cancel = await rp('--reassignment-json-file', plan, '--cancel')
  assert.deepEqual([cancel.code, cancel.stdout], [0, 'Successfully cancelled partition reassignment for: prog-0\n'])
  assert.equal((await rp('--reassignment-json-file', plan, '--cancel')).stdout, 'None of the specified partition reassignments are active.\n')
  assert.equal((await rp('--list')).stdout, 'No partition reassignments found.\n')
  assert.equal(
    (await rp('--reassignment-json-file', plan, '--verify')).stdout,
    'Status of partition reassignment:\nThere is no active reassignment of partition prog-0, but replica set is 0,1 rather than 0,2.\n',
  )
  assert.equal((await rp('--reassignment-json-file', plan, '--execute', '--additional')).code, 0)
  assert.equal((await rp('--list')).stdout, 'Current partition reassignments:\nprog-0: replicas: 0,2,1. adding: 2. removing: 1.\n')
  const refused = await rp('--reassignment-json-file', file('bad.json', { version: 1, partitions: [{ topic: 'prog', partition: 0, replicas: [0, 9] }] }), '--execute', '--additional')
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /Error reassigning partition:\nprog-0: INVALID_REPLICA_ASSIGNMENT \(39\): The manual partition assignment includes broker 9, but no such broker is registered\./)
  // Usage errors (exit 2), before connecting: the bootstrap address is not even reachable.
  for (const [content, text] of [
    ['{', 'not a valid JSON'],
    [{ version: 2, partitions: [] }, 'Not supported version'],
    [{ partitions: [{ topic: 'a', partition: 0, replicas: [1, 1] }] }, 'duplicate entries'],
    [{ partitions: [{ topic: 'a', partition: 0, replicas: [1] }, { topic: 'a', partition: 0, replicas: [2] }] }, 'Duplicate reassignment partitions: a-0'],
    [{ partitions: [{ topic: 'a', partition: 0, replicas: [1], log_dirs: ['/data'] }] }, 'log dirs'],
  ] as const) {
    const r = await samsa(['reassign-partitions', '--bootstrap-server', '127.0.0.1:1', '--reassignment-json-file', file('u.json', content), '--execute'])
    assert.equal(r.code, 2, `${text}: ${r.stderr}`)
    assert.match(r.stderr, new RegExp(text))
  }
  assert.equal((await samsa(['reassign-partitions', '--bootstrap-server', '127.0.0.1:1', '--list', '--verify'])).code, 2)

  // leader-election: PREFERRED moves the leadership back; Kafka's three kinds of lines.
  await createTopic(c, 'le', [[0, 1, 2], [1, 2, 0]])
  const p = c.store.topic('le')!.partitions[0]!
  await c.store.alterPartition({ topic: 'le', partition: 0, partitionEpoch: p.partitionEpoch, leader: 2, leaderEpoch: p.leaderEpoch + 1 })
  const le = (...args: string[]) => samsa(['leader-election', '--bootstrap-server', bootstrap, ...args])
  assert.deepEqual(await le('--election-type', 'preferred', '--all-topic-partitions').then((r) => [r.code, r.stdout]), [0, 'Successfully completed leader election (PREFERRED) for partitions le-0\n'])
  assert.equal(c.store.topic('le')!.partitions[0]!.leader, 0)
  assert.equal((await le('--election-type', 'PREFERRED', '--topic', 'le', '--partition', '0')).stdout, 'Valid replica already elected for partitions le-0\n')
  const some = await le('--election-type', 'preferred', '--path-to-json-file', file('e.json', { partitions: [{ topic: 'le', partition: 1 }, { topic: 'nope', partition: 0 }] }))
  assert.equal(some.code, 1)
  assert.match(some.stdout, /^Valid replica already elected for partitions le-1\nError completing leader election \(PREFERRED\) for partition: nope-0: UNKNOWN_TOPIC_OR_PARTITION \(3\): /)
  assert.match(some.stderr, /1 replica\(s\) could not be elected/)
  assert.equal((await le('--election-type', 'unclean', '--topic', 'le', '--partition', '0')).stdout, 'Valid replica already elected for partitions le-0\n')
  assert.equal((await samsa(['leader-election', '--bootstrap-server', '127.0.0.1:1', '--election-type', 'preferred'])).code, 2, 'no partitions chosen')
  assert.equal((await samsa(['leader-election', '--bootstrap-server', '127.0.0.1:1', '--election-type', 'sideways', '--all-topic-partitions'])).code, 2)

  // --unavailable-partitions and --under-replicated-partitions on the live cluster: broker 2
  // stops; nothing moves its leaderships (no controller), so le-0... is led by 0; le-1 by 1.
  const q = c.store.topic('le')!.partitions[1]!
  await c.store.alterPartition({ topic: 'le', partition: 1, partitionEpoch: q.partitionEpoch, leader: 2, leaderEpoch: q.leaderEpoch + 1 })
  await c.stop(2)
  const unavailable = await samsa(['topics', '--bootstrap-server', bootstrap, '--describe', '--unavailable-partitions'])
  assert.match(unavailable.stdout, /^\tTopic: le\tPartition: 1\tLeader: 2\tReplicas: 1,2,0\t/)
  assert.equal(unavailable.stdout.split('\n').filter(Boolean).length, 1, unavailable.stdout)
  const shrink = c.store.topic('le')!.partitions[0]!
  await c.store.alterPartition({ topic: 'le', partition: 0, partitionEpoch: shrink.partitionEpoch, isr: [0, 1] })
  const under = await samsa(['topics', '--bootstrap-server', bootstrap, '--describe', '--under-replicated-partitions', '--topic', 'le'])
  assert.match(under.stdout, /^\tTopic: le\tPartition: 0\tLeader: 0\tReplicas: 0,1,2\tIsr: 0,1\t/)
})
