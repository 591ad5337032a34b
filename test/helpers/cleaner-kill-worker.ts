/**
 * Child process of the cleaner kill test: opens the log in argv[2] as after a crash (recovery
 * from offset 0) and cleans it under a slow I/O budget, so that the parent's kill -9 lands in
 * the middle of writing `.cleaned`, the swap or the replace. Prints `cleaning` once it starts, and
 * `swapping` at each swap's last rename (old segments already `.deleted`, the `.swap` in place), so
 * the parent can also kill at a moment past the point of no return instead of by timing luck.
 */
import { silentLogger } from '../../src/storage/logger.js'
import { UnifiedLog } from '../../src/storage/log/unified-log.js'
import { cleanLog } from '../../src/storage/log/cleaner/cleaner.js'
import { OffsetMap } from '../../src/storage/log/cleaner/offset-map.js'
import { Throttle } from '../../src/storage/log/cleaner/throttle.js'
import { FaultHooks } from '../../src/util/faults.js'

const dir = process.argv[2]!
const faults = new FaultHooks()
// An observer, not a fault: the predicate reports the step and never matches (stdout to a pipe is synchronous).
faults.failNext('cleaner.rename', { times: Number.POSITIVE_INFINITY, when: () => (process.stdout.write('swapping\n'), false) })
const log = await UnifiedLog.open({ dir, topic: 't', partition: 0, logger: silentLogger, faults, hadCleanShutdown: false, recoveryPoint: 0, config: { segmentBytes: 4096, compact: true, fileDeleteDelayMs: 0, minCleanableDirtyRatio: 0 } })
log.updateHighWatermark(log.logEndOffset)
await log.flush()
process.stdout.write('cleaning\n')
await cleanLog(log.cleaner(), { now: Date.now(), firstDirtyOffset: 0, map: new OffsetMap(1 << 16), throttle: new Throttle(Number(process.argv[3] ?? 1_000_000)), force: true })
await log.close()
process.stdout.write('done\n')
