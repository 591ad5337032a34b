/**
 * One transactional id's state as the coordinator holds it and `__transaction_state` records it
 * (Kafka's TransactionMetadata, TransactionState). Status codes are Kafka's, on the wire of
 * TransactionLogValue and DescribeTransactions.
 *
 * The life of a transaction (transaction version 1):
 *   Empty / Complete* --AddPartitionsToTxn--> Ongoing --EndTxn--> PrepareCommit | PrepareAbort
 *   --markers written to every partition--> CompleteCommit | CompleteAbort
 * InitProducerId bumps the epoch from Empty / Complete*; on an Ongoing transaction it fences the
 * old producer: the epoch goes up and the transaction is aborted first. A transaction open past
 * its timeout is aborted the same way.
 */
export const enum TxnState {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  Dead = 6,
  PrepareEpochFence = 7,
}

export const TXN_STATE_NAMES: Record<number, string> = {
  [TxnState.Empty]: 'Empty',
  [TxnState.Ongoing]: 'Ongoing',
  [TxnState.PrepareCommit]: 'PrepareCommit',
  [TxnState.PrepareAbort]: 'PrepareAbort',
  [TxnState.CompleteCommit]: 'CompleteCommit',
  [TxnState.CompleteAbort]: 'CompleteAbort',
  [TxnState.Dead]: 'Dead',
  [TxnState.PrepareEpochFence]: 'PrepareEpochFence',
}

export interface TxnMetadata {
  transactionalId: string
  producerId: bigint
  producerEpoch: number
  /** The epoch before the last bump (a retried InitProducerId of that epoch is answered again); -1: none. */
  lastProducerEpoch: number
  timeoutMs: number
  state: TxnState
  /** `topic\u0000partition` of each partition in the transaction. */
  partitions: Set<string>
  /** When the transaction went Ongoing (ms); -1 outside a transaction. */
  startMs: number
  lastUpdateMs: number
}

export function isPrepare(s: TxnState): boolean {
  return s === TxnState.PrepareCommit || s === TxnState.PrepareAbort || s === TxnState.PrepareEpochFence
}

export function isComplete(s: TxnState): boolean {
  return s === TxnState.CompleteCommit || s === TxnState.CompleteAbort || s === TxnState.Empty
}

export function copyMetadata(m: TxnMetadata): TxnMetadata {
  return { ...m, partitions: new Set(m.partitions) }
}
