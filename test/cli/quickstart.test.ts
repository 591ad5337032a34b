/**
 * Kafka's quick start, end to end, with `samsa <tool>` in place of the kafka-*.sh scripts: every
 * step is a subprocess against a real broker process, as a user types it in a terminal. The
 * steps build on each other, so they run in order in one test.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runCli, startBrokerProcess } from '../helpers/broker-process.js'
import { spawnCli, type CliProcess } from '../helpers/cli-process.js'

const TOPIC = 'quickstart-events'

test('quick start: topics, console producer and consumers, groups with lag, offset reset, delete', async (t) => {
  const broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '0' } })
  t.after(() => broker.stop())
  const bs = ['--bootstrap-server', broker.bootstrap]
  const samsa = async (args: string[], input?: string) => {
    const r = await runCli(args, { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) })
    assert.equal(r.code, 0, `samsa ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
    return r.stdout
  }

  // 1. Create the topic and describe it.
  assert.equal(await samsa(['topics', '--create', '--topic', TOPIC, '--partitions', '3', ...bs]), `Created topic ${TOPIC}.\n`)
  const describe = await samsa(['topics', '--describe', '--topic', TOPIC, ...bs])
  assert.match(describe, new RegExp(`^Topic: ${TOPIC}\\tTopicId: \\S+\\tPartitionCount: 3\\tReplicationFactor: 1\\tConfigs: `, 'm'))
  for (let p = 0; p < 3; p++) {
    assert.match(describe, new RegExp(`^\\tTopic: ${TOPIC}\\tPartition: ${p}\\tLeader: ${broker.nodeId}\\tReplicas: ${broker.nodeId}\\tIsr: ${broker.nodeId}`, 'm'))
  }
  assert.match(await samsa(['topics', '--list', ...bs]), new RegExp(`^${TOPIC}$`, 'm'))

  // 2. Write events with the console producer (keyed, so they spread over the partitions).
  const first = Array.from({ length: 30 }, (_, i) => `key${i}:event ${i}`)
  await samsa(['console-producer', '--topic', TOPIC, '--property', 'parse.key=true', '--property', 'key.separator=:', ...bs], first.join('\n') + '\n')

  // 3. Read them back from the beginning.
  const all = await samsa(['console-consumer', '--topic', TOPIC, '--from-beginning', '--max-messages', '30', '--property', 'print.key=true', '--property', 'key.separator=:', ...bs])
  assert.deepEqual(lines(all).sort(), [...first].sort())

  // 4. Two console consumers in one group share the partitions: each gets a disjoint part, together everything.
  const a = spawnCli(['console-consumer', '--topic', TOPIC, '--group', 'shared', '--from-beginning', ...bs])
  const b = spawnCli(['console-consumer', '--topic', TOPIC, '--group', 'shared', '--from-beginning', ...bs])
  t.after(() => Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]))
  // The group exists once the first member joined; wait until both hold partitions.
  await waitFor(async () => countAssigned((await runCli(['consumer-groups', '--describe', '--group', 'shared', '--members', ...bs])).stdout) === 2)
  const second = Array.from({ length: 30 }, (_, i) => `key${i}:second ${i}`)
  await samsa(['console-producer', '--topic', TOPIC, '--property', 'parse.key=true', '--property', 'key.separator=:', ...bs], second.join('\n') + '\n')
  const values = [...first, ...second].map((l) => l.slice(l.indexOf(':') + 1))
  await waitFor(async () => lines(a.stdout()).length + lines(b.stdout()).length >= 60)
  const stopped = await Promise.all([stopConsumer(a), stopConsumer(b)])
  const got = [...lines(a.stdout()), ...lines(b.stdout())]
  assert.deepEqual([...got].sort(), [...values].sort(), 'every event once across the group')
  assert.ok(lines(a.stdout()).length > 0 && lines(b.stdout()).length > 0, `both members got partitions\na: ${a.stdout()}\nb: ${b.stdout()}\n${a.stderr()}\n${b.stderr()}`)
  assert.deepEqual(stopped, [lines(a.stdout()).length, lines(b.stdout()).length], 'each reports what it processed')

  // 5. A consumer in another group gets everything.
  const other = await samsa(['console-consumer', '--topic', TOPIC, '--group', 'audit', '--from-beginning', '--max-messages', '60', ...bs])
  assert.deepEqual(lines(other).sort(), [...values].sort())

  // 6. The group's lag, with no member running: new events show up as lag.
  await samsa(['console-producer', '--topic', TOPIC, ...bs], 'late 1\nlate 2\nlate 3\nlate 4\nlate 5\n')
  const described = await runCli(['consumer-groups', '--describe', '--group', 'shared', ...bs])
  assert.equal(described.code, 0, described.stderr)
  assert.match(described.stderr, /Consumer group 'shared' has no active members\./, 'on stderr, as Kafka prints it')
  const lag = described.stdout
  assert.match(lag, /GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID/)
  const rows = lag.split('\n').filter((l) => l.startsWith('shared '))
  assert.equal(rows.length, 3)
  assert.equal(rows.reduce((sum, r) => sum + Number(r.trim().split(/\s+/)[5]), 0), 5, lag)
  assert.match(await samsa(['consumer-groups', '--list', ...bs]), /^shared$/m)

  // 7. Reset the group to the beginning and consume everything again.
  const plan = await samsa(['consumer-groups', '--reset-offsets', '--group', 'shared', '--topic', TOPIC, '--to-earliest', '--execute', ...bs])
  assert.match(plan, /GROUP\s+TOPIC\s+PARTITION\s+NEW-OFFSET/)
  const again = await samsa(['console-consumer', '--topic', TOPIC, '--group', 'shared', '--max-messages', '65', ...bs])
  assert.equal(lines(again).length, 65)

  // 8. Delete the topic.
  await samsa(['topics', '--delete', '--topic', TOPIC, ...bs])
  assert.doesNotMatch(await samsa(['topics', '--list', ...bs]), new RegExp(`^${TOPIC}$`, 'm'))
})

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '')
}

/** Members with at least one partition, from `consumer-groups --describe --members` (the last column is #PARTITIONS). */
function countAssigned(out: string): number {
  return out.split('\n').filter((l) => /^shared\s/.test(l) && Number(l.trim().split(/\s+/).at(-1)) > 0).length
}

/** SIGINT, as Ctrl-C: the consumer commits, leaves, and says how many it processed. */
async function stopConsumer(c: CliProcess): Promise<number> {
  const { code } = await c.stop('SIGINT')
  assert.equal(code, 0, c.stderr())
  const m = /Processed a total of (\d+) messages/.exec(c.stderr())
  assert.ok(m, c.stderr())
  return Number(m[1])
}

async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 200))
  }
}
