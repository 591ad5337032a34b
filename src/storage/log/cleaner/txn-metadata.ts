/**
 * The transactions a cleaning pass walks through (Kafka's CleanedTransactionMetadata), fed every
 * batch in offset order:
 * - a transactional data batch whose producer has an aborted transaction open at that point (from
 *   the .txnindex entries over the range) is aborted: its records go, and the transaction is
 *   marked as still having data in the log this pass;
 * - an abort marker is discardable once a pass met none of its transaction's data; until then its
 *   .txnindex entry is kept (read_committed consumers need it while aborted data or an emptied
 *   header of it remains), and once discardable the entry goes: the marker outlives it, which
 *   consumers tolerate, while an entry without its marker would make them skip that producer's
 *   later committed records;
 * - a commit marker is discardable once a pass met no batch of its transaction.
 * A pass must start at the log start, so every batch of a transaction whose marker it reaches
 * has been seen. Discardable markers still wait out delete.retention.ms (cleaner.ts, KIP-534).
 */
import type { AbortedTxn } from '../../index/txn-index.js'

export interface TxnBatch {
  producerId: bigint
  lastOffset: number
  isTransactional: boolean
}

export class CleanedTransactionMetadata {
  /** Aborted transactions not reached yet, by first offset. */
  private readonly pending: AbortedTxn[]
  /** Aborted transactions reached and not ended, by producer; `seen`: a batch of it was met. */
  private readonly ongoingAborted = new Map<bigint, { txn: AbortedTxn; seen: boolean }>()
  /** Producers with a committed (not aborted) transaction met and its marker not reached yet. */
  private readonly ongoingCommitted = new Set<bigint>()

  constructor(aborted: readonly AbortedTxn[]) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset)
  }

  /** A data batch: true if it belongs to an aborted transaction (all its records go). */
  onBatchRead(batch: TxnBatch): boolean {
    this.reach(batch.lastOffset)
    if (!batch.isTransactional) return false
    const aborted = this.ongoingAborted.get(batch.producerId)
    if (aborted) {
      aborted.seen = true
      return true
    }
    this.ongoingCommitted.add(batch.producerId)
    return false
  }

  /**
   * A commit or abort marker: whether it may be discarded (no data of its transaction met this
   * pass), and for an abort with no data left, its .txnindex entry, which may go now.
   */
  onMarkerRead(batch: TxnBatch, commit: boolean): { discardable: boolean; dropEntry?: AbortedTxn } {
    this.reach(batch.lastOffset)
    const committedSeen = this.ongoingCommitted.delete(batch.producerId)
    if (commit) return { discardable: !committedSeen }
    const aborted = this.ongoingAborted.get(batch.producerId)
    this.ongoingAborted.delete(batch.producerId)
    if (aborted?.seen) return { discardable: false }
    // Data taken for committed though an abort ends it (its .txnindex entry was lost): keep the marker.
    if (committedSeen) return { discardable: false }
    return aborted ? { discardable: true, dropEntry: aborted.txn } : { discardable: true }
  }

  private reach(offset: number): void {
    while (this.pending.length > 0 && this.pending[0]!.firstOffset <= offset) {
      const txn = this.pending.shift()!
      if (!this.ongoingAborted.has(txn.producerId)) this.ongoingAborted.set(txn.producerId, { txn, seen: false })
    }
  }
}
