import { decodeBatch, type RecordBatch } from '../../../src/protocol/records/batch.js'
import { ManualClock } from '../../../src/storage/clock.js'
import type { LogConfig } from '../../../src/storage/config.js'
import { FileCache } from '../../../src/storage/io/file-cache.js'
import { silentLogger, type StorageLogger } from '../../../src/storage/logger.js'
import { UnifiedLog, type UnifiedLogOptions } from '../../../src/storage/log/unified-log.js'
import { buildBatch, type BatchSpec } from './batches.js'
import { withTempDir } from './tmp.js'

export interface LogEnv {
  dir: string
  clock: ManualClock
  files: FileCache
  logger: StorageLogger
  open(options?: Partial<UnifiedLogOptions>): Promise<UnifiedLog>
}

/** Runs `fn` with a partition directory, a manual clock and a descriptor pool closed afterwards. */
export async function withLogEnv(fn: (env: LogEnv) => Promise<void>, defaults: { config?: Partial<LogConfig>; logger?: StorageLogger } = {}): Promise<void> {
  await withTempDir(async (root) => {
    const clock = new ManualClock(1_700_000_000_000)
    const files = new FileCache({ maxOpenFiles: 64 })
    const logger = defaults.logger ?? silentLogger
    const dir = `${root}/topic-0`
    const open = (options: Partial<UnifiedLogOptions> = {}) =>
      UnifiedLog.open({ dir, topic: 'topic', partition: 0, clock, files, logger, ...options, config: { fileDeleteDelayMs: 0, ...defaults.config, ...options.config } })
    try {
      await fn({ dir, clock, files, logger, open })
    } finally {
      await files.closeAll()
    }
  })
}

/** Appends one batch per spec as leader (epoch 0); returns the results. */
export async function appendAll(log: UnifiedLog, specs: BatchSpec[], leaderEpoch = 0) {
  const out = []
  for (const spec of specs) out.push(await log.appendAsLeader(buildBatch(spec), { leaderEpoch }))
  return out
}

/**
 * Every batch of the log from offset 0 to its end, decoded, in order: each read goes on after
 * the last batch of the previous one (so a batch the cleaner kept whole is seen once).
 */
export async function* logBatches(log: UnifiedLog): AsyncGenerator<RecordBatch> {
  let from = 0
  while (from < log.logEndOffset) {
    const buf = await log.readRecords({ fromOffset: from, maxBytes: 1 << 20 })
    if (buf.length === 0) return
    let pos = 0
    while (pos + 12 <= buf.length) {
      const size = 12 + buf.readInt32BE(pos + 8)
      if (pos + size > buf.length) break
      const b = await decodeBatch(buf.subarray(pos, pos + size))
      pos += size
      const next = Number(b.baseOffset) + b.lastOffsetDelta + 1
      if (next <= from) continue
      yield b
      from = next
    }
  }
}
