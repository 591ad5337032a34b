/**
 * An error as it appears inside a tool's output (a table cell, a "partition: t-0  error: ..."
 * line), where the row already names the resource: Kafka's error name, code and message
 * without the "partition t-0: " prefix the admin client puts in front.
 */
import { KafkaError } from '../client/base/errors.js'
import { describeError } from './common.js'

export function rowError(e: unknown): string {
  if (e instanceof KafkaError) {
    const at = e.message.indexOf(`${e.errorName} (`)
    return at >= 0 ? e.message.slice(at) : `${e.errorName} (${e.code}): ${e.message}`
  }
  return describeError(e)
}

/** The Kafka error name of `e`, if it is a broker's answer. */
export function errorName(e: unknown): string | undefined {
  return e instanceof KafkaError ? e.errorName : undefined
}
