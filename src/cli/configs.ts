/**
 * `samsa configs`, kafka-configs.sh for topics, brokers and broker loggers: describe the
 * dynamic configs (or all of them with --all) and alter them with IncrementalAlterConfigs, so
 * only the keys named change.
 *
 * Entities: `--entity-type topics|brokers|broker-loggers` with `--entity-name x` or
 * `--entity-default` (brokers only: the cluster-wide default), or Kafka 3's shorthands
 * `--topic x`, `--broker 0`, `--broker-logger 0`, `--broker-defaults`. Without a name,
 * --describe covers every topic, or every broker and then the default.
 *
 * Output as Kafka prints it: `Dynamic configs for topic t are:` (`All configs` with --all,
 * `Default configs for brokers in the cluster are:` for the default), then per config, sorted,
 * `  name=value sensitive=false synonyms={SOURCE:name=value, ...}`; after an alter,
 * `Completed updating config for topic t.` or `Completed updating default config for brokers
 * in the cluster.`. Describing a topic or broker that does not exist prints Kafka's "doesn't
 * exist and doesn't have dynamic config" line and succeeds, as Kafka's tool does.
 *
 * --add-config takes `k=v,k2=[a,b]` (brackets group a value with commas and are removed);
 * --delete-config names keys, which must be set on the entity (Kafka's "Invalid config(s)").
 *
 * `--entity-type clients|users` (client quotas, and SCRAM credentials for users) is
 * configs-quotas.ts.
 *
 * Left out: ips, client-metrics and groups (Samsa has no ip quotas or group configs yet) and
 * --bootstrap-controller (no separate controllers).
 */
import { Command } from 'commander'
import { validateTopicName } from '../metadata/topic-name.js'
import type { Admin } from '../client/admin/admin.js'
import type { ConfigEntry, ConfigOp, ConfigResourceType, ConfigSource } from '../client/admin/types.js'
import { commandConfigOptions } from './command-config.js'
import { CliError, INT32_MAX, bootstrapOption, collect, parseNumericFlag, print, readPropertiesFile, splitTopLevelCommas, usage, withAdmin } from './common.js'
import { hinted, type Hints } from './error-hints.js'
import { rejectZookeeper, zookeeperOption } from './zookeeper.js'
import { runQuotaConfigs } from './configs-quotas.js'

interface ConfigsFlags {
  bootstrapServer?: string
  commandConfig?: string
  describe?: boolean
  alter?: boolean
  all?: boolean
  entityType?: string
  entityName?: string[]
  entityDefault?: boolean
  addConfig?: string[]
  addConfigFile?: string
  deleteConfig?: string[]
  topic?: string
  broker?: string
  brokerLogger?: string
  brokerDefaults?: boolean
  zookeeper?: string | boolean
}

type EntityType = 'topics' | 'brokers' | 'broker-loggers'

interface Entity {
  type: EntityType
  /** undefined: every entity of the type (describe only); '': the broker default. */
  name: string | undefined
}

const RESOURCE: Record<EntityType, ConfigResourceType> = { topics: 'topic', brokers: 'broker', 'broker-loggers': 'broker-logger' }
const SINGULAR: Record<EntityType, string> = { topics: 'topic', brokers: 'broker', 'broker-loggers': 'broker-logger' }
/** Kafka's other entity types, which Samsa has nothing to configure for yet. */
const UNSUPPORTED = ['ips', 'client-metrics', 'groups']

export function configsCommand(): Command {
  const cmd = new Command('configs').description('describe or alter topic and broker configs (kafka-configs.sh)')
  bootstrapOption(cmd, false)
  cmd
    .option('--command-config <file>', 'admin client properties file (request.timeout.ms, client.id, ...)')
    .option('--describe', 'show the configs of the entity')
    .option('--alter', 'change the configs of the entity')
    .option('--all', 'with --describe: every config with its value, not only the dynamic ones')
    .option('--entity-type <type>', 'topics, brokers, broker-loggers, clients or users')
    .option('--entity-name <name>', 'topic name or broker id', collect)
    .option('--entity-default', 'with --entity-type brokers: the cluster-wide default of every broker')
    .option('--add-config <k=v,...>', "configs to set: 'k1=v1,k2=[v1,v2],k3=v3' (brackets group values with commas)", collect)
    .option('--add-config-file <file>', 'properties file of configs to set')
    .option('--delete-config <k,...>', 'config keys to remove, so they fall back to the inherited value', collect)
    .option('--topic <topic>', 'short for --entity-type topics --entity-name <topic>')
    .option('--broker <id>', 'short for --entity-type brokers --entity-name <id>')
    .option('--broker-logger <id>', 'short for --entity-type broker-loggers --entity-name <id>')
    .option('--broker-defaults', 'short for --entity-type brokers --entity-default')
  zookeeperOption(cmd)
  cmd.addHelpText('after', '\nExample: samsa configs --bootstrap-server localhost:9092 --alter --topic orders --add-config retention.ms=86400000')
  return cmd.action((flags: ConfigsFlags) => run(flags))
}

const HINTS: Hints = {
  UNKNOWN_TOPIC_OR_PARTITION: 'check the name with samsa topics --list',
  INVALID_CONFIG: 'see the names and values with samsa configs --describe --all and docs/configuration.md',
  INVALID_TOPIC_EXCEPTION: "topic names use letters, digits, '.', '_' and '-'",
}

async function run(f: ConfigsFlags): Promise<void> {
  if (f.entityType === 'clients' || f.entityType === 'users') return runQuotas(f, f.entityType)
  const { entity, action } = check(f)
  const adds = action === 'alter' ? configsToAdd(f) : new Map<string, string>()
  const deletes = (f.deleteConfig ?? []).flatMap((d) => d.split(',')).map((k) => k.trim()).filter((k) => k !== '')
  await withAdmin(
    f.bootstrapServer!,
    async (admin) => {
      try {
        if (action === 'describe') await describe(admin, entity, f.all ?? false)
        else await alter(admin, entity, adds, deletes)
      } catch (e) {
        throw hinted(e, HINTS)
      }
    },
    commandConfigOptions(f.commandConfig),
  )
}

/** Quotas of clients or users (configs-quotas.ts; SCRAM keys of users are routed there too). */
function runQuotas(f: ConfigsFlags, type: 'clients' | 'users'): Promise<void> {
  rejectZookeeper(f)
  if ((f.describe ? 1 : 0) + (f.alter ? 1 : 0) !== 1) throw usage('Command must include exactly one action: --describe, --alter')
  if (!f.bootstrapServer) throw usage('--bootstrap-server must be specified: the broker to connect to, e.g. --bootstrap-server localhost:9092')
  if (f.topic !== undefined || f.broker !== undefined || f.brokerLogger !== undefined || f.brokerDefaults) throw usage('--entity-{type,name,default} should not be used in conjunction with specific entity flags (--topic, --broker, ...)')
  const names: Array<string | null> = [...(f.entityName ?? []), ...(f.entityDefault ? [null] : [])]
  if (names.length > 1) throw usage('Give one entity: a single --entity-name, or --entity-default')
  if (f.describe && (f.addConfig || f.addConfigFile || f.deleteConfig)) throw usage("--add-config and --delete-config can't be used with --describe; use them with --alter")
  if (f.alter && !f.addConfig && !f.addConfigFile && !f.deleteConfig) throw usage('At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter')
  const adds = f.alter ? configsToAdd(f) : new Map<string, string>()
  const deletes = (f.deleteConfig ?? []).flatMap((d) => d.split(',')).map((k) => k.trim()).filter((k) => k !== '')
  return runQuotaConfigs(f.bootstrapServer, f.commandConfig, type, names[0], f.describe ? 'describe' : 'alter', adds, deletes)
}

// ---- flag checks ---------------------------------------------------------------------------------

/** Kafka's rules for the action and the entity, checked before connecting. */
function check(f: ConfigsFlags): { entity: Entity; action: 'describe' | 'alter' } {
  rejectZookeeper(f)
  if ((f.describe ? 1 : 0) + (f.alter ? 1 : 0) !== 1) throw usage('Command must include exactly one action: --describe, --alter')
  const action = f.describe ? 'describe' : 'alter'
  if (action === 'describe') {
    const wrong = f.addConfig ? '--add-config' : f.addConfigFile ? '--add-config-file' : f.deleteConfig ? '--delete-config' : undefined
    if (wrong) throw usage(`${wrong} can't be used with --describe; use it with --alter`)
  } else if (f.all) throw usage("--all can't be used with --alter; use it with --describe")
  if (!f.bootstrapServer) throw usage('--bootstrap-server must be specified: the broker to connect to, e.g. --bootstrap-server localhost:9092')

  const generic = f.entityType !== undefined || f.entityName !== undefined || f.entityDefault === true
  const shorthand: Array<[EntityType, string]> = []
  if (f.topic !== undefined) shorthand.push(['topics', f.topic])
  if (f.broker !== undefined) shorthand.push(['brokers', f.broker])
  if (f.brokerLogger !== undefined) shorthand.push(['broker-loggers', f.brokerLogger])
  if (f.brokerDefaults) shorthand.push(['brokers', ''])
  if (generic && shorthand.length > 0) throw usage('--entity-{type,name,default} should not be used in conjunction with specific entity flags (--topic, --broker, ...)')

  const types: string[] = generic ? (f.entityType === undefined ? [] : [f.entityType]) : shorthand.map(([t]) => t)
  const dupes = types.filter((t, i) => types.indexOf(t) !== i)
  if (dupes.length > 0) throw usage(`Duplicate entity type(s) specified: ${[...new Set(dupes)].join(',')}`)
  if (types.length === 0) throw usage('At least one entity type must be specified: --entity-type topics|brokers|broker-loggers, or --topic, --broker, --broker-logger, --broker-defaults')
  if (types.length > 1) throw usage(`Only one entity type may be given, got ${types.join(' and ')}`)
  const type = types[0]!
  if (UNSUPPORTED.includes(type)) throw usage(`entity type ${type} is not supported by Samsa (no ip quotas or group configs yet); supported: topics, brokers, broker-loggers`)
  if (!(type in RESOURCE)) throw usage(`Invalid entity type ${type}, the entity type must be one of topics, brokers, broker-loggers`)
  const entityType = type as EntityType

  let names: string[]
  if (generic) names = [...(f.entityName ?? []), ...(f.entityDefault ? [''] : [])]
  else names = shorthand.map(([, n]) => n)
  if (names.length > 1) throw usage('Give one entity: a single --entity-name, or --entity-default')
  const name = names[0]
  if (name !== undefined && name !== '' && entityType !== 'topics') {
    if (!/^-?\d+$/.test(name)) throw usage(`The entity name for ${entityType} must be a valid integer broker id, but it is: ${name}`)
    const flag = f.broker !== undefined ? '--broker' : f.brokerLogger !== undefined ? '--broker-logger' : '--entity-name'
    parseNumericFlag(flag, name, { min: -INT32_MAX - 1, max: INT32_MAX, what: `a broker id (an int32, up to ${INT32_MAX})`, fix: 'give the id of a broker' })
  }
  if (name !== undefined && name !== '' && entityType === 'topics') {
    const why = validateTopicName(name)
    if (why) throw usage(`invalid topic name: ${why}`)
  }
  if (action === 'describe') {
    if (name === '' && entityType !== 'brokers') throw usage(`--entity-default must not be specified with --describe of ${entityType}`)
    if (entityType === 'broker-loggers' && name === undefined) throw usage('An entity name must be specified with --describe of broker-loggers')
  } else {
    if (entityType === 'brokers' && name === undefined) throw usage('An entity name or --entity-default must be specified with --alter of brokers')
    if (entityType !== 'brokers' && (name === undefined || name === '')) throw usage(`An entity name must be specified with --alter of ${entityType}`)
    if (f.addConfig && f.addConfigFile) throw usage('Only one of --add-config or --add-config-file must be specified')
    if (!f.addConfig && !f.addConfigFile && !f.deleteConfig) throw usage('At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter')
  }
  return { entity: { type: entityType, name }, action }
}

/** --add-config-file or --add-config, Kafka's syntax; keys limited to Kafka's characters. */
function configsToAdd(f: ConfigsFlags): Map<string, string> {
  const out = f.addConfigFile ? readPropertiesFile(f.addConfigFile, '--add-config-file') : parseAddConfig(f.addConfig ?? [])
  for (const k of out.keys()) {
    if (!/^[$a-zA-Z0-9._-]*$/.test(k)) throw usage(`Invalid character found for config key: ${k}`)
  }
  return out
}

/**
 * `k1=v1,k2=[a,b]`: split at commas outside brackets, each part at its one '=' outside brackets;
 * brackets are then dropped from the value. An empty value is allowed (`k=`), as in Kafka.
 */
export function parseAddConfig(entries: string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const entry of entries) {
    for (const kv of splitTopLevelCommas(entry)) {
      const at = equalsOutsideBrackets(kv)
      if (at.length !== 1 || kv.slice(0, at[0]).trim() === '') {
        throw usage(`Invalid entity config '${kv}': all configs to be added must be in the format "key=val" or "key=[val1,val2]" to group values which contain commas`)
      }
      out.set(kv.slice(0, at[0]).trim(), kv.slice(at[0]! + 1).replace(/[[\]]/g, '').trim())
    }
  }
  return out
}

function equalsOutsideBrackets(s: string): number[] {
  const at: number[] = []
  let depth = 0
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '[') depth++
    else if (s[i] === ']') depth = Math.max(0, depth - 1)
    else if (s[i] === '=' && depth === 0) at.push(i)
  }
  return at
}

// ---- describe ------------------------------------------------------------------------------------

/** The source a describe without --all shows: what this entity itself sets. */
function dynamicSource(e: { type: EntityType; name: string }): ConfigSource | undefined {
  if (e.type === 'topics') return 'DYNAMIC_TOPIC_CONFIG'
  if (e.type === 'brokers') return e.name === '' ? 'DYNAMIC_DEFAULT_BROKER_CONFIG' : 'DYNAMIC_BROKER_CONFIG'
  return undefined // a broker logger's levels are all shown
}

/** The entity's configs, sorted by name; only its dynamic ones unless `all`. */
async function resourceConfig(admin: Admin, e: { type: EntityType; name: string }, includeSynonyms: boolean, all: boolean): Promise<ConfigEntry[]> {
  const [res] = await admin.describeConfigs([{ type: RESOURCE[e.type], name: e.name }], { includeSynonyms })
  const source = all ? undefined : dynamicSource(e)
  return res!.entries.filter((c) => source === undefined || c.source === source).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

async function describe(admin: Admin, entity: Entity, all: boolean): Promise<void> {
  let names: string[]
  if (entity.name !== undefined) {
    if (!all && !(await exists(admin, entity.type, entity.name))) {
      await print(`The ${SINGULAR[entity.type]} '${entity.name}' doesn't exist and doesn't have dynamic config.\n`)
      return
    }
    names = [entity.name]
  } else if (entity.type === 'topics') {
    names = await admin.listTopics({ includeInternal: true })
  } else {
    names = [...(await brokerIds(admin)).map(String), '']
  }
  for (const name of names) {
    const header =
      name === '' ? `Default configs for ${entity.type} in the cluster are:` : `${all ? 'All' : 'Dynamic'} configs for ${SINGULAR[entity.type]} ${name} are:`
    const entries = await resourceConfig(admin, { type: entity.type, name }, true, all)
    await print([header, ...entries.map(entryLine)].map((l) => `${l}\n`).join(''))
  }
}

function entryLine(c: ConfigEntry): string {
  const synonyms = c.synonyms.map((s) => `${s.source}:${s.name}=${s.value ?? 'null'}`).join(', ')
  return `  ${c.name}=${c.value ?? 'null'} sensitive=${c.isSensitive} synonyms={${synonyms}}`
}

async function brokerIds(admin: Admin): Promise<number[]> {
  return (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort((a, b) => a - b)
}

async function exists(admin: Admin, type: EntityType, name: string): Promise<boolean> {
  if (type === 'topics') return (await admin.listTopics({ includeInternal: true })).includes(name)
  return name === '' || (await brokerIds(admin)).includes(Number(name))
}

// ---- alter ---------------------------------------------------------------------------------------

async function alter(admin: Admin, entity: Entity, adds: Map<string, string>, deletes: string[]): Promise<void> {
  const target = { type: entity.type, name: entity.name! }
  if (entity.type === 'broker-loggers') {
    const loggers = new Set((await resourceConfig(admin, target, false, false)).map((c) => c.name))
    const invalid = [...deletes, ...adds.keys()].filter((k) => !loggers.has(k))
    if (invalid.length > 0) throw new CliError(`Invalid broker logger(s): ${invalid.join(',')}; the loggers are listed by samsa configs --describe --broker-logger ${target.name}`)
  } else {
    const set = new Set((await resourceConfig(admin, target, false, false)).map((c) => c.name))
    const invalid = deletes.filter((k) => !set.has(k))
    if (invalid.length > 0) {
      throw new CliError(`Invalid config(s): ${invalid.join(',')}; only configs set on this ${SINGULAR[entity.type]} can be deleted (see samsa configs --describe)`)
    }
  }
  const ops: ConfigOp[] = [...deletes.map((name) => ({ name, op: 'delete' as const })), ...[...adds].map(([name, value]) => ({ name, op: 'set' as const, value }))]
  await admin.alterConfigs([{ type: RESOURCE[entity.type], name: target.name, ops }])
  await print(target.name === '' ? `Completed updating default config for ${entity.type} in the cluster.\n` : `Completed updating config for ${SINGULAR[entity.type]} ${target.name}.\n`)
}
