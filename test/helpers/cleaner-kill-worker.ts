/**
 * Child process of the cleaner kill test: opens the log in argv[2] as after a crash (recovery
 * from offset 0) and cleans it under a slow I/O budget, so that the parent's kill -9 lands in
 * the middle of writing `.cleaned`, the swap or the replace. Prints `cleaning` once it starts.
 */
import { silentLogger } from '../../src/storage/logger.js'
import { UnifiedLog } from '../../src/storage/log/unified-log.js'
import { cleanLog } from '../../src/storage/log/cleaner/cleaner.js'
import { OffsetMap } from '../../src/storage/log/cleaner/offset-map.js'
import { Throttle } from '../../src/storage/log/cleaner/throttle.js'

const dir = process.argv[2]!
const log = await UnifiedLog.open({ dir, topic: 't', partition: 0, logger: silentLogger, hadCleanShutdown: false, recoveryPoint: 0, config: { segmentBytes: 4096, compact: true, fileDeleteDelayMs: 0, minCleanableDirtyRatio: 0 } })
log.updateHighWatermark(log.logEndOffset)
await log.flush()
process.stdout.write('cleaning\n')
await cleanLog(log.cleaner(), { now: Date.now(), firstDirtyOffset: 0, map: new OffsetMap(1 << 16), throttle: new Throttle(Number(process.argv[3] ?? 1_000_000)), force: true })
await log.close()
process.stdout.write('done\n')
