/**
 * `samsa consumer-groups` as a user runs it, against a real broker process, with consumers
 * driven by the Samsa client in this process: describe (offsets, members, state) of live and
 * empty groups, list with states, reset-offsets in every mode (dry run vs execute, checked
 * through the admin client), refusals for live groups, delete, delete-offsets, usage errors.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import { Admin, Consumer, Producer } from '../../src/index.js'
import { CliError } from '../../src/cli/common.js'
import { consumerGroupsCommand } from '../../src/cli/consumer-groups.js'
import type { GroupDescription } from '../../src/client/admin/types.js'
import { runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'

let broker: BrokerProcess
let admin: Admin
let producer: Producer
let dir: string
const consumers: Consumer[] = []

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } })
  admin = new Admin({ bootstrapServers: broker.bootstrap, clientId: 'cg-test' })
  producer = new Producer({ bootstrapServers: broker.bootstrap, lingerMs: 0 })
  dir = mkdtempSync(join(tmpdir(), 'samsa-cg-'))
})

after(async () => {
  for (const c of consumers) await c.close().catch(() => {})
  await producer.close()
  await admin.close()
  await broker.stop()
  rmSync(dir, { recursive: true, force: true })
})

function cg(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(['consumer-groups', '--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 60_000, env })
}

async function produce(topic: string, partition: number, count: number, timestamp?: number): Promise<void> {
  for (let i = 0; i < count; i++) await producer.send({ topic, partition, value: `v${i}`, ...(timestamp !== undefined ? { timestamp: timestamp + i * 1000 } : {}) })
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A consumer in `groupId` that has read `count` records and committed them, then stops reading. */
async function consumerAt(groupId: string, topics: string[], count: number, clientId: string): Promise<Consumer> {
  const c = new Consumer({ bootstrapServers: broker.bootstrap, groupId, clientId, autoOffsetReset: 'earliest', enableAutoCommit: false })
  consumers.push(c)
  await c.subscribe(topics)
  let n = 0
  while (n < count) n += (await c.poll({ timeoutMs: 500 })).length
  assert.equal(n, count)
  await c.commit()
  await waitFor(`group ${groupId} stable`, async () => {
    const [d] = await admin.describeGroups([groupId])
    return d!.state === 'Stable' && d!.members.some((m) => m.assignment.length > 0) ? d : undefined
  })
  return c
}

async function committed(groupId: string): Promise<Array<[string, number, bigint]>> {
  return (await admin.listGroupOffsets(groupId)).map((c) => [c.topic, c.partition, c.offset])
}

/** Kafka's layout: each cell padded to its width, one space apart, the last unpadded. */
function row(widths: number[], cells: Array<string | number>): string {
  return cells.map((c, i) => (i < widths.length ? String(c).padEnd(widths[i]!) : String(c))).join(' ').trimEnd()
}

let live: { consumer: Consumer; description: GroupDescription }

test('describe a group with an active member: Kafka columns and widths, committed offsets, log end and lag', async () => {
  await admin.createTopics([{ topic: 'cg-live', numPartitions: 2 }])
  await produce('cg-live', 0, 5)
  await produce('cg-live', 1, 3)
  const consumer = await consumerAt('live', ['cg-live'], 8, 'live-app')
  await produce('cg-live', 0, 2)
  const [description] = await admin.describeGroups(['live'])
  live = { consumer, description: description! }
  const member = description!.members[0]!

  const r = await cg(['--describe', '--group', 'live'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '')
  const w = [15, 15, 10, 15, 15, 15, Math.max(15, member.memberId.length), 15]
  const header = ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']
  assert.equal(
    r.stdout,
    [
      '',
      row(w, header),
      row(w, ['live', 'cg-live', 0, 5, 7, 2, member.memberId, '/127.0.0.1', 'live-app']),
      row(w, ['live', 'cg-live', 1, 3, 3, 0, member.memberId, '/127.0.0.1', 'live-app']),
      '',
    ].join('\n'),
  )

  const verbose = await cg(['--describe', '--group', 'live', '--offsets', '--verbose'])
  assert.equal(verbose.code, 0, verbose.stderr)
  assert.match(verbose.stdout, /^GROUP +TOPIC +PARTITION +LEADER-EPOCH +CURRENT-OFFSET +LOG-END-OFFSET +LAG +CONSUMER-ID +HOST +CLIENT-ID$/m)

  const members = await cg(['--describe', '--group', 'live', '--members'])
  assert.equal(members.code, 0, members.stderr)
  const mw = [15, Math.max(15, member.memberId.length), 15, 15, 15]
  assert.equal(members.stdout, ['', row(mw, ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS']), row(mw, ['live', member.memberId, '/127.0.0.1', 'live-app', 2]), ''].join('\n'))
  const mv = await cg(['--describe', '--group', 'live', '--members', '--verbose'])
  assert.match(mv.stdout, /CURRENT-ASSIGNMENT/)
  assert.match(mv.stdout, / cg-live:0,1 /)

  const state = await cg(['--describe', '--group', 'live', '--state'])
  assert.equal(state.code, 0, state.stderr)
  const coordinator = `${broker.host}:${broker.port}  (${broker.nodeId})`
  const sw = [15, Math.max(25, coordinator.length), 20, 20]
  assert.equal(
    state.stdout,
    ['', row(sw, ['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS']), row(sw, ['live', coordinator, description!.protocol, 'Stable', 1]), ''].join('\n'),
  )
})

test('reset-offsets is refused while the group has active members, and commits nothing', async () => {
  assert.ok(live, 'runs after the describe test')
  const before = await committed('live')
  const r = await cg(['--reset-offsets', '--group', 'live', '--topic', 'cg-live', '--to-earliest', '--execute'])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /^samsa consumer-groups: Assignments can only be reset if the group 'live' is inactive, but the current state is Stable\./m)
  assert.deepEqual(await committed('live'), before)
})

test('delete of a group with active members fails with NON_EMPTY_GROUP and keeps the group', async () => {
  const r = await cg(['--delete', '--group', 'live'])
  assert.equal(r.code, 1)
  assert.match(r.stdout, /^Error: Deletion of some consumer groups failed:$/m)
  assert.match(r.stdout, /^\* Group 'live' could not be deleted due to: NON_EMPTY_GROUP/m)
  assert.match(r.stderr, /group 'live' has active members \(NON_EMPTY_GROUP\); stop its consumers/)
  assert.equal((await admin.describeGroups(['live']))[0]!.state, 'Stable')
})

test('delete-offsets of a topic the live group consumes fails on each partition with GROUP_SUBSCRIBED_TO_TOPIC', async () => {
  const before = await committed('live')
  const r = await cg(['--delete-offsets', '--group', 'live', '--topic', 'cg-live'])
  assert.equal(r.code, 1)
  assert.match(r.stdout, /^Error: Encountered some partition-level error, see the follow-up details\.$/m)
  assert.match(r.stdout, /^cg-live +0 +Error: GROUP_SUBSCRIBED_TO_TOPIC/m)
  assert.match(r.stdout, /^cg-live +1 +Error: GROUP_SUBSCRIBED_TO_TOPIC/m)
  assert.match(r.stderr, /^samsa consumer-groups: could not delete all offsets of group live: GROUP_SUBSCRIBED_TO_TOPIC .*stop its consumers/)
  assert.deepEqual(await committed('live'), before)
})

test('list: group ids, --state adds the state column, --state <list> filters, bad states are a usage error', async () => {
  await admin.alterGroupOffsets('list-empty', [{ topic: 'cg-live', partition: 0, offset: 1 }])
  const plain = await cg(['--list'])
  assert.equal(plain.code, 0, plain.stderr)
  assert.deepEqual(plain.stdout.split('\n').filter(Boolean).sort(), ['list-empty', 'live'])

  const all = await cg(['--list', '--state'])
  assert.equal(all.code, 0, all.stderr)
  const w = [25]
  assert.equal(all.stdout, [row(w, ['GROUP', 'STATE']), row(w, ['list-empty', 'Empty']), row(w, ['live', 'Stable']), ''].join('\n'))

  const stable = await cg(['--list', '--state', 'stable'])
  assert.equal(stable.stdout, [row(w, ['GROUP', 'STATE']), row(w, ['live', 'Stable']), ''].join('\n'))
  const both = await cg(['--list', '--state', 'Empty,STABLE'])
  assert.equal(both.stdout.split('\n').filter(Boolean).length, 3)

  const bad = await cg(['--list', '--state', 'sleeping'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /Invalid state list 'sleeping'\. Valid states are: .*Stable/)
})

test("an empty group's lag is still shown after its consumer closed, with Kafka's no-active-members line", async () => {
  assert.ok(live, 'runs after the describe test')
  await live.consumer.close()
  await waitFor('group live empty', async () => ((await admin.describeGroups(['live']))[0]!.state === 'Empty' ? true : undefined))
  const r = await cg(['--describe', '--group', 'live'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, "\nConsumer group 'live' has no active members.\n")
  const w = [15, 15, 10, 15, 15, 15, 15, 15]
  assert.equal(
    r.stdout,
    [
      '',
      row(w, ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']),
      row(w, ['live', 'cg-live', 0, 5, 7, 2, '-', '-', '-']),
      row(w, ['live', 'cg-live', 1, 3, 3, 0, '-', '-', '-']),
      '',
    ].join('\n'),
  )
  const members = await cg(['--describe', '--group', 'live', '--members'])
  assert.equal(members.code, 0, members.stderr)
  assert.match(members.stderr, /has no active members/)
  assert.equal(members.stdout, '\n' + row([15, 15, 15, 15, 15], ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS']) + '\n')
  const state = await cg(['--describe', '--group', 'live', '--state'])
  assert.match(state.stdout, /^live +\S+:\d+ {2}\(\d+\) +- +Empty +0$/m)
})

test('reset-offsets: dry run (the default, with a warning) changes nothing; --execute commits each scenario', async () => {
  await admin.createTopics([{ topic: 'cg-reset', numPartitions: 2 }])
  const t0 = Date.UTC(2024, 0, 1, 12, 0, 0)
  await produce('cg-reset', 0, 10, t0) // timestamps t0, t0+1s, ... t0+9s
  await produce('cg-reset', 1, 4, t0 - 60_000)
  await admin.alterGroupOffsets('resetme', [
    { topic: 'cg-reset', partition: 0, offset: 5 },
    { topic: 'cg-reset', partition: 1, offset: 2 },
  ])
  const reset = (...args: string[]) => cg(['--reset-offsets', '--group', 'resetme', ...args])
  const table = (rows: Array<[number, number]>) =>
    ['', row([15, 15, 10], ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']), ...rows.map(([p, o]) => row([15, 15, 10], ['resetme', 'cg-reset', p, o])), ''].join('\n')

  const dry = await reset('--topic', 'cg-reset', '--to-earliest')
  assert.equal(dry.code, 0, dry.stderr)
  assert.match(dry.stderr, /^WARN: No action will be performed as the --execute option is missing/)
  assert.equal(dry.stdout, table([[0, 0], [1, 0]]))
  assert.deepEqual(await committed('resetme'), [['cg-reset', 0, 5n], ['cg-reset', 1, 2n]])
  const explicit = await reset('--topic', 'cg-reset', '--to-earliest', '--dry-run')
  assert.equal(explicit.stderr, '', 'no warning with --dry-run')
  assert.deepEqual(await committed('resetme'), [['cg-reset', 0, 5n], ['cg-reset', 1, 2n]])

  const earliest = await reset('--topic', 'cg-reset', '--to-earliest', '--execute')
  assert.equal(earliest.code, 0, earliest.stderr)
  assert.equal(earliest.stdout, table([[0, 0], [1, 0]]))
  assert.deepEqual(await committed('resetme'), [['cg-reset', 0, 0n], ['cg-reset', 1, 0n]])

  assert.equal((await reset('--all-topics', '--to-latest', '--execute')).code, 0)
  assert.deepEqual(await committed('resetme'), [['cg-reset', 0, 10n], ['cg-reset', 1, 4n]])

  const one = await reset('--topic', 'cg-reset:0', '--to-offset', '7', '--execute')
  assert.equal(one.stdout, table([[0, 7]]))
  assert.deepEqual(await committed('resetme'), [['cg-reset', 0, 7n], ['cg-reset', 1, 4n]])

  const high = await reset('--topic', 'cg-reset', '--to-offset', '100', '--dry-run')
  assert.equal(high.stdout, table([[0, 10], [1, 4]]))
  assert.match(high.stderr, /New offset \(100\) is higher than latest offset for topic partition cg-reset-0\. Value will be set to 10\./)

  const shift = await reset('--topic', 'cg-reset', '--shift-by', '-5', '--execute')
  assert.equal(shift.code, 0, shift.stderr)
  assert.deepEqual(await committed('resetme'), [['cg-reset', 0, 2n], ['cg-reset', 1, 0n]])
  assert.match(shift.stderr, /New offset \(-1\) is lower than earliest offset for topic partition cg-reset-1\. Value will be set to 0\./)

  // t0+3s (record 3 of partition 0) in UTC and as the same instant at +02:00; partition 1 has
  // nothing that recent and falls back to its end.
  for (const at of ['2024-01-01T12:00:03.000', '2024-01-01T14:00:03.000+02:00']) {
    const dt = await reset('--topic', 'cg-reset', '--to-datetime', at, '--dry-run')
    assert.equal(dt.code, 0, dt.stderr)
    assert.equal(dt.stdout, table([[0, 3], [1, 4]]))
    assert.match(dt.stderr, /Warn: Partition 1 from topic cg-reset is empty\. Falling back to latest known offset\./)
  }
  const dtx = await reset('--topic', 'cg-reset', '--to-datetime', '2024-01-01T12:00:03.500Z', '--execute')
  assert.equal(dtx.code, 0, dtx.stderr)
  assert.deepEqual(await committed('resetme'), [['cg-reset', 0, 4n], ['cg-reset', 1, 4n]])

  // The records are from 2024: none in the last day, so each partition falls back to its end.
  const recent = await reset('--topic', 'cg-reset', '--by-duration', 'P1D', '--dry-run')
  assert.equal(recent.stdout, table([[0, 10], [1, 4]]))
  const years = await reset('--topic', 'cg-reset', '--by-duration', `P${Math.ceil((Date.now() - t0) / 86_400_000) + 1}D`, '--dry-run')
  assert.equal(years.stdout, table([[0, 0], [1, 0]]))

  const current = await reset('--all-topics', '--to-current', '--dry-run')
  assert.equal(current.stdout, table([[0, 4], [1, 4]]))
})

test('reset-offsets --export writes the CSV that --from-file reads back', async () => {
  await admin.alterGroupOffsets('exported', [
    { topic: 'cg-reset', partition: 0, offset: 1 },
    { topic: 'cg-reset', partition: 1, offset: 1 },
  ])
  const exp = await cg(['--reset-offsets', '--group', 'exported', '--topic', 'cg-reset', '--to-offset', '3', '--export', '--dry-run'])
  assert.equal(exp.code, 0, exp.stderr)
  assert.equal(exp.stdout, 'cg-reset,0,3\ncg-reset,1,3\n\n')
  const file = join(dir, 'plan.csv')
  writeFileSync(file, exp.stdout)
  const imp = await cg(['--reset-offsets', '--group', 'exported', '--from-file', file, '--execute'])
  assert.equal(imp.code, 0, imp.stderr)
  assert.deepEqual(await committed('exported'), [['cg-reset', 0, 3n], ['cg-reset', 1, 3n]])

  // With the group column, for more than one group.
  const multi = join(dir, 'multi.csv')
  writeFileSync(multi, 'exported,cg-reset,0,2\nresetme,cg-reset,1,1\n')
  const both = await cg(['--reset-offsets', '--group', 'exported', '--group', 'resetme', '--from-file', multi, '--execute'])
  assert.equal(both.code, 0, both.stderr)
  assert.match(both.stdout, /^exported +cg-reset +0 +2$/m)
  assert.match(both.stdout, /^resetme +cg-reset +1 +1$/m)
  assert.deepEqual((await committed('exported'))[0], ['cg-reset', 0, 2n])
  assert.deepEqual((await committed('resetme'))[1], ['cg-reset', 1, 1n])
  assert.match(readFileSync(multi, 'utf8'), /exported/)

  const bad = join(dir, 'bad.csv')
  writeFileSync(bad, 'cg-reset,zero,3\n')
  const r = await cg(['--reset-offsets', '--group', 'exported', '--from-file', bad, '--execute'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /--from-file: line 1 of .*bad\.csv is not/)
})

test('reset-offsets names partitions that do not exist and a shift without a committed offset', async () => {
  const missing = await cg(['--reset-offsets', '--group', 'nobody', '--topic', 'cg-reset:0,9', '--to-earliest', '--execute'])
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /The partitions "cg-reset-9" do not exist/)
  const noTopic = await cg(['--reset-offsets', '--group', 'nobody', '--topic', 'cg-nope', '--to-earliest'])
  assert.equal(noTopic.code, 1)
  assert.match(noTopic.stderr, /UNKNOWN_TOPIC_OR_PARTITION/)
  const shift = await cg(['--reset-offsets', '--group', 'nobody', '--topic', 'cg-reset', '--shift-by', '1'])
  assert.equal(shift.code, 1)
  assert.match(shift.stderr, /Cannot shift offset for partition cg-reset-0 since there is no current committed offset/)
  assert.deepEqual(await committed('nobody'), [])
})

test('delete-offsets removes one topic of an empty group; delete removes the group', async () => {
  await admin.createTopics([{ topic: 'cg-other', numPartitions: 1 }])
  await admin.alterGroupOffsets('doomed', [
    { topic: 'cg-reset', partition: 0, offset: 1 },
    { topic: 'cg-other', partition: 0, offset: 0 },
  ])
  const r = await cg(['--delete-offsets', '--group', 'doomed', '--topic', 'cg-reset'])
  assert.equal(r.code, 0, r.stderr)
  const w = [15, 10]
  assert.equal(
    r.stdout,
    ['Request succeeded for deleting offsets from group doomed.', '', row(w, ['TOPIC', 'PARTITION', 'STATUS']), row(w, ['cg-reset', 0, 'Successful']), row(w, ['cg-reset', 1, 'Successful']), ''].join('\n'),
  )
  assert.deepEqual(await committed('doomed'), [['cg-other', 0, 0n]])

  const unknown = await cg(['--delete-offsets', '--group', 'doomed', '--topic', 'cg-nope'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stdout, /^cg-nope +- +Error: UNKNOWN_TOPIC_OR_PARTITION/m)

  const del = await cg(['--delete', '--group', 'doomed'])
  assert.equal(del.code, 0, del.stderr)
  assert.equal(del.stdout, "Deletion of requested consumer groups ('doomed') was successful.\n")
  assert.deepEqual(await committed('doomed'), [])

  const gone = await cg(['--describe', '--group', 'doomed'])
  assert.equal(gone.code, 1)
  assert.match(gone.stderr, /^samsa consumer-groups: Consumer group 'doomed' does not exist\./m)
  const again = await cg(['--delete', '--group', 'doomed'])
  assert.equal(again.code, 1)
  assert.match(again.stdout, /\* Group 'doomed' could not be deleted due to: GROUP_ID_NOT_FOUND/)
})

test('describe --all-groups shows every group, sorted', async () => {
  const r = await cg(['--describe', '--all-groups'])
  assert.equal(r.code, 0, r.stderr)
  const groups = [...r.stdout.matchAll(/^GROUP +TOPIC[^\n]*\n(\S+)/gm)].map((m) => m[1])
  assert.deepEqual(groups, ['exported', 'list-empty', 'live', 'resetme'])
})

/** Parses and runs the command in this process; resolves with the usage error it ends with. */
async function usageError(args: string[]): Promise<string> {
  const cmd = consumerGroupsCommand().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} })
  try {
    await cmd.parseAsync(['--bootstrap-server', '127.0.0.1:9', ...args], { from: 'user' })
  } catch (e) {
    if (e instanceof CommanderError) return e.message
    assert.ok(e instanceof CliError && e.exitCode === 2, `${args.join(' ')}: ${String(e)}`)
    return e.message
  }
  assert.fail(`${args.join(' ')} succeeded`)
}

test('usage errors are found before connecting, naming the flag', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets/],
    [['--list', '--describe'], /exactly one action/],
    [['--describe'], /--describe takes one of these options: --all-groups, --group/],
    [['--describe', '--group', 'g', '--members', '--state'], /at most one of these options/],
    [['--describe', '--group', 'g', '--state', 'stable'], /does not take a value for --state/],
    [['--list', '--group', 'g'], /--group is only available with/],
    [['--list', '--type', 'share'], /Invalid types list 'share'/],
    [['--describe', '--all-groups', '--group', 'g'], /--group can't be used with option --all-groups/],
    [['--delete', '--group', 'g', '--topic', 't'], /topic-specific offset deletion/],
    [['--delete-offsets', '--group', 'g'], /--delete-offsets takes the following options: --group, --topic/],
    [['--reset-offsets', '--group', 'g', '--topic', 't'], /requires one of the following scenarios/],
    [['--reset-offsets', '--group', 'g', '--to-earliest'], /One of the reset scopes should be defined/],
    [['--reset-offsets', '--group', 'g', '--all-topics', '--topic', 't', '--to-earliest'], /--all-topics can't be used with option --topic/],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--to-latest'], /can't be used with option/],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--dry-run', '--execute'], /only accepts one of --execute and --dry-run/],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--to-datetime', '2024-13-01T00:00:00.000'], /--to-datetime: cannot read/],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--to-datetime', '2024-02-30T00:00:00.000'], /--to-datetime: cannot read/],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--by-duration', '1h'], /--by-duration: cannot read '1h'/],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--by-duration', 'PT'], /--by-duration: cannot read 'PT'/],
    [['--reset-offsets', '--group', 'g', '--topic', 't:x', '--to-earliest'], /Invalid partition 'x'/],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--to-offset', 'ten'], /--to-offset must be an integer from 0 to 9223372036854775807, got 'ten'/],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--to-offset', '-1'], /--to-offset must be an integer from 0 to 9223372036854775807, got '-1'/],
    [['--list', '--to-earliest'], /--to-earliest is only available with --reset-offsets/],
    [['--list', '--nope'], /unknown option '--nope'/],
  ]
  for (const [args, want] of cases) assert.match(await usageError(args), want, args.join(' '))
})

test('a usage error exits 2 with one line on stderr, naming the tool', async () => {
  for (const args of [['--describe'], ['--reset-offsets', '--group', 'g', '--topic', 't', '--by-duration', '1h'], []]) {
    const r = await runCli(['consumer-groups', '--bootstrap-server', '127.0.0.1:9', ...args], { timeoutMs: 30_000 })
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, /^samsa consumer-groups: /)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  }
  const missing = await runCli(['consumer-groups', '--list'], { timeoutMs: 30_000 })
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /--bootstrap-server/)
})

test('an unreachable bootstrap server fails fast with one line naming it', async () => {
  const r = await runCli(['consumer-groups', '--bootstrap-server', '127.0.0.1:9', '--list'], { env: { SAMSA_CLI_CONNECT_TIMEOUT_MS: '2000' }, timeoutMs: 30_000 })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /^samsa consumer-groups: .*127\.0\.0\.1:9.*check --bootstrap-server/)
  assert.equal(r.stderr.trim().split('\n').length, 1)
  assert.equal(r.stdout, '')
})

test('--help lists every flag', async () => {
  const r = await runCli(['consumer-groups', '--help'])
  assert.equal(r.code, 0)
  for (const f of ['--bootstrap-server', '--list', '--describe', '--delete', '--delete-offsets', '--reset-offsets', '--group', '--all-groups', '--topic', '--all-topics', '--members', '--offsets', '--state', '--type', '--verbose', '--to-earliest', '--to-latest', '--to-current', '--to-offset', '--shift-by', '--to-datetime', '--by-duration', '--from-file', '--dry-run', '--execute', '--export', '--timeout', '--command-config']) {
    assert.ok(r.stdout.includes(f), f)
  }
})
