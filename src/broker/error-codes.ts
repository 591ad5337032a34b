/** The error code a partition's answer carries, from whatever failed: a KafkaError, storage, or the OS. */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { isIoError, isStorageError } from '../storage/errors.js'

export function errorCodeOf(err: unknown): number {
  if (err instanceof KafkaError) return err.code
  if (isStorageError(err)) {
    const code = (ErrorCode as Record<string, number>)[err.code]
    if (code !== undefined) return code
    if (err.code === 'LOG_CLOSED') return ErrorCode.NOT_LEADER_OR_FOLLOWER
    return ErrorCode.KAFKA_STORAGE_ERROR
  }
  // An OS error from a file operation (ENOSPC, EIO, EROFS ...) is Kafka's KafkaStorageException.
  if (isIoError(err)) return ErrorCode.KAFKA_STORAGE_ERROR
  return ErrorCode.UNKNOWN_SERVER_ERROR
}
