/** What the transaction handlers share. */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'

/** The code of a coordinator's refusal (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...); a bug is UNKNOWN_SERVER_ERROR. */
export function coordinatorCode(err: unknown): number {
  return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR
}

/** KIP-588: fenced producers hear PRODUCER_FENCED from these request versions on, INVALID_PRODUCER_EPOCH before. */
export function fencedCode(apiVersion: number, firstVersion: number): number {
  return apiVersion >= firstVersion ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH
}
