/**
 * The little storage needs to say: recovery findings and background failures. Any Logger from
 * src/util/logger.ts fits; the default writes the broker's structured lines.
 */
import { createLogger } from '../util/logger.js'

export interface StorageLogger {
  info(message: string): void
  warn(message: string): void
}

export const consoleLogger: StorageLogger = createLogger({ base: { component: 'storage' } })

export const silentLogger: StorageLogger = { info: () => {}, warn: () => {} }
