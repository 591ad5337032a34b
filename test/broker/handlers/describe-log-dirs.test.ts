/** DescribeLogDirs (key 35) against a broker with two log dirs, over a raw socket, across the version range. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { TestContext } from 'node:test'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from '../../../src/protocol/generated/describe-log-dirs.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../../src/protocol/records/index.js'
import { startBroker, type StartedBroker } from '../../../src/index.js'
import { createLogger } from '../../../src/util/logger.js'
import { RawClient } from '../../helpers/raw-client.js'

async function twoDirBroker(t: TestContext): Promise<{ b: StartedBroker; c: RawClient; dirs: string[] }> {
  const root = mkdtempSync(join(tmpdir(), 'samsa-logdirs-'))
  const dirs = [join(root, 'a'), join(root, 'b')]
  const b = await startBroker({ logDirs: dirs, logger: createLogger({ level: 'silent' }) })
  const c = await RawClient.connect(b.port, b.host)
  t.after(async () => {
    c.close()
    await b.close()
    rmSync(root, { recursive: true, force: true })
  })
  return { b, c, dirs: dirs.map((d) => resolve(d)) }
}

function describe(c: RawClient, version: number, topics: DescribeLogDirsRequest['topics']): Promise<DescribeLogDirsResponse> {
  return c.request(ApiKey.DescribeLogDirs, version, { topics })
}

for (const version of [0, 1, 2, 3, 4]) {
  test(`DescribeLogDirs v${version}: every log dir with the partitions it holds and their sizes`, async (t) => {
    const { b, c, dirs } = await twoDirBroker(t)
    await b.broker.createTopic('t', 4)
    await b.broker.createTopic('u', 1)
    const { log, partition: hosted } = await b.broker.replicas.leaderLog('t', 0)
    const batch = encodeBatchSync(createBatch({ baseTimestamp: 1n, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.alloc(500), headers: [] }] }))
    await log.appendAsLeader(batch, { leaderEpoch: hosted.leaderEpoch })
    hosted.maybeIncrementHighWatermark()

    const r = await describe(c, version, null)
    assert.equal(r.throttleTimeMs, 0)
    if (version >= 3) assert.equal(r.errorCode, ErrorCode.NONE)
    assert.deepEqual(r.results.map((d) => d.logDir).sort(), [...dirs].sort())
    const seen = new Map<string, { dir: string; size: bigint; lag: bigint; future: boolean }>()
    for (const d of r.results) {
      assert.equal(d.errorCode, ErrorCode.NONE)
      if (version >= 4) {
        assert.ok(d.totalBytes! > 0n, 'total bytes')
        assert.ok(d.usableBytes! >= 0n && d.usableBytes! <= d.totalBytes!, 'usable bytes')
      }
      for (const topic of d.topics) {
        for (const p of topic.partitions) seen.set(`${topic.name}-${p.partitionIndex}`, { dir: d.logDir, size: p.partitionSize, lag: p.offsetLag, future: p.isFutureKey })
      }
    }
    assert.deepEqual([...seen.keys()].sort(), ['t-0', 't-1', 't-2', 't-3', 'u-0'])
    for (const [key, p] of seen) {
      assert.equal(p.lag, 0n, key)
      assert.equal(p.future, false)
      assert.equal(p.dir, resolve(b.broker.replicas.logs.logDirOf({ topic: key.slice(0, 1), partition: Number(key.slice(2)) })!))
    }
    assert.equal(seen.get('t-0')!.size, BigInt(batch.length))
    assert.equal(seen.get('t-1')!.size, 0n)
    assert.equal(new Set([...seen.values()].map((p) => p.dir)).size, 2, 'partitions are spread over both dirs')
  })
}

test('DescribeLogDirs: asked-for partitions only; topics without any and unknown ones are left out', async (t) => {
  const { b, c } = await twoDirBroker(t)
  await b.broker.createTopic('t', 3)
  await b.broker.createTopic('u', 1)
  const r = await describe(c, 2, [
    { topic: 't', partitions: [1, 7] },
    { topic: 'missing', partitions: [0] },
    { topic: 'u', partitions: [] },
  ])
  const found = r.results.flatMap((d) => d.topics.map((x) => [x.name, x.partitions.map((p) => p.partitionIndex)]))
  assert.deepEqual(found, [['t', [1]]])
  const none = await describe(c, 4, [])
  for (const d of none.results) assert.deepEqual(d.topics, [])
})
