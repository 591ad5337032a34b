/**
 * Errors storage reports to the broker. Codes are Kafka error names (as in
 * src/protocol/errors.ts) so a handler can answer with `ErrorCode[err.code]` without storage
 * depending on the protocol layer; the few that are not wire errors say so.
 */
export type StorageErrorCode =
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_MESSAGE'
  | 'INVALID_RECORD'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'UNSUPPORTED_FOR_MESSAGE_FORMAT'
  | 'INCONSISTENT_TOPIC_ID'
  | 'INVALID_CONFIG'
  | 'KAFKA_STORAGE_ERROR'
  /** Follower append whose offsets do not continue the log (Kafka's UnexpectedAppendOffsetException). */
  | 'UNEXPECTED_APPEND_OFFSET'
  /** Operation on a log that was closed or deleted. */
  | 'LOG_CLOSED'
  /** meta.properties belongs to another cluster or node. */
  | 'INCONSISTENT_LOG_DIR'

export class StorageError extends Error {
  readonly code: StorageErrorCode
  constructor(code: StorageErrorCode, message: string) {
    super(message)
    this.name = 'StorageError'
    this.code = code
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code)
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}
