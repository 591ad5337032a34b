/**
 * Fetch from the closest replica (KIP-392) with librdkafka: three brokers in racks r0, r1, r2
 * (in one process, on one shared metadata store), the rack-aware replica selector on, and kcat
 * consuming with client.rack=r1 from a partition broker 0 leads. kcat's JSON output names the
 * broker each message came from: broker 1, the follower in its rack. Without the selector (or
 * without client.rack) it reads from the leader.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sharedCluster } from '../helpers/shared-metadata.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { until } from '../broker/helpers.js'
import { RACK_AWARE_SELECTOR } from '../../src/broker/replica-manager.js'

interface KcatMessage {
  offset: number
  broker: number
  payload: string
}

async function consume(bootstrap: string, topic: string, extra: string[]): Promise<KcatMessage[]> {
  const r = await runTool('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-J', '-q', ...extra], { timeoutMs: 30_000 })
  assert.equal(r.code, 0, r.stderr)
  return r.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as KcatMessage)
}

test('a consumer with client.rack reads from the in-sync follower in its rack (KIP-392), and from the leader without', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const c = await sharedCluster(t, { 'replica.fetch.wait.max.ms': '20', 'replica.fetch.backoff.ms': '20', 'replica.selector.class': RACK_AWARE_SELECTOR })
  for (const id of [0, 1, 2]) await c.start(id, { config: { 'broker.rack': `r${id}` } })
  await c.store.createTopic({ name: 'near', assignments: [[0, 1, 2]], configs: {} })
  for (const b of c.brokers.values()) await b.replicas.settled()
  const b0 = c.brokers.get(0)!
  const bootstrap = `127.0.0.1:${b0.listeners[0]!.port}`
  const input = Array.from({ length: 20 }, (_, i) => `m${i}`).join('\n') + '\n'
  const produced = await runTool('kcat', ['-P', '-b', bootstrap, '-t', 'near', '-p', '0', '-X', 'acks=all'], { input, timeoutMs: 30_000 })
  assert.equal(produced.code, 0, produced.stderr)
  // The leader only sends consumers to replicas it knows have their offset.
  await until(() => (b0.replicas.getPartition('near', 0)!.follower(1)?.logEndOffset ?? -1) >= 20, 'broker 1 to have fetched everything')

  const near = await consume(bootstrap, 'near', ['-X', 'client.rack=r1'])
  assert.deepEqual(near.map((m) => m.payload), input.trim().split('\n'))
  assert.ok(near.every((m) => m.broker === 1), `every message from broker 1: ${JSON.stringify(near.map((m) => m.broker))}`)
  assert.ok(c.brokers.get(1)!.replicas.followerReads > 0)

  const plain = await consume(bootstrap, 'near', [])
  assert.equal(plain.length, 20)
  assert.ok(plain.every((m) => m.broker === 0), 'no rack: the leader serves')
  const own = await consume(bootstrap, 'near', ['-X', 'client.rack=r0'])
  assert.ok(own.every((m) => m.broker === 0), "the leader's own rack: the leader serves")
})
