/** What the transaction handlers share. */
import { ErrorCode } from '../../protocol/errors.js'
import { errorCodeOf } from '../error-codes.js'

/**
 * The code of a coordinator's refusal (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...) or of
 * its log's (a stale producer epoch refused by the partition's producer state is
 * INVALID_PRODUCER_EPOCH); a bug is UNKNOWN_SERVER_ERROR.
 */
export function coordinatorCode(err: unknown): number {
  return errorCodeOf(err)
}

/** KIP-588: fenced producers hear PRODUCER_FENCED from these request versions on, INVALID_PRODUCER_EPOCH before. */
export function fencedCode(apiVersion: number, firstVersion: number): number {
  return apiVersion >= firstVersion ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH
}
