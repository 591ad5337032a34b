/**
 * Client quotas from the command line against a real broker process: `samsa configs
 * --entity-type clients|users` alter / describe / delete, `samsa client-quotas --describe`, and
 * what the broker stored (read back with the admin client).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Admin } from '../../src/client/admin/admin.js'
import { createLogger } from '../../src/util/logger.js'
import { runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'

let b: BrokerProcess
let admin: Admin

before(async () => {
  b = await startBrokerProcess({ startTimeoutMs: 30_000 })
  admin = new Admin({ bootstrapServers: b.bootstrap, logger: createLogger({ level: 'error' }) })
})

after(async () => {
  await admin?.close()
  await b?.stop()
})

async function cli(code: number, ...args: string[]): Promise<string> {
  const r = await runCli([args[0]!, '--bootstrap-server', b.bootstrap, ...args.slice(1)], { timeoutMs: 30_000 })
  assert.equal(r.code, code, `samsa ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return code === 0 ? r.stdout : r.stderr
}

test('configs --entity-type clients|users: alter, describe, delete; client-quotas --describe', async () => {
  assert.equal(
    await cli(0, 'configs', '--alter', '--entity-type', 'clients', '--entity-name', 'app', '--add-config', 'producer_byte_rate=1048576,consumer_byte_rate=2097152'),
    "Completed updating config for client-id 'app'.\n",
  )
  assert.equal(await cli(0, 'configs', '--alter', '--entity-type', 'users', '--entity-default', '--add-config', 'request_percentage=25.5'), 'Completed updating config for the default user-principal.\n')
  assert.deepEqual(await admin.describeClientQuotas([{ entityType: 'client-id', match: 'app' }], { strict: true }), [
    { entity: { 'client-id': 'app' }, values: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } },
  ])
  assert.equal(
    await cli(0, 'configs', '--describe', '--entity-type', 'clients', '--entity-name', 'app'),
    "Quota configs for client-id 'app' are consumer_byte_rate=2097152.0, producer_byte_rate=1048576.0\n",
  )
  assert.equal(await cli(0, 'configs', '--describe', '--entity-type', 'users'), 'Quota configs for the default user-principal are request_percentage=25.5\n')
  const all = await cli(0, 'client-quotas', '--describe')
  assert.equal(all.split('\n').filter(Boolean).length, 2)
  assert.equal(await cli(0, 'client-quotas', '--describe', '--user-default'), 'Quota configs for the default user-principal are request_percentage=25.5\n')
  await cli(0, 'configs', '--alter', '--entity-type', 'clients', '--entity-name', 'app', '--delete-config', 'producer_byte_rate')
  assert.deepEqual(await admin.describeClientQuotas([{ entityType: 'client-id', match: 'app' }]), [{ entity: { 'client-id': 'app' }, values: { consumer_byte_rate: 2097152 } }])
})

test('quota errors: a bad key or value is refused by the broker with a hint; SCRAM keys are not quotas', async () => {
  assert.match(await cli(1, 'configs', '--alter', '--entity-type', 'clients', '--entity-name', 'x', '--add-config', 'producer_byte_rate=1.5'), /must be an integer/)
  assert.match(await cli(1, 'configs', '--alter', '--entity-type', 'clients', '--entity-name', 'x', '--add-config', 'nope=1'), /Invalid configuration key nope/)
  assert.match(await cli(2, 'configs', '--alter', '--entity-type', 'clients', '--entity-name', 'x', '--add-config', 'producer_byte_rate=fast'), /a quota is a number/)
  assert.match(await cli(2, 'configs', '--alter', '--entity-type', 'clients', '--entity-name', 'u', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=p]'), /SCRAM credentials can only be set on --entity-type users/)
  assert.match(await cli(2, 'configs', '--alter', '--entity-type', 'clients', '--add-config', 'producer_byte_rate=1'), /An entity name or --entity-default must be specified/)
  assert.match(await cli(2, 'client-quotas', '--describe', '--user', 'a', '--user-default'), /not both/)
  assert.deepEqual(await admin.describeClientQuotas([{ entityType: 'client-id', match: 'x' }]), [])
})
