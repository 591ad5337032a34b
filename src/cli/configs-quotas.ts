/**
 * Client quotas from the command line, as kafka-configs.sh and kafka-client-quotas.sh:
 * `samsa configs --entity-type clients|users [--entity-name x | --entity-default] --alter
 * --add-config producer_byte_rate=1048576,... --delete-config ...` and `--describe`, and
 * `samsa client-quotas --describe [--user u | --user-default] [--client-id c | --client-id-default]`.
 *
 * Output as Kafka's tools print it: `Quota configs for client-id 'x' are producer_byte_rate=1024.0`
 * (`the default client-id`, `user-principal 'alice'`), and after an alter `Completed updating
 * config for client-id 'x'.`.
 */
import { Command } from 'commander'
import type { Admin } from '../client/admin/admin.js'
import type { ClientQuotaEntry, ClientQuotaFilterComponent } from '../client/admin/client-quotas.js'
import { commandConfigOptions } from './command-config.js'
import { bootstrapOption, print, usage, withAdmin } from './common.js'
import { hinted, type Hints } from './error-hints.js'
import { alterScramCredentialConfigs, describeScramCredentialConfigs, parseScramConfig } from './configs-scram.js'

const HINTS: Hints = {
  INVALID_REQUEST: 'the quota keys are producer_byte_rate, consumer_byte_rate (whole bytes/s), request_percentage and controller_mutation_rate (see docs/security.md)',
  UNACCEPTABLE_CREDENTIAL: 'SCRAM iterations must be from 4096 to 16384, and the user name must not be empty',
  RESOURCE_NOT_FOUND: 'that user has no credential for this mechanism (samsa configs --entity-type users --describe lists them)',
}

/** `clients` and `users` as kafka-configs.sh names them, to the entity types of the protocol. */
export const QUOTA_ENTITY_TYPES: Record<string, string> = { clients: 'client-id', users: 'user' }

/**
 * Keys of `--entity-type users` that are SCRAM credentials (`SCRAM-SHA-256=[iterations=8192,password=...]`),
 * not quotas: they go to AlterUserScramCredentials (configs-scram.ts; replaceable for tests).
 */
export let scramCredentialHandler: ((admin: Admin, user: string | null, adds: Map<string, string>, deletes: string[]) => Promise<void>) | undefined = alterScramCredentialConfigs

export function setScramCredentialHandler(h: typeof scramCredentialHandler): void {
  scramCredentialHandler = h
}

const isScramKey = (k: string) => /^SCRAM-SHA-(256|512)$/.test(k)

function entityLabel(type: string, name: string | null): string {
  const what = type === 'user' ? 'user-principal' : type
  return name === null ? `the default ${what}` : `${what} '${name}'`
}

function entryLine(e: ClientQuotaEntry): string {
  const label = Object.keys(e.entity)
    .sort((a, b) => (a === 'user' ? -1 : b === 'user' ? 1 : a.localeCompare(b)))
    .map((t) => entityLabel(t, e.entity[t]!))
    .join(', ')
  const values = Object.keys(e.values)
    .sort()
    .map((k) => `${k}=${Number.isInteger(e.values[k]) ? e.values[k]!.toFixed(1) : e.values[k]}`)
    .join(', ')
  return `Quota configs for ${label} are ${values}\n`
}

/** A quota value from --add-config: a number, as Kafka parses it (a double). */
function quotaValue(key: string, raw: string): number {
  const v = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(v)) throw usage(`Invalid value ${JSON.stringify(raw)} for ${key}: a quota is a number (bytes/s, percent or mutations/s)`)
  return v
}

/**
 * `samsa configs` for clients and users. `name` undefined: every entity of the type
 * (describe only); null: the default entity.
 */
export async function runQuotaConfigs(
  bootstrap: string,
  commandConfig: string | undefined,
  entityType: 'clients' | 'users',
  name: string | null | undefined,
  action: 'describe' | 'alter',
  adds: Map<string, string>,
  deletes: string[],
): Promise<void> {
  const type = QUOTA_ENTITY_TYPES[entityType]!
  if (action === 'alter' && name === undefined) throw usage(`An entity name or --entity-default must be specified with --alter of ${entityType}`)
  const scramAdds = new Map([...adds].filter(([k]) => isScramKey(k)))
  const scramDeletes = deletes.filter(isScramKey)
  if ((scramAdds.size > 0 || scramDeletes.length > 0) && (entityType !== 'users' || !scramCredentialHandler)) {
    throw usage(entityType === 'users' ? 'SCRAM credentials (SCRAM-SHA-256/512) are not supported by this Samsa yet' : 'SCRAM credentials can only be set on --entity-type users')
  }
  if ((scramAdds.size > 0 || scramDeletes.length > 0) && name === null) throw usage('The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials')
  for (const [k, v] of scramAdds) parseScramConfig(k, v)
  await withAdmin(
    bootstrap,
    async (admin) => {
      try {
        if (action === 'describe') {
          const component: ClientQuotaFilterComponent = name === undefined ? { entityType: type } : { entityType: type, match: name }
          const entries = await admin.describeClientQuotas([component], { strict: name !== undefined })
          if (name !== undefined && entries.length === 0) await print(`Quota configs for ${entityLabel(type, name)} are \n`)
          for (const e of entries) await print(entryLine(e))
          // As kafka-configs.sh: users' SCRAM credentials too, except for the default user.
          if (entityType === 'users' && name !== null) await describeScramCredentialConfigs(admin, name)
          return
        }
        if (scramAdds.size > 0 || scramDeletes.length > 0) await scramCredentialHandler!(admin, name!, scramAdds, scramDeletes)
        const ops: Record<string, number | null> = {}
        for (const [k, v] of adds) if (!isScramKey(k)) ops[k] = quotaValue(k, v)
        for (const k of deletes) if (!isScramKey(k)) ops[k] = null
        if (Object.keys(ops).length > 0) await admin.alterClientQuotas([{ entity: { [type]: name! }, ops }])
        await print(`Completed updating config for ${entityLabel(type, name!)}.\n`)
      } catch (e) {
        throw hinted(e, HINTS)
      }
    },
    commandConfigOptions(commandConfig),
  )
}

interface ClientQuotasFlags {
  bootstrapServer?: string
  commandConfig?: string
  describe?: boolean
  user?: string
  userDefault?: boolean
  clientId?: string
  clientIdDefault?: boolean
  strict?: boolean
}

/** `samsa client-quotas --describe`: every quota matching the user / client-id given (kafka-client-quotas.sh). */
export function clientQuotasCommand(): Command {
  const cmd = new Command('client-quotas').description('describe client quotas by user and client id (kafka-client-quotas.sh)')
  bootstrapOption(cmd)
  cmd
    .option('--command-config <file>', 'client properties (security.protocol, sasl.*)')
    .option('--describe', 'list the quotas matching the filter')
    .option('--user <name>', 'quotas of entities naming this user')
    .option('--user-default', 'quotas of entities naming the default user')
    .option('--client-id <id>', 'quotas of entities naming this client id')
    .option('--client-id-default', 'quotas of entities naming the default client id')
    .option('--strict', 'only entities naming exactly the types given (no other)')
    .action((f: ClientQuotasFlags) => describeQuotas(f))
  cmd.addHelpText('after', '\nExample: samsa client-quotas --bootstrap-server localhost:9092 --describe --client-id my-app')
  return cmd
}

async function describeQuotas(f: ClientQuotasFlags): Promise<void> {
  if (!f.describe) throw usage('Command must include an action: --describe (quotas are changed with samsa configs --alter --entity-type clients|users)')
  if (!f.bootstrapServer) throw usage('--bootstrap-server must be specified: the broker to connect to, e.g. --bootstrap-server localhost:9092')
  if (f.user !== undefined && f.userDefault) throw usage('Give --user or --user-default, not both')
  if (f.clientId !== undefined && f.clientIdDefault) throw usage('Give --client-id or --client-id-default, not both')
  const components: ClientQuotaFilterComponent[] = []
  if (f.user !== undefined || f.userDefault) components.push({ entityType: 'user', match: f.userDefault ? null : f.user! })
  if (f.clientId !== undefined || f.clientIdDefault) components.push({ entityType: 'client-id', match: f.clientIdDefault ? null : f.clientId! })
  await withAdmin(
    f.bootstrapServer,
    async (admin) => {
      let entries: ClientQuotaEntry[]
      try {
        entries = await admin.describeClientQuotas(components, { strict: f.strict ?? false })
      } catch (e) {
        throw hinted(e, HINTS)
      }
      for (const e of entries) await print(entryLine(e))
    },
    commandConfigOptions(f.commandConfig),
  )
}
