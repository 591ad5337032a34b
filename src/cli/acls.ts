/**
 * `samsa acls`, kafka-acls.sh: add, remove and list ACLs with Kafka 4's flags, checks and output
 * (org.apache.kafka.tools.AclCommand).
 *
 * - Resources: --topic, --group, --transactional-id, --delegation-token, --user-principal
 *   (each repeatable, `*` for all of a type) and --cluster, with --resource-pattern-type
 *   (literal|prefixed|any|match; LITERAL unless given, for every action, as Kafka's tool: so
 *   `--list --topic t` lists the LITERAL ACLs of t, and `--resource-pattern-type any` or `match`
 *   widens it). As in Kafka, --cluster is a resource only with the LITERAL pattern type.
 * - Entries: --allow-principal / --deny-principal (Type:name) x --operation (Kafka's names:
 *   All, Read, Write, ...; default All) x --allow-host / --deny-host (default `*`).
 *   --producer (WRITE, DESCRIBE, CREATE on the topics; WRITE, DESCRIBE on --transactional-id;
 *   IDEMPOTENT_WRITE on the cluster with --idempotent) and --consumer (READ, DESCRIBE on the
 *   topics, READ on the groups) instead of --operation.
 * - --add skips (and names) ACLs that exist; --remove asks y/n per resource unless --force (on
 *   a terminal only: Kafka's tool fails without one, this one says to add --force); --list
 *   prints each resource's ACLs, or with --principal only that principal's.
 *
 * Output as Kafka prints it: "Adding ACLs for resource `ResourcePattern(resourceType=TOPIC,
 * name=t, patternType=LITERAL)`: " then one tab-indented `(principal=User:alice, host=*,
 * operation=WRITE, permissionType=ALLOW)` per line; --list "Current ACLs for resource `...`:".
 * Kafka's order is a hash set's; here resources come in the order of the flags (--list: sorted)
 * and entries sorted, so output is stable.
 *
 * Unlike Kafka's tool, which sends one CreateAcls per resource (a failure part-way keeps the
 * earlier resources' ACLs), --add sends every resource's ACLs in one request and --remove every
 * confirmed filter in one DeleteAcls, so a failure leaves nothing half done; a failure that is the
 * same for every ACL is said once.
 *
 * Left out: --bootstrap-controller (Samsa has no separate controllers).
 */
import { createInterface, type Interface } from 'node:readline'
import { Command } from 'commander'
import type { Admin } from '../client/admin/admin.js'
import { AdminError } from '../client/admin/common.js'
import { KafkaError } from '../client/base/errors.js'
import { CLUSTER_NAME, Operation, type AclBinding, type AclBindingFilter, type AclEntry, type OperationName, type ResourceTypeName } from '../security/authorizer/acl.js'
import { commandConfigOptions } from './command-config.js'
import { bootstrapOption, CliError, collect, exitCodeOf, print, usage, withAdmin } from './common.js'
import { hinted, type Hints } from './error-hints.js'

const HINTS: Hints = {
  SECURITY_DISABLED: 'set authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer on the broker (docs/security.md)',
  CLUSTER_AUTHORIZATION_FAILED: 'managing ACLs needs ALTER (listing: DESCRIBE) on the cluster: connect as a super user (super.users) or one granted it',
}

interface AclsFlags {
  bootstrapServer?: string
  commandConfig?: string
  add?: boolean
  remove?: boolean
  list?: boolean
  topic?: string[]
  group?: string[]
  cluster?: boolean
  transactionalId?: string[]
  delegationToken?: string[]
  userPrincipal?: string[]
  resourcePatternType?: string
  operation?: string[]
  allowPrincipal?: string[]
  denyPrincipal?: string[]
  principal?: string[]
  allowHost?: string[]
  denyHost?: string[]
  producer?: boolean
  consumer?: boolean
  idempotent?: boolean
  force?: boolean
}

type Kind = Exclude<ResourceTypeName, 'UNKNOWN' | 'ANY'>
type Op = Exclude<OperationName, 'UNKNOWN' | 'ANY'>
type FilterPattern = AclBindingFilter['patternType']

/** A resource pattern (LITERAL, PREFIXED) or a pattern filter (also ANY, MATCH), as the tool names one. */
export interface ResourceFilter {
  resourceType: Kind
  name: string
  patternType: Exclude<FilterPattern, 'UNKNOWN'>
}

/** Each resource with the entries to add there or remove from it. */
export type Plan = { resource: ResourceFilter; entries: AclEntry[] }[]

/** Kafka's AclEntry.supportedOperations (ALL is valid everywhere). */
const SUPPORTED: Record<Kind, Op[]> = {
  TOPIC: ['READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  GROUP: ['READ', 'DESCRIBE', 'DELETE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  CLUSTER: ['CREATE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'ALTER', 'DESCRIBE'],
  TRANSACTIONAL_ID: ['DESCRIBE', 'WRITE'],
  DELEGATION_TOKEN: ['DESCRIBE'],
  USER: ['CREATE_TOKENS', 'DESCRIBE_TOKENS'],
}

const OPERATIONS = (Object.keys(Operation) as OperationName[]).filter((o): o is Op => o !== 'UNKNOWN' && o !== 'ANY')

/** Kafka's operation name: IDEMPOTENT_WRITE is IdempotentWrite. */
function pascal(op: Op): string {
  return op
    .split('_')
    .map((w) => w[0] + w.slice(1).toLowerCase())
    .join('')
}

/** --operation as Kafka's SecurityUtils.operation reads it (case-insensitive), also accepting the enum spelling (IDEMPOTENT_WRITE). */
export function parseOperation(raw: string): Op {
  const key = raw.trim().replace(/_/g, '').toUpperCase()
  const op = OPERATIONS.find((o) => o.replace(/_/g, '') === key)
  if (!op) throw usage(`Unknown operation name '${raw}'; valid operations are ${OPERATIONS.map(pascal).join(', ')}`)
  return op
}

export function parsePatternType(raw: string): ResourceFilter['patternType'] {
  const v = raw.trim().toUpperCase()
  if (v === 'LITERAL' || v === 'PREFIXED' || v === 'ANY' || v === 'MATCH') return v
  throw usage(`Unknown resource-pattern-type: ${raw}; give literal, prefixed, any or match`)
}

/** A principal as Kafka's SecurityUtils.parseKafkaPrincipal takes it: Type:name. */
export function parsePrincipal(raw: string, flag: string): string {
  const p = raw.trim()
  const at = p.indexOf(':')
  if (at <= 0 || at === p.length - 1) throw usage(`${flag} expects a principal in the form principalType:name (e.g. User:alice, User:* for everyone), got '${raw}'`)
  return p
}

export function describePattern(r: { resourceType: string; name: string | null; patternType: string }): string {
  return `ResourcePattern(resourceType=${r.resourceType}, name=${r.name ?? '<any>'}, patternType=${r.patternType})`
}

export function describeEntry(e: AclEntry): string {
  return `(principal=${e.principal}, host=${e.host}, operation=${e.operation}, permissionType=${e.permission})`
}

const filterKey = (r: ResourceFilter) => `${r.resourceType}\u0000${r.patternType}\u0000${r.name}`
const entryKey = (e: AclEntry) => `${e.principal}\u0000${e.host}\u0000${e.operation}\u0000${e.permission}`

/** Code-point order, the same in every locale. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

function byEntry(a: AclEntry, b: AclEntry): number {
  if (a.permission !== b.permission) return a.permission === 'ALLOW' ? -1 : 1
  return cmp(a.principal, b.principal) || cmp(a.host, b.host) || Operation[a.operation] - Operation[b.operation]
}

/** What the flags ask for: checked as Kafka's AclCommandOptions.checkArgs, before anything is sent. */
export function checkFlags(f: AclsFlags): 'add' | 'remove' | 'list' {
  const actions = (['add', 'remove', 'list'] as const).filter((a) => f[a])
  if (actions.length !== 1) throw usage('Command must include exactly one action: --list, --add, --remove')
  const action = actions[0]!
  const given = (k: keyof AclsFlags) => f[k] !== undefined && f[k] !== false
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
  const exclusive = (used: keyof AclsFlags, others: (keyof AclsFlags)[], why: string) => {
    if (!given(used)) return
    for (const o of others) if (given(o)) throw usage(`${flag(used)} cannot be used with ${flag(o)}; ${why}`)
  }
  exclusive('list', ['producer', 'consumer', 'allowHost', 'allowPrincipal', 'denyHost', 'denyPrincipal'], 'to list one principal’s ACLs use --principal')
  exclusive('producer', ['operation', 'denyPrincipal', 'denyHost'], 'the operations of --producer are fixed (write, describe, create) and allowed, never denied')
  exclusive('consumer', ['operation', 'denyPrincipal', 'denyHost'], 'the operations of --consumer are fixed (read, describe) and allowed, never denied')
  if (given('principal') && !f.list) throw usage('The --principal option is only available if --list is set; to add or remove, use --allow-principal or --deny-principal')
  if (f.producer && !given('topic')) throw usage('With --producer you must specify a --topic')
  if (f.idempotent && !f.producer) throw usage('The --idempotent option is only available if --producer is set')
  if (f.consumer && (!given('topic') || !given('group') || (!f.producer && (f.cluster || given('transactionalId'))))) {
    throw usage('With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified')
  }
  return action
}

/** Kafka's getResourceFilter: the resources the flags name (empty when none, unless `required`). */
export function resourceFilters(f: AclsFlags, required: boolean): ResourceFilter[] {
  const patternType = parsePatternType(f.resourcePatternType ?? 'literal')
  const out = new Map<string, ResourceFilter>()
  const add = (resourceType: Kind, name: string) => {
    if (name === '') throw usage(`A ${resourceType.toLowerCase().replace('_', ' ')} name must not be empty; give a name, or '*' for every one`)
    const r: ResourceFilter = { resourceType, name, patternType }
    out.set(filterKey(r), r)
  }
  for (const t of f.topic ?? []) add('TOPIC', t.trim())
  // As Kafka: the cluster has one literal name, so only a LITERAL filter names it.
  if (patternType === 'LITERAL' && (f.cluster || f.idempotent)) add('CLUSTER', CLUSTER_NAME)
  for (const g of f.group ?? []) add('GROUP', g.trim())
  for (const id of f.transactionalId ?? []) add('TRANSACTIONAL_ID', id)
  for (const t of f.delegationToken ?? []) add('DELEGATION_TOKEN', t.trim())
  for (const u of f.userPrincipal ?? []) add('USER', u.trim())
  if (out.size === 0 && required) throw usage('You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --transactional-id <id> or --delegation-token <id>')
  return [...out.values()]
}

/** Kafka's getAcl: every allowed principal x operation x allowed host, and the same for deny. */
function entries(f: AclsFlags, ops: Op[]): AclEntry[] {
  const out = new Map<string, AclEntry>()
  const side = (principals: string[] | undefined, hosts: string[] | undefined, permission: 'ALLOW' | 'DENY', flag: string) => {
    if (!principals?.length) return
    const hs = hosts?.length ? hosts.map((h) => h.trim()) : ['*']
    if (hs.includes('')) throw usage(`${permission === 'ALLOW' ? '--allow-host' : '--deny-host'} must not be empty; give an IP address, or '*' for every host`)
    for (const raw of principals) {
      const principal = parsePrincipal(raw, flag)
      for (const operation of ops) for (const host of hs) out.set(entryKey({ principal, host, operation, permission }), { principal, host, operation, permission })
    }
  }
  side(f.allowPrincipal, f.allowHost, 'ALLOW', '--allow-principal')
  side(f.denyPrincipal, f.denyHost, 'DENY', '--deny-principal')
  return [...out.values()].sort(byEntry)
}

/** Kafka's getResourceFilterToAcls: each resource with the entries to add or remove there, operations checked per type. */
export function resourceEntries(f: AclsFlags): Plan {
  const out = new Map<string, { resource: ResourceFilter; entries: AclEntry[] }>()
  const put = (resource: ResourceFilter, es: AclEntry[]) => {
    const cur = out.get(filterKey(resource))
    if (!cur) return out.set(filterKey(resource), { resource, entries: es })
    const merged = new Map([...cur.entries, ...es].map((e) => [entryKey(e), e]))
    cur.entries = [...merged.values()].sort(byEntry)
  }
  const filters = resourceFilters(f, true)
  if (!f.producer && !f.consumer) {
    const es = entries(f, (f.operation ?? ['All']).map(parseOperation))
    for (const r of filters) put(r, es)
  }
  if (f.producer) {
    for (const r of filters) {
      if (r.resourceType === 'TOPIC') put(r, entries(f, ['WRITE', 'DESCRIBE', 'CREATE']))
      if (r.resourceType === 'TRANSACTIONAL_ID') put(r, entries(f, ['WRITE', 'DESCRIBE']))
    }
    if (f.idempotent) {
      const cluster = filters.find((r) => r.resourceType === 'CLUSTER') ?? { resourceType: 'CLUSTER', name: CLUSTER_NAME, patternType: 'LITERAL' }
      put(cluster, entries(f, ['IDEMPOTENT_WRITE']))
    }
  }
  if (f.consumer) {
    for (const r of filters) {
      if (r.resourceType === 'TOPIC') put(r, entries(f, ['READ', 'DESCRIBE']))
      if (r.resourceType === 'GROUP') put(r, entries(f, ['READ']))
    }
  }
  // The order of the flags (topics, cluster, groups, ...), whichever convenience added a resource first.
  const position = (r: ResourceFilter) => {
    const i = filters.findIndex((x) => filterKey(x) === filterKey(r))
    return i < 0 ? filters.length : i
  }
  const plan = [...out.values()].sort((a, b) => position(a.resource) - position(b.resource))
  for (const { resource, entries: es } of plan) {
    const valid = new Set<Op>([...SUPPORTED[resource.resourceType], 'ALL'])
    if (es.some((e) => !valid.has(e.operation))) throw usage(`ResourceType ${resource.resourceType} only supports operations ${[...valid].map(pascal).join(', ')}`)
  }
  return plan
}

const anyEntry = { principal: null, host: null, operation: 'ANY', permission: 'ANY' } as const

function patternFilter(r: ResourceFilter, e?: AclEntry): AclBindingFilter {
  return { resourceType: r.resourceType, name: r.name, patternType: r.patternType, ...(e ?? anyEntry) }
}

/** Kafka's getResourceToAcls: what --add creates; a pattern type that is no pattern, or no principal, is a usage error. */
export function planAdd(f: AclsFlags): Plan {
  const specific = parsePatternType(f.resourcePatternType ?? 'literal')
  if (specific !== 'LITERAL' && specific !== 'PREFIXED') throw usage(`A '--resource-pattern-type' value of '${specific}' is not valid when adding acls; give literal or prefixed`)
  const plan = resourceEntries(f)
  if (plan.some((p) => p.entries.length === 0)) throw usage('You must specify one of: --allow-principal, --deny-principal when trying to add ACLs')
  return plan
}

/**
 * At most this many ACLs go in one CreateAcls: a Samsa broker stores one request's ACLs in one
 * metadata change and refuses a larger one (the etcd transaction bound, docs/security.md).
 */
const ACLS_PER_REQUEST = 128

async function addAcls(admin: Admin, plan: Plan): Promise<void> {
  // Kafka's tool sends one CreateAcls per resource, so a refusal part-way leaves the earlier
  // resources' ACLs behind; here every resource's go in one request (the broker stores a
  // request's ACLs together or not at all), in steps only past ACLS_PER_REQUEST.
  const fresh: AclBinding[] = []
  for (const { resource, entries: es } of plan) {
    const pattern: AclBinding['pattern'] = { resourceType: resource.resourceType, name: resource.name, patternType: resource.patternType as 'LITERAL' | 'PREFIXED' }
    const existing = new Set((await admin.describeAcls(patternFilter(resource))).map((b) => entryKey(b.entry)))
    const adding: AclBinding[] = []
    for (const entry of es) {
      if (existing.has(entryKey(entry))) await print(`Acl (pattern=${describePattern(pattern)}, entry=${describeEntry(entry)}) already exists.\n`)
      else adding.push({ pattern, entry })
    }
    if (adding.length === 0) continue
    await print(`Adding ACLs for resource \`${describePattern(pattern)}\`: \n ${adding.map((b) => `\t${describeEntry(b.entry)}`).join('\n')}\n\n`)
    fresh.push(...adding)
  }
  for (let i = 0; i < fresh.length; i += ACLS_PER_REQUEST) await admin.createAcls(fresh.slice(i, i + ACLS_PER_REQUEST))
}

/** y/n answers from stdin, one line per question; end of input answers no. */
class Confirm {
  private rl: Interface | undefined
  private lines: AsyncIterator<string> | undefined

  async ask(question: string): Promise<boolean> {
    await print(`${question}\n`)
    if (!this.rl) {
      this.rl = createInterface({ input: process.stdin, terminal: false })
      this.lines = this.rl[Symbol.asyncIterator]()
    }
    const r = await this.lines!.next()
    return !r.done && r.value.trim().toLowerCase() === 'y'
  }

  close(): void {
    this.rl?.close()
  }
}

async function removeAcls(admin: Admin, plan: Plan, force: boolean): Promise<void> {
  // Every answer first, then one DeleteAcls for all that were confirmed (the broker removes them in one change).
  const filters: AclBindingFilter[] = []
  const confirm = new Confirm()
  try {
    for (const { resource, entries: es } of plan) {
      if (es.length === 0) {
        if (force || (await confirm.ask(`Are you sure you want to delete all ACLs for resource filter \`${describePattern(resource)}\`? (y/n)`))) filters.push(patternFilter(resource))
        continue
      }
      const question = `Are you sure you want to remove ACLs: \n ${es.map((e) => `\t${describeEntry(e)}`).join('\n')}\n from resource filter \`${describePattern(resource)}\`? (y/n)`
      if (force || (await confirm.ask(question))) filters.push(...es.map((e) => patternFilter(resource, e)))
    }
  } finally {
    confirm.close()
  }
  if (filters.length > 0) await admin.deleteAcls(filters)
}

async function listAcls(admin: Admin, f: AclsFlags): Promise<void> {
  const filters = resourceFilters(f, false)
  const principals = (f.principal ?? []).map((p) => parsePrincipal(p, '--principal'))
  const bindings = filters.length === 0 ? await admin.describeAcls({ resourceType: 'ANY', name: null, patternType: 'ANY', ...anyEntry }) : (await Promise.all(filters.map((r) => admin.describeAcls(patternFilter(r))))).flat()
  const byResource = new Map<string, { pattern: AclBinding['pattern']; entries: Map<string, AclEntry> }>()
  for (const b of bindings) {
    const key = filterKey(b.pattern)
    let r = byResource.get(key)
    if (!r) byResource.set(key, (r = { pattern: b.pattern, entries: new Map() }))
    r.entries.set(entryKey(b.entry), b.entry)
  }
  const resources = [...byResource.values()].sort((a, b) => cmp(a.pattern.resourceType, b.pattern.resourceType) || cmp(a.pattern.patternType, b.pattern.patternType) || cmp(a.pattern.name, b.pattern.name))
  const printAll = async (keep: (e: AclEntry) => boolean) => {
    for (const r of resources) {
      const es = [...r.entries.values()].filter(keep).sort(byEntry)
      if (es.length > 0) await print(`Current ACLs for resource \`${describePattern(r.pattern)}\`:\n${es.map((e) => `\t${describeEntry(e)}`).join('\n')}\n\n`)
    }
  }
  if (principals.length === 0) return printAll(() => true)
  for (const p of new Set(principals)) {
    await print(`ACLs for principal \`${p}\`\n`)
    await printAll((e) => e.principal === p)
  }
}

/**
 * One ACL request's failures, said once with the fix: a refused or failed CreateAcls fails every
 * ACL in it the same way, and six copies of one storage error help nobody. Undefined when the
 * errors differ per ACL (then each is listed).
 */
function collapsed(e: unknown): CliError | undefined {
  if (!(e instanceof AdminError)) return undefined
  const texts = new Map<string, string[]>()
  for (const f of e.failures) {
    const prefix = `${f.resource}: `
    const text = f.error.message.startsWith(prefix) ? f.error.message.slice(prefix.length) : f.error.message
    texts.set(text, [...(texts.get(text) ?? []), f.resource])
  }
  if (texts.size !== 1) return undefined
  const [[text, resources]] = [...texts] as [[string, string[]]]
  const what = resources.length === 1 ? resources[0] : `${resources.length} of ${e.failures.length + e.results.length} ACLs`
  const names = new Set(e.failures.map((f) => (f.error instanceof KafkaError ? f.error.errorName : '')))
  const fixes = [...names].map((n) => HINTS[n]).filter((h): h is string => h !== undefined)
  return new CliError([`${e.operation}: ${what} failed: ${text.replace(/[.;\s]+$/, '')}`, ...fixes].join('; '), exitCodeOf(e))
}

async function run(f: AclsFlags): Promise<void> {
  const action = checkFlags(f)
  // Everything is parsed and planned before connecting: a bad flag fails with exit 2 even with no broker.
  const plan = action === 'add' ? planAdd(f) : action === 'remove' ? resourceEntries(f) : undefined
  if (action === 'list') {
    resourceFilters(f, false)
    for (const p of f.principal ?? []) parsePrincipal(p, '--principal')
  }
  if (action === 'remove' && !f.force && process.stdin.isTTY !== true) {
    throw usage('--remove asks to confirm each removal (y/n), but stdin is not a terminal; add --force to remove without asking')
  }
  await withAdmin(
    f.bootstrapServer!,
    async (admin) => {
      try {
        if (action === 'add') await addAcls(admin, plan!)
        else if (action === 'remove') await removeAcls(admin, plan!, f.force === true)
        else await listAcls(admin, f)
      } catch (e) {
        throw collapsed(e) ?? hinted(e, HINTS)
      }
    },
    commandConfigOptions(f.commandConfig),
  )
}

export function aclsCommand(): Command {
  const cmd = new Command('acls').description('add, remove and list ACLs (kafka-acls.sh)')
  bootstrapOption(cmd)
  cmd
    .option('--command-config <file>', 'client properties for the admin client (security.protocol, sasl.*)')
    .option('--add', 'add ACLs')
    .option('--remove', 'remove ACLs')
    .option('--list', 'list ACLs (of the resources given; all without one)')
    .option('--topic <topic>', "a topic resource ('*': every topic); repeatable", collect)
    .option('--group <group>', "a consumer group resource ('*': every group); repeatable", collect)
    .option('--cluster', 'the cluster resource')
    .option('--transactional-id <id>', "a transactional id resource ('*': every one); repeatable", collect)
    .option('--delegation-token <id>', 'a delegation token resource; repeatable', collect)
    .option('--user-principal <user>', 'a user resource (for CreateTokens / DescribeTokens); repeatable', collect)
    .option('--resource-pattern-type <type>', 'literal or prefixed for patterns; also any (every pattern type, that exact name) or match (every ACL that applies to the name) to list or remove (default literal)')
    .option('--operation <op>', `an operation to allow or deny (default All): ${OPERATIONS.map(pascal).join(', ')}; repeatable`, collect)
    .option('--allow-principal <principal>', 'a principal to allow, Type:name (User:alice; User:* for everyone); repeatable', collect)
    .option('--deny-principal <principal>', 'a principal to deny, Type:name; repeatable (deny wins over allow)', collect)
    .option('--principal <principal>', 'with --list: only the ACLs of this principal; repeatable', collect)
    .option('--allow-host <host>', 'host the allowed principals may connect from (default *); repeatable', collect)
    .option('--deny-host <host>', 'host the denied principals are refused from (default *); repeatable', collect)
    .option('--producer', 'the ACLs of a producer: WRITE, DESCRIBE, CREATE on the topics (and WRITE, DESCRIBE on --transactional-id)')
    .option('--consumer', 'the ACLs of a consumer: READ, DESCRIBE on the topics, READ on the groups')
    .option('--idempotent', 'with --producer: IDEMPOTENT_WRITE on the cluster')
    .option('--force', 'remove without asking')
    .action((f: AclsFlags) => run(f))
  cmd.addHelpText('after', '\nExample: samsa acls --bootstrap-server localhost:9092 --add --allow-principal User:alice --producer --topic orders')
  return cmd
}
