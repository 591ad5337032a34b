// KIP-354: a compacted log's active segment rolls once its first record is max.compaction.lag.ms old,
// since the cleaner never touches the active segment and the lag could not be kept otherwise.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBatch, encodeBatch } from '../../../../src/protocol/records/batch.js'
import { ManualClock } from '../../../../src/storage/clock.js'
import { silentLogger } from '../../../../src/storage/logger.js'
import { UnifiedLog } from '../../../../src/storage/log/unified-log.js'
import { withTempDir } from '../../helpers/tmp.js'

const LAG = 5_000

async function appendKeyed(log: UnifiedLog, clock: ManualClock, key: string): Promise<void> {
  const batch = createBatch({
    baseTimestamp: BigInt(clock.now()),
    records: [{ timestampDelta: 0, offsetDelta: 0, key: Buffer.from(key), value: Buffer.from('v'), headers: [] }],
  })
  await log.appendAsLeader(await encodeBatch(batch), { leaderEpoch: 0 })
}

for (const compact of [true, false]) {
  test(`max.compaction.lag.ms ${compact ? 'rolls a compacted' : 'does not roll a delete-policy'} active segment`, async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(1_000_000)
      const log = await UnifiedLog.open({
        dir, topic: 't', partition: 0, logger: silentLogger, clock,
        config: { compact, maxCompactionLagMs: LAG, fileDeleteDelayMs: 0 },
      })
      try {
        await appendKeyed(log, clock, 'a')
        clock.advance(LAG)
        await appendKeyed(log, clock, 'b')
        assert.deepEqual(log.segmentBaseOffsets(), [0], 'exactly the lag is not yet past it')
        clock.advance(1)
        await appendKeyed(log, clock, 'c')
        assert.deepEqual(log.segmentBaseOffsets(), compact ? [0, 2] : [0])
      } finally {
        await log.close()
      }
    })
  })
}
