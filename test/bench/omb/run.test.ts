/**
 * The benchmark end to end, briefly, against a real broker process: each driver's processes
 * speak the line protocol, every phase's counts arrive, the broker's figures are read. Counts
 * only: no timing is asserted.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { target } from '../../../bench/omb/broker.js'
import { runWorkload } from '../../../bench/omb/coordinator.js'
import type { Workload } from '../../../bench/omb/workload.js'
import { hasPythonModule } from '../../helpers/tools.js'

const small: Workload = {
  name: 'smoke', topics: 1, partitionsPerTopic: 2, messageSize: 200, subscriptionsPerTopic: 1, producersPerTopic: 2, consumerPerSubscription: 2,
  keyDistributor: 'KEY_ROUND_ROBIN', producerRate: 300, warmupMs: 500, testMs: 1500, consumerBacklogBytes: 0,
}

test('both drivers run a small workload against a broker process, and build-and-drain drains', async (t) => {
  const broker = await target(undefined, undefined)
  try {
    for (const driver of ['samsa', 'librdkafka'] as const) {
      await t.test(driver, async (tt) => {
        if (driver === 'librdkafka' && !hasPythonModule('confluent_kafka')) return tt.skip('python3-confluent-kafka is not installed (bash .ci/run installs it)')
        const r = await runWorkload(small, { driver, bootstrap: broker.bootstrap, brokerPid: broker.pid })
        assert.equal(r.errors, 0)
        assert.ok(r.publishRate > 0 && r.consumeRate > 0, `rates ${r.publishRate} ${r.consumeRate}`)
        assert.ok(r.publishLatency.count > 0 && r.publishDelay.count > 0 && r.endToEndLatency.count > 0)
        // Every latency is measured from the intended send time, so none is below the delay's minimum of 0.
        assert.ok(r.endToEndLatency.percentiles['p50']! >= 0 && r.endToEndLatency.max < 60_000)
        assert.ok(r.broker && r.broker.rssBytes > 0 && r.broker.cpuMs >= 0)
      })
    }
    await t.test('build and drain', async () => {
      const r = await runWorkload({ ...small, keyDistributor: 'NO_KEY', producersPerTopic: 1, consumerPerSubscription: 1, producerRate: 1000, warmupMs: 0, consumerBacklogBytes: 100_000 }, { driver: 'samsa', bootstrap: broker.bootstrap, brokerPid: broker.pid })
      assert.ok(r.backlogDrain, 'a backlog phase ran')
      assert.ok(r.backlogDrain.buildSeconds > 0 && r.backlogDrain.drainRate > 0)
      assert.equal(r.errors, 0)
    })
  } finally {
    await broker.close()
  }
})
