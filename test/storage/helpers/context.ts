import { ManualClock } from '../../../src/storage/clock.js'
import { IndexCache } from '../../../src/storage/index/index-cache.js'
import { FileCache } from '../../../src/storage/io/file-cache.js'
import { silentLogger, type StorageLogger } from '../../../src/storage/logger.js'
import type { SegmentConfig, SegmentContext } from '../../../src/storage/log/segment.js'
import { FaultHooks } from '../../../src/util/faults.js'

export function makeSegmentContext(
  options: { config?: Partial<SegmentConfig>; clock?: ManualClock; logger?: StorageLogger; indexCache?: IndexCache; faults?: FaultHooks } = {},
): SegmentContext & { clock: ManualClock } {
  const config: SegmentConfig = { indexIntervalBytes: 4096, segmentIndexBytes: 10 * 1024 * 1024, ...options.config }
  return {
    files: new FileCache({ maxOpenFiles: 16 }),
    clock: options.clock ?? new ManualClock(1_000_000),
    logger: options.logger ?? silentLogger,
    config: () => config,
    faults: options.faults ?? new FaultHooks(),
    ...(options.indexCache ? { indexCache: options.indexCache } : {}),
  }
}

/** A logger that keeps warnings for assertions. */
export function recordingLogger(): StorageLogger & { warnings: string[] } {
  const warnings: string[] = []
  return { warnings, info: () => {}, warn: (m) => warnings.push(m) }
}
