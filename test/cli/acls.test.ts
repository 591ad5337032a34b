/**
 * `samsa acls` as a user runs it, one process per command, against a broker with Samsa's
 * authorizer (User:ANONYMOUS, every plaintext client, is the super user that may manage ACLs):
 * kafka-acls.sh's output, the --producer / --consumer conveniences, --list filters, --remove with
 * --force and with the y/n question on a terminal (through `script`), usage errors. What the
 * tool did is checked in the broker's ACL store, not only in its output. Spawns are few and
 * each checks several things (the suite is CPU-bound); the flag checks that need no broker run
 * in-process on the tool's own functions.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startBroker, type StartedBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { bindingKey, type AclBinding } from '../../src/security/authorizer/acl.js'
import { CliError } from '../../src/cli/common.js'
import { checkFlags, planAdd, resourceEntries, resourceFilters } from '../../src/cli/acls.js'
import { runCli, SAMSA_CLI } from '../helpers/broker-process.js'
import { hasCommand, runTool } from '../helpers/tools.js'

let b: StartedBroker

before(async () => {
  b = await startBroker({ logger: createLogger({ level: 'error' }), config: { 'authorizer.class.name': 'samsa', 'super.users': 'User:ANONYMOUS' } })
})

after(async () => {
  await b?.close()
})

const acls = (...args: string[]) => runCli(['acls', '--bootstrap-server', b.bootstrap, ...args], { timeoutMs: 30_000 })

async function ok(...args: string[]): Promise<string> {
  const r = await acls(...args)
  assert.equal(r.code, 0, `samsa acls ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r.stdout
}

/** The store's ACLs as Kafka prints bindings, sorted. */
function stored(): string[] {
  return b.broker.metadata
    .acls()
    .map((x) => `${x.pattern.resourceType}:${x.pattern.patternType}:${x.pattern.name} ${x.entry.permission} ${x.entry.principal}@${x.entry.host} ${x.entry.operation}`)
    .sort()
}

async function clear(): Promise<void> {
  await b.broker.metadata.deleteAcls(b.broker.metadata.acls())
}

/** An ALLOW from any host, seeded straight into the store (what --add was already shown to make). */
const allow = (resourceType: AclBinding['pattern']['resourceType'], name: string, principal: string, operation: AclBinding['entry']['operation']): AclBinding => ({
  pattern: { resourceType, name, patternType: 'LITERAL' },
  entry: { principal, host: '*', operation, permission: 'ALLOW' },
})

const pattern = (type: string, name: string, p = 'LITERAL') => `ResourcePattern(resourceType=${type}, name=${name}, patternType=${p})`
const entry = (principal: string, op: string, permission = 'ALLOW', host = '*') => `\t(principal=${principal}, host=${host}, operation=${op}, permissionType=${permission})`

test('--add --producer / --consumer: Kafka’s ACLs and output; an existing ACL is named and not sent again', async () => {
  await clear()
  const out = await ok('--add', '--allow-principal', 'User:alice', '--producer', '--topic', 'orders', '--transactional-id', 'tx-1', '--idempotent', '--consumer', '--group', 'g1')
  assert.equal(
    out,
    `Adding ACLs for resource \`${pattern('TOPIC', 'orders')}\`: \n ${[entry('User:alice', 'READ'), entry('User:alice', 'WRITE'), entry('User:alice', 'CREATE'), entry('User:alice', 'DESCRIBE')].join('\n')}\n\n` +
      `Adding ACLs for resource \`${pattern('CLUSTER', 'kafka-cluster')}\`: \n ${entry('User:alice', 'IDEMPOTENT_WRITE')}\n\n` +
      `Adding ACLs for resource \`${pattern('GROUP', 'g1')}\`: \n ${entry('User:alice', 'READ')}\n\n` +
      `Adding ACLs for resource \`${pattern('TRANSACTIONAL_ID', 'tx-1')}\`: \n ${[entry('User:alice', 'WRITE'), entry('User:alice', 'DESCRIBE')].join('\n')}\n\n`,
  )
  assert.deepEqual(stored(), [
    'CLUSTER:LITERAL:kafka-cluster ALLOW User:alice@* IDEMPOTENT_WRITE',
    'GROUP:LITERAL:g1 ALLOW User:alice@* READ',
    'TOPIC:LITERAL:orders ALLOW User:alice@* CREATE',
    'TOPIC:LITERAL:orders ALLOW User:alice@* DESCRIBE',
    'TOPIC:LITERAL:orders ALLOW User:alice@* READ',
    'TOPIC:LITERAL:orders ALLOW User:alice@* WRITE',
    'TRANSACTIONAL_ID:LITERAL:tx-1 ALLOW User:alice@* DESCRIBE',
    'TRANSACTIONAL_ID:LITERAL:tx-1 ALLOW User:alice@* WRITE',
  ])

  // Prefixed patterns, deny entries with their own hosts, several principals and operations; one ACL exists already.
  const again = await ok('--add', '--allow-principal', 'User:alice', '--allow-principal', 'User:bob', '--operation', 'Write', '--operation', 'describe_configs', '--deny-principal', 'User:mallory', '--deny-host', '10.0.0.9', '--topic', 'orders')
  assert.equal(
    again,
    `Acl (pattern=${pattern('TOPIC', 'orders')}, entry=${entry('User:alice', 'WRITE').slice(1)}) already exists.\n` +
      `Adding ACLs for resource \`${pattern('TOPIC', 'orders')}\`: \n ${[entry('User:alice', 'DESCRIBE_CONFIGS'), entry('User:bob', 'WRITE'), entry('User:bob', 'DESCRIBE_CONFIGS'), entry('User:mallory', 'WRITE', 'DENY', '10.0.0.9'), entry('User:mallory', 'DESCRIBE_CONFIGS', 'DENY', '10.0.0.9')].join('\n')}\n\n`,
  )
  assert.equal(stored().length, 13)
  assert.equal(await ok('--add', '--allow-principal', 'User:*', '--operation', 'Read', '--topic', 'team-', '--resource-pattern-type', 'prefixed', '--group', '*'), `Adding ACLs for resource \`${pattern('TOPIC', 'team-', 'PREFIXED')}\`: \n ${entry('User:*', 'READ')}\n\n` + `Adding ACLs for resource \`${pattern('GROUP', '*', 'PREFIXED')}\`: \n ${entry('User:*', 'READ')}\n\n`)
  assert.ok(stored().includes('TOPIC:PREFIXED:team- ALLOW User:*@* READ'))
})

test('--list: every ACL by resource; --topic lists LITERAL by default, match the ACLs that apply; --principal filters', async () => {
  await clear()
  const seed: AclBinding[] = [
    { pattern: { resourceType: 'TOPIC', name: 'team-a.events', patternType: 'LITERAL' }, entry: { principal: 'User:bob', host: '*', operation: 'READ', permission: 'ALLOW' } },
    { pattern: { resourceType: 'TOPIC', name: 'team-', patternType: 'PREFIXED' }, entry: { principal: 'User:alice', host: '*', operation: 'WRITE', permission: 'ALLOW' } },
    { pattern: { resourceType: 'TOPIC', name: '*', patternType: 'LITERAL' }, entry: { principal: 'User:bob', host: '10.1.1.1', operation: 'DESCRIBE', permission: 'DENY' } },
    { pattern: { resourceType: 'GROUP', name: 'g1', patternType: 'LITERAL' }, entry: { principal: 'User:bob', host: '*', operation: 'READ', permission: 'ALLOW' } },
  ]
  await b.broker.metadata.createAcls(seed)
  const all = `Current ACLs for resource \`${pattern('GROUP', 'g1')}\`:\n${entry('User:bob', 'READ')}\n\n` + `Current ACLs for resource \`${pattern('TOPIC', '*')}\`:\n${entry('User:bob', 'DESCRIBE', 'DENY', '10.1.1.1')}\n\n` + `Current ACLs for resource \`${pattern('TOPIC', 'team-a.events')}\`:\n${entry('User:bob', 'READ')}\n\n` + `Current ACLs for resource \`${pattern('TOPIC', 'team-', 'PREFIXED')}\`:\n${entry('User:alice', 'WRITE')}\n\n`
  assert.equal(await ok('--list'), all)
  assert.equal(await ok('--list', '--topic', 'team-a.events'), `Current ACLs for resource \`${pattern('TOPIC', 'team-a.events')}\`:\n${entry('User:bob', 'READ')}\n\n`)
  assert.equal(
    await ok('--list', '--topic', 'team-a.events', '--resource-pattern-type', 'match', '--principal', 'User:bob'),
    `ACLs for principal \`User:bob\`\n` + `Current ACLs for resource \`${pattern('TOPIC', '*')}\`:\n${entry('User:bob', 'DESCRIBE', 'DENY', '10.1.1.1')}\n\n` + `Current ACLs for resource \`${pattern('TOPIC', 'team-a.events')}\`:\n${entry('User:bob', 'READ')}\n\n`,
  )
})

test('--remove --force: one entry, or every ACL of a resource; without --force and a terminal it refuses (exit 2) and removes nothing', async () => {
  await clear()
  await b.broker.metadata.createAcls(['orders', 'payments'].flatMap((name) => (['WRITE', 'DESCRIBE', 'CREATE'] as const).map((operation) => allow('TOPIC', name, 'User:alice', operation))))
  const refused = await acls('--remove', '--topic', 'orders')
  assert.equal(refused.code, 2, refused.stderr)
  assert.equal(refused.stderr, 'samsa acls: --remove asks to confirm each removal (y/n), but stdin is not a terminal; add --force to remove without asking\n')
  assert.equal(stored().length, 6)
  assert.equal(await ok('--remove', '--force', '--topic', 'orders', '--allow-principal', 'User:alice', '--operation', 'Create'), '')
  assert.deepEqual(stored().filter((s) => s.includes('orders')), ['TOPIC:LITERAL:orders ALLOW User:alice@* DESCRIBE', 'TOPIC:LITERAL:orders ALLOW User:alice@* WRITE'])
  assert.equal(await ok('--remove', '--force', '--topic', 'payments'), '')
  assert.deepEqual(stored().filter((s) => s.includes('payments')), [])
})

test('--remove on a terminal asks y/n per resource and removes only what was confirmed', async (t) => {
  if (!hasCommand('script', ['-V'])) return t.skip('util-linux script (a pseudo-terminal) is not installed')
  await clear()
  await b.broker.metadata.createAcls([allow('TOPIC', 'kept', 'User:bob', 'READ'), allow('TOPIC', 'gone', 'User:bob', 'READ')])
  const cmd = [process.execPath, SAMSA_CLI, 'acls', '--bootstrap-server', b.bootstrap, '--remove', '--topic', 'kept', '--topic', 'gone'].map((a) => `'${a}'`).join(' ')
  const r = await runTool('script', ['-qec', cmd, '/dev/null'], { input: 'n\ny\n', timeoutMs: 30_000 })
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, new RegExp(`Are you sure you want to delete all ACLs for resource filter \`${pattern('TOPIC', 'kept').replace(/[()]/g, '\\$&')}\`\\? \\(y/n\\)`))
  assert.deepEqual(stored(), ['TOPIC:LITERAL:kept ALLOW User:bob@* READ'])
})

test('usage errors exit 2 with one line, before connecting; a broker without an authorizer: SECURITY_DISABLED with the fix', async (t) => {
  const r = await runCli(['acls', '--bootstrap-server', '127.0.0.1:1', '--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--cluster'])
  assert.equal(r.code, 2, r.stderr)
  assert.equal(r.stderr, 'samsa acls: ResourceType CLUSTER only supports operations Create, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, Alter, Describe, All\n')

  const plain = await startBroker({ logger: createLogger({ level: 'error' }) })
  t.after(() => plain.close())
  const d = await runCli(['acls', '--bootstrap-server', plain.bootstrap, '--list'], { timeoutMs: 30_000 })
  assert.equal(d.code, 1, d.stderr)
  assert.match(d.stderr, /^samsa acls: ACLs: SECURITY_DISABLED \(54\): No Authorizer is configured .*; set authorizer\.class\.name=org\.apache\.kafka\.metadata\.authorizer\.StandardAuthorizer on the broker \(docs\/security\.md\)\n$/)
})

test('a failed add leaves no ACL (exit 1, one line); a client that is not allowed to manage ACLs is told what to do', async (t) => {
  await clear()
  b.broker.faults.failNext('metadata.write')
  const r = await acls('--add', '--allow-principal', 'User:alice', '--producer', '--topic', 'orders', '--topic', 'payments')
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /^samsa acls: createAcls: 6 of 6 ACLs failed: KAFKA_STORAGE_ERROR \(56\): cannot write \S+: EIO: injected fault at metadata\.write; nothing was changed: [^\n]* retry\n$/)
  assert.match(r.stdout, /^Adding ACLs for resource `ResourcePattern\(resourceType=TOPIC, name=orders/)
  assert.deepEqual(stored(), [], 'every resource went in the one refused request')

  const locked = await startBroker({ logger: createLogger({ level: 'error' }), config: { 'authorizer.class.name': 'samsa' } })
  t.after(() => locked.close())
  const d = await runCli(['acls', '--bootstrap-server', locked.bootstrap, '--add', '--allow-principal', 'User:alice', '--topic', 't'], { timeoutMs: 30_000 })
  assert.equal(d.code, 1, d.stderr)
  assert.match(d.stderr, /^samsa acls: ACLs: CLUSTER_AUTHORIZATION_FAILED \(31\): .*; managing ACLs needs ALTER \(listing: DESCRIBE\) on the cluster: connect as a super user \(super\.users\) or one granted it\n$/)
})

test('flag checks as Kafka’s AclCommand (in-process)', () => {
  const bad = (f: Parameters<typeof checkFlags>[0], re: RegExp, fn: (f: Parameters<typeof checkFlags>[0]) => unknown = checkFlags) =>
    assert.throws(() => fn(f), (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message), JSON.stringify(f))
  bad({}, /exactly one action: --list, --add, --remove/)
  bad({ add: true, list: true }, /exactly one action/)
  bad({ list: true, producer: true }, /--list cannot be used with --producer/)
  bad({ list: true, allowPrincipal: ['User:a'] }, /--list cannot be used with --allow-principal/)
  bad({ add: true, producer: true, topic: ['t'], operation: ['Read'] }, /--producer cannot be used with --operation/)
  bad({ add: true, consumer: true, topic: ['t'], group: ['g'], denyPrincipal: ['User:x'] }, /--consumer cannot be used with --deny-principal/)
  bad({ add: true, principal: ['User:a'] }, /--principal option is only available if --list/)
  bad({ add: true, producer: true }, /With --producer you must specify a --topic/)
  bad({ add: true, idempotent: true, topic: ['t'] }, /--idempotent option is only available if --producer/)
  bad({ add: true, consumer: true, topic: ['t'] }, /With --consumer you must specify a --topic and a --group/)
  bad({ add: true, consumer: true, topic: ['t'], group: ['g'], cluster: true }, /no --cluster or --transactional-id/)
  assert.equal(checkFlags({ add: true, consumer: true, producer: true, topic: ['t'], group: ['g'], transactionalId: ['x'] }), 'add')

  bad({ add: true, allowPrincipal: ['User:a'], topic: ['t'], resourcePatternType: 'match' }, /'MATCH' is not valid when adding acls/, planAdd)
  bad({ add: true, topic: ['t'] }, /You must specify one of: --allow-principal, --deny-principal/, planAdd)
  bad({ add: true, allowPrincipal: ['alice'], topic: ['t'] }, /--allow-principal expects a principal in the form principalType:name/, planAdd)
  bad({ add: true, allowPrincipal: ['User:a'], operation: ['Fly'], topic: ['t'] }, /Unknown operation name 'Fly'; valid operations are All, Read, Write/, planAdd)
  bad({ add: true, allowPrincipal: ['User:a'], topic: ['t'], resourcePatternType: 'glob' }, /Unknown resource-pattern-type: glob/, planAdd)
  bad({ add: true, allowPrincipal: ['User:a'] }, /at least one resource/, planAdd)
  bad({ add: true, allowPrincipal: ['User:a'], topic: [' '] }, /A topic name must not be empty; give a name, or '\*' for every one/, planAdd)
  bad({ add: true, allowPrincipal: ['User:a'], allowHost: [''], topic: ['t'] }, /--allow-host must not be empty/, planAdd)
  bad({ add: true, allowPrincipal: ['User:a'], operation: ['Write'], group: ['g'] }, /ResourceType GROUP only supports operations Read, Describe, Delete, DescribeConfigs, AlterConfigs, All/, planAdd)

  // Kafka's defaults: host *, operation All, LITERAL; the cluster is a resource of LITERAL filters only.
  const [only] = planAdd({ add: true, allowPrincipal: ['User:a'], topic: [' t '] })
  assert.deepEqual(only, { resource: { resourceType: 'TOPIC', name: 't', patternType: 'LITERAL' }, entries: [{ principal: 'User:a', host: '*', operation: 'ALL', permission: 'ALLOW' }] })
  assert.deepEqual(resourceFilters({ list: true, cluster: true, resourcePatternType: 'any' }, false), [])
  assert.deepEqual(
    resourceEntries({ remove: true, cluster: true, topic: ['t'] }).map((p) => [p.resource.resourceType, p.entries.length]),
    [
      ['TOPIC', 0],
      ['CLUSTER', 0],
    ],
  )
  assert.equal(new Set(planAdd({ add: true, allowPrincipal: ['User:a', 'User:a'], operation: ['read', 'READ'], topic: ['t'] })[0]!.entries.map((e) => bindingKey({ pattern: { resourceType: 'TOPIC', name: 't', patternType: 'LITERAL' }, entry: e }))).size, 1)
})
