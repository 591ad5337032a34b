/**
 * Admin client options: the shared client options plus Kafka's default.api.timeout.ms, the
 * budget of one admin call including its retries.
 */
import { intOption, resolveBaseOptions, type BaseOptions, type ResolvedBaseOptions } from '../base/options.js'

export interface AdminOptions extends BaseOptions {
  /**
   * default.api.timeout.ms (default 60000): how long one call may take, retries included,
   * unless the call passes its own `timeoutMs`.
   */
  defaultApiTimeoutMs?: number
}

export interface ResolvedAdminOptions extends ResolvedBaseOptions {
  defaultApiTimeoutMs: number
}

export function resolveAdminOptions(o: AdminOptions): ResolvedAdminOptions {
  const base = resolveBaseOptions(o)
  return { ...base, defaultApiTimeoutMs: intOption('defaultApiTimeoutMs', o.defaultApiTimeoutMs, 60_000, 1) }
}

/** What every admin call accepts. */
export interface CallOptions {
  /** The call's budget, retries included (default: defaultApiTimeoutMs). */
  timeoutMs?: number
  /** Aborts the call: pending requests and retry waits reject with the signal's reason. */
  signal?: AbortSignal
}
