/**
 * The consumer's side of a rebalance (Java's ConsumerCoordinator.onJoinPrepare /
 * onJoinComplete / onLeavePrepare): what is committed, revoked, lost and assigned, and when the
 * application's listener hears about it. Runs inside `poll()` / `next()`.
 *
 * EAGER (range, roundrobin, sticky): before joining, commit the delivered positions
 * (auto-commit), revoke everything (onRevoked), join with nothing owned; then onAssigned with
 * the whole new assignment.
 *
 * COOPERATIVE (cooperative-sticky): before joining, commit, and revoke only partitions of topics
 * no longer subscribed; join while still owning (and delivering) the rest. After the join,
 * partitions that stay are untouched; those that go are committed, revoked (onRevoked) and
 * given up, and since another member is waiting for them the member rejoins at once (the
 * second round hands them over). onAssigned gets only the new partitions.
 *
 * Lost (either protocol): when the member's generation or id was reset (session expired, poll
 * interval exceeded, fenced generation) its partitions may already be someone else's. They are
 * given up without a commit, through onLost (onRevoked when the listener has no onLost).
 */
import type { TopicPartition } from '../base/types.js'
import { tpKey } from '../base/types.js'
import type { Logger } from '../../util/logger.js'
import type { GroupMember, JoinResult } from './group-member.js'
import type { ResolvedConsumerOptions } from './options.js'
import type { SubscriptionState } from './subscription-state.js'
import type { CommitOffset } from './types.js'

export interface RebalancerDeps {
  opts: ResolvedConsumerOptions
  subs: SubscriptionState
  logger: Logger
  /** Synchronous commit that logs rather than throws. */
  commit(offsets: CommitOffset[], why: string): Promise<void>
  /** Replaces the assignment (dropping buffered data of partitions that leave). */
  apply(partitions: readonly TopicPartition[]): void
  /** An error for the application's next poll (a listener that threw). */
  report(e: Error): void
}

type Callback = 'onAssigned' | 'onRevoked' | 'onLost'

function minus(a: readonly TopicPartition[], b: readonly TopicPartition[]): TopicPartition[] {
  const keys = new Set(b.map((tp) => tpKey(tp.topic, tp.partition)))
  return a.filter((tp) => !keys.has(tpKey(tp.topic, tp.partition)))
}

export class Rebalancer {
  constructor(private readonly d: RebalancerDeps) {}

  private get cooperative(): boolean {
    return this.d.opts.rebalanceProtocol === 'COOPERATIVE'
  }

  private positionsOf(tps: readonly TopicPartition[]): CommitOffset[] {
    const keys = new Set(tps.map((tp) => tpKey(tp.topic, tp.partition)))
    return this.d.subs.consumedOffsets().filter((o) => keys.has(tpKey(o.topic, o.partition)))
  }

  /**
   * Gives up everything as lost when the membership was reset; true if it was. Runs at the next
   * poll after the reset (before any other record is handed out), not only at the next join.
   */
  async dropIfLost(m: GroupMember): Promise<boolean> {
    if (!m.lost) return false
    m.lost = false
    const owned = this.d.subs.assignedPartitions()
    if (owned.length > 0) {
      this.d.logger.warn('partitions lost: this member was removed from the group', { group: this.d.opts.groupId, partitions: owned.length })
      this.d.apply([])
      await this.invoke('onLost', owned)
    }
    return true
  }

  async onJoinPrepare(m: GroupMember): Promise<void> {
    if (await this.dropIfLost(m)) return
    if (m.generationId < 0) return
    const owned = this.d.subs.assignedPartitions()
    if (this.d.opts.enableAutoCommit) await this.d.commit(this.d.subs.consumedOffsets(), 'before rebalancing')
    if (!this.cooperative) {
      if (owned.length > 0) {
        await this.invoke('onRevoked', owned)
        this.d.apply([])
      }
      return
    }
    const subscribed = new Set(this.d.subs.topics)
    const gone = owned.filter((tp) => !subscribed.has(tp.topic))
    if (gone.length > 0) {
      await this.invoke('onRevoked', gone)
      this.d.apply(minus(owned, gone))
    }
  }

  async onJoinComplete(m: GroupMember, result: JoinResult): Promise<void> {
    await this.dropIfLost(m)
    const assigned = result.partitions
    const subscribed = new Set(this.d.subs.topics)
    const foreign = assigned.filter((tp) => !subscribed.has(tp.topic))
    if (foreign.length > 0 && this.d.subs.mode === 'topics') {
      // The leader used an older view of our subscription; Java rejoins too.
      m.requestRejoin('the assignment names topics this member does not subscribe to')
    }
    this.d.logger.info('partitions assigned', { group: this.d.opts.groupId, generation: result.generationId, partitions: assigned.map((tp) => tpKey(tp.topic, tp.partition)) })
    if (!this.cooperative) {
      this.d.apply(assigned)
      await this.invoke('onAssigned', assigned)
      return
    }
    const owned = this.d.subs.assignedPartitions()
    const revoked = minus(owned, assigned)
    const added = minus(assigned, owned)
    if (revoked.length > 0) {
      if (this.d.opts.enableAutoCommit) await this.d.commit(this.positionsOf(revoked), 'of revoked partitions')
      await this.invoke('onRevoked', revoked)
      m.requestRejoin('partitions were revoked in a cooperative rebalance')
    }
    this.d.apply(assigned)
    await this.invoke('onAssigned', added)
  }

  /** Unsubscribe and close: commit, then onRevoked (onLost if the membership is gone). */
  async revokeAll(m: GroupMember, why: string): Promise<void> {
    if (await this.dropIfLost(m)) return
    const owned = this.d.subs.assignedPartitions()
    if (m.generationId >= 0 && this.d.opts.enableAutoCommit) await this.d.commit(this.d.subs.consumedOffsets(), `on ${why}`)
    if (owned.length === 0) return
    this.d.apply([])
    await this.invoke(m.generationId >= 0 ? 'onRevoked' : 'onLost', owned)
  }

  private async invoke(kind: Callback, partitions: TopicPartition[]): Promise<void> {
    const l = this.d.subs.listener
    if (!l) return
    const fn = kind === 'onLost' ? (l.onLost ?? l.onRevoked) : l[kind]
    if (!fn) return
    try {
      await fn.call(l, partitions)
    } catch (e) {
      this.d.logger.error(`rebalance listener ${kind} failed`, { error: (e as Error).message })
      this.d.report(Object.assign(new Error(`rebalance listener ${kind} threw: ${(e as Error).message}`, { cause: e }), { code: 'LISTENER_FAILED' }))
    }
  }
}
