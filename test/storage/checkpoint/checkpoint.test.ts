import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseProperties, readMetaProperties, writeMetaProperties } from '../../../src/storage/checkpoint/meta-properties.js'
import { readOffsetCheckpoint, writeOffsetCheckpoint } from '../../../src/storage/checkpoint/offset-checkpoint.js'
import { readPartitionMetadata, writePartitionMetadata } from '../../../src/storage/checkpoint/partition-metadata.js'
import { isStorageError } from '../../../src/storage/errors.js'
import { withTempDir } from '../helpers/tmp.js'

test('offset checkpoints use Kafka\'s version/count/entries text format', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'recovery-point-offset-checkpoint')
    await writeOffsetCheckpoint(path, [
      { topic: 'a.b-c', partition: 0, offset: 42 },
      { topic: 'x', partition: 17, offset: 2 ** 40 },
    ])
    assert.equal(await readFile(path, 'utf8'), `0\n2\na.b-c 0 42\nx 17 ${2 ** 40}\n`)
    const m = await readOffsetCheckpoint(path)
    assert.deepEqual([...m], [['a.b-c-0', 42], ['x-17', 2 ** 40]])
    assert.deepEqual([...(await readOffsetCheckpoint(join(dir, 'missing')))], [])
  })
})

test('malformed checkpoints are reported, not half-read', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'cp')
    for (const bad of ['1\n0\n', '0\n2\nt 0 1\n', '0\n1\nt zero 1\n', '0\nx\n', '']) {
      await writeFile(path, bad)
      await assert.rejects(readOffsetCheckpoint(path), (e) => isStorageError(e, 'KAFKA_STORAGE_ERROR'), JSON.stringify(bad))
    }
  })
})

test('partition.metadata and meta.properties round trip', async () => {
  await withTempDir(async (dir) => {
    const pm = join(dir, 'partition.metadata')
    await writePartitionMetadata(pm, 'q1Wt0b2aQZyZxW1n8Ugn4A')
    assert.equal(await readFile(pm, 'utf8'), 'version: 0\ntopic_id: q1Wt0b2aQZyZxW1n8Ugn4A\n')
    assert.deepEqual(await readPartitionMetadata(pm), { topicId: 'q1Wt0b2aQZyZxW1n8Ugn4A' })
    const mp = join(dir, 'meta.properties')
    await writeMetaProperties(mp, { version: '1', 'cluster.id': 'c', 'node.id': '3' })
    assert.deepEqual(await readMetaProperties(mp), { version: '1', 'cluster.id': 'c', 'node.id': '3' })
    // Kafka-written (ZooKeeper era) files parse too.
    assert.deepEqual(parseProperties('#\n#Tue Jan 01\nbroker.id=0\nversion=0\ncluster.id=abc\n'), { 'broker.id': '0', version: '0', 'cluster.id': 'abc' })
  })
})
