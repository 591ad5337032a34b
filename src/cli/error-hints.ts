/**
 * The fix to add to a broker's error. A broker's answer names the problem ("Topic 'x' already
 * exists."), not what the person at the terminal can do about it, which depends on the tool
 * and the flags it has; each tool passes its own hints by Kafka error name.
 */
import { AdminError } from '../client/admin/common.js'
import { KafkaError } from '../client/base/errors.js'
import { CliError, describeError, exitCodeOf } from './common.js'

export type Hints = Partial<Record<string, string>>

/** `e` with the hints for the error names it carries appended, as a CliError; else `e` unchanged. */
export function hinted(e: unknown, hints: Hints): unknown {
  const names = new Set<string>()
  if (e instanceof AdminError) for (const f of e.failures) if (f.error instanceof KafkaError) names.add(f.error.errorName)
  if (e instanceof KafkaError) names.add(e.errorName)
  const extra = [...names].map((n) => hints[n]).filter((h): h is string => h !== undefined)
  if (extra.length === 0) return e
  return new CliError(`${describeError(e).replace(/[.;\s]+$/, '')}; ${extra.join('; ')}`, exitCodeOf(e))
}
