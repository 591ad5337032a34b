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
  | 'UNSUPPORTED_COMPRESSION_TYPE'
  | 'INVALID_TIMESTAMP'
  | 'INCONSISTENT_TOPIC_ID'
  | 'INVALID_CONFIG'
  /** Producer state (storage/producer-state/): fencing, sequence gaps, transactions. */
  | 'INVALID_PRODUCER_EPOCH'
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'INVALID_TXN_STATE'
  | 'TRANSACTION_COORDINATOR_FENCED'
  | 'KAFKA_STORAGE_ERROR'
  /** Follower append whose offsets do not continue the log (Kafka's UnexpectedAppendOffsetException). */
  | 'UNEXPECTED_APPEND_OFFSET'
  /** Operation on a log that was closed or deleted. */
  | 'LOG_CLOSED'
  /** meta.properties belongs to another cluster or node. */
  | 'INCONSISTENT_LOG_DIR'

/** One rejected record of a batch (ProduceResponse `recordErrors`): its index in the batch and why. */
export interface RecordError {
  batchIndex: number
  message: string
}

export class StorageError extends Error {
  readonly code: StorageErrorCode
  /** For INVALID_RECORD: the records that caused it, as Kafka lists them in the produce response. */
  readonly recordErrors: readonly RecordError[]
  constructor(code: StorageErrorCode, message: string, options: { cause?: unknown; recordErrors?: readonly RecordError[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StorageError'
    this.code = code
    this.recordErrors = options.recordErrors ?? []
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code)
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

/**
 * An error the operating system raised for a file operation (ENOSPC, EIO, EROFS, EDQUOT, ...).
 * These are Kafka's KafkaStorageException: the disk, not the request, is at fault.
 */
export function isIoError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)
}

/**
 * Turns an OS error from `what` into KAFKA_STORAGE_ERROR with a message that says what to do;
 * other errors pass through unchanged.
 */
export function storageErrorOf(err: unknown, what: string, outcome?: string): unknown {
  if (err instanceof StorageError || !isIoError(err)) return err
  const hint = err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 'free disk space in the log dir and retry' : 'check the disk holding the log dir and retry'
  return new StorageError('KAFKA_STORAGE_ERROR', `${what} failed: ${err.message}${outcome ? `; ${outcome}` : ''}; ${hint}`, { cause: err })
}
