/**
 * The consumer.
 *
 * ```ts
 * const consumer = new Consumer({ bootstrapServers: ['localhost:9092'], groupId: 'g', autoOffsetReset: 'earliest' })
 * await consumer.subscribe(['orders'])              // or a RegExp; group management
 * for await (const record of consumer) { ... }      // one record at a time (ends on close())
 * for await (const batch of consumer.batches()) {}  // one partition's records at a time
 * const records = await consumer.poll({ timeoutMs: 1000 })   // Java-style, up to maxPollRecords
 * await consumer.commit()                           // delivered positions, synchronously
 * await consumer.close()                            // commit (auto-commit), leave the group
 * ```
 *
 * Without a group: `consumer.assign([{ topic, partition }])`, then `seek` / iterate as above.
 * Other operations: `pause`, `resume`, `paused`, `seek`, `seekToBeginning`, `seekToEnd`,
 * `position`, `committed`, `commitAsync`, `assignment`, `subscription`, `unsubscribe`,
 * `groupMetadata`. Records, batches and options are described in types.ts and options.ts.
 *
 * Semantics follow Kafka's Java consumer:
 * - "Delivered" is what the application has received: the record iterator counts a record as
 *   delivered when it hands it out, `poll()` every record it returns. Positions (and so commits)
 *   are the offset after the last delivered record. Automatic commits happen inside `next()` /
 *   `poll()`, so they only cover records the application has finished with (it asked for more).
 * - Rebalances happen inside `next()` / `poll()` too: the listener's onRevoked runs before any
 *   revoked partition's record could be handed out again, and with auto-commit on the positions
 *   are committed first. JoinGroup/SyncGroup run in the background; under the cooperative
 *   protocol owned partitions keep flowing while the group rebalances.
 * - Data is prefetched in the background (see fetcher.ts); records are decoded lazily, one batch
 *   at a time, and handed out synchronously from the decoded batch.
 * - Errors (NO_OFFSET, OFFSET_OUT_OF_RANGE under 'none', corrupt data, authorization, a listener
 *   that threw) are thrown by the next `next()` / `poll()`, once each. A fatal group error
 *   (FENCED_INSTANCE_ID) is thrown by every later call.
 * - One consumer is driven by one loop at a time, as a Java consumer is used by one thread.
 */
import { Cluster } from '../base/cluster.js'
import { ClientError, abortReason } from '../base/errors.js'
import { tpKey, type TopicPartition } from '../base/types.js'
import type { Logger } from '../../util/logger.js'
import { Delivery } from './delivery.js'
import { FetchBuffer } from './fetch-buffer.js'
import { Fetcher } from './fetcher.js'
import { GroupMember } from './group-member.js'
import { OffsetCommitter } from './offset-committer.js'
import { resolveConsumerOptions, type ConsumerOptions, type ResolvedConsumerOptions } from './options.js'
import { PositionResolver } from './position-resolver.js'
import { Rebalancer } from './rebalancer.js'
import { SubscriptionState, type PartitionState } from './subscription-state.js'
import type { CommitOffset, OffsetAndMetadata, ConsumerBatch, ConsumerGroupMetadata, ConsumerRecord, IterateOptions, PollOptions, RebalanceListener } from './types.js'

function checkPartitions(tps: readonly TopicPartition[], what: string): void {
  if (!Array.isArray(tps)) throw new ClientError('INVALID_OPTION', `${what} takes an array of { topic, partition }`)
  for (const tp of tps) {
    if (typeof tp?.topic !== 'string' || tp.topic === '' || !Number.isInteger(tp.partition) || tp.partition < 0) {
      throw new ClientError('INVALID_OPTION', `${what}: ${JSON.stringify(tp)} is not a { topic, partition }`)
    }
  }
}

export class Consumer implements AsyncIterable<ConsumerRecord> {
  readonly options: ResolvedConsumerOptions
  private readonly cluster: Cluster
  private readonly logger: Logger
  private readonly subs: SubscriptionState
  private readonly buffer = new FetchBuffer()
  private readonly fetcher: Fetcher
  private readonly resolver: PositionResolver
  private readonly committer: OffsetCommitter | null
  private readonly rebalancer: Rebalancer
  private readonly delivery: Delivery
  private member: GroupMember | null = null
  private closing: Promise<void> | null = null
  private nextAutoCommit = 0
  private autoCommitTimer: NodeJS.Timeout | undefined
  private metadataTimer: NodeJS.Timeout | undefined

  constructor(options: ConsumerOptions) {
    this.options = resolveConsumerOptions(options)
    const o = this.options
    this.logger = o.logger
    this.cluster = new Cluster(o)
    this.subs = new SubscriptionState()
    this.committer = o.groupId === null ? null : new OffsetCommitter(this.cluster, o, o.groupId, {
      identity: () => {
        const m = this.member
        return m && this.subs.isGroupManaged ? { generationId: m.generationId, memberId: m.memberId, groupInstanceId: o.groupInstanceId } : { generationId: -1, memberId: '', groupInstanceId: null }
      },
      onMembershipError: (code) => {
        if (this.subs.isGroupManaged) this.member?.onMembershipError(code)
      },
    })
    this.delivery = new Delivery(this.buffer, o.maxPollRecords, {
      service: () => this.service(),
      idle: () => {
        this.resolver.kick()
        this.fetcher.wake()
      },
      drained: () => this.fetcher.wake(),
      isClosing: () => this.closing !== null,
    })
    const onError = (e: Error, state?: PartitionState) => this.delivery.report(e, state)
    this.fetcher = new Fetcher(this.cluster, this.subs, this.buffer, o, { onData: () => this.delivery.notify(), onReset: () => this.resolver.kick(), onError }, this.logger)
    this.resolver = new PositionResolver(this.cluster, this.subs, this.committer, o, { onPositions: () => (this.fetcher.wake(), this.delivery.notify()), onError }, this.logger)
    this.rebalancer = new Rebalancer({
      opts: o,
      subs: this.subs,
      logger: this.logger,
      commit: (offsets, why) => this.commitQuietly(offsets, why),
      apply: (tps) => this.applyAssignment(tps),
      report: onError,
    })
  }

  // ---- subscription and assignment ---------------------------------------------------------------

  /**
   * Joins the group for these topics (or every topic matching a RegExp). The join itself
   * happens in the next `poll()` / `next()`; calling again replaces the subscription.
   */
  async subscribe(topics: string[] | string | RegExp, opts: { listener?: RebalanceListener } = {}): Promise<void> {
    this.throwIfClosed()
    if (this.options.groupId === null) throw new ClientError('INVALID_OPTION', 'subscribe() needs the groupId option; use assign() to read without a group')
    if (this.subs.mode === 'manual') throw new ClientError('ILLEGAL_STATE', 'the consumer has a manual assignment; call unsubscribe() before subscribe()')
    const listener = opts.listener ?? this.options.rebalanceListener
    if (topics instanceof RegExp) {
      this.subs.subscribePattern(topics, listener)
    } else {
      const list = typeof topics === 'string' ? [topics] : topics
      if (!Array.isArray(list) || list.some((t) => typeof t !== 'string' || t === '')) throw new ClientError('INVALID_OPTION', 'subscribe() takes topic names, or a RegExp')
      if (list.length === 0) return this.unsubscribe()
      this.subs.subscribeTopics(list, listener)
      this.cluster.track(list)
    }
    if (!this.member) {
      this.member = new GroupMember(this.cluster, this.options, {
        subscribedTopics: () => this.subs.topics,
        ownedPartitions: () => this.subs.assignedPartitions(),
        pollIdleMs: () => this.delivery.pollIdleMs(),
        beforeJoin: () => this.refreshSubscription(),
        wake: () => this.delivery.wake(),
        onError: (e) => this.delivery.report(e),
      }, this.logger.child({ group: this.options.groupId }))
    } else this.member.checkMetadata()
    this.startTimers()
    this.delivery.wake()
  }

  /** Reads these partitions without group management (commits still go to groupId, if set). */
  assign(partitions: TopicPartition[]): void {
    this.throwIfClosed()
    checkPartitions(partitions, 'assign()')
    if (this.subs.isGroupManaged) throw new ClientError('ILLEGAL_STATE', 'the consumer is subscribed; call unsubscribe() before assign()')
    if (this.options.enableAutoCommit) {
      const keep = new Set(partitions.map((tp) => tpKey(tp.topic, tp.partition)))
      const leaving = this.subs.consumedOffsets().filter((o) => !keep.has(tpKey(o.topic, o.partition)))
      if (leaving.length > 0) this.commitAsync(leaving)
    }
    this.subs.assignManual(partitions)
    this.afterAssignmentChange()
    this.cluster.track(this.subs.topics)
    this.startTimers()
  }

  /** Leaves the group (revoking the assignment) or drops the manual assignment. */
  async unsubscribe(): Promise<void> {
    this.throwIfClosed()
    const m = this.member
    if (m && this.subs.isGroupManaged) {
      await this.rebalancer.revokeAll(m, 'unsubscribe')
      m.close()
      await m.leave('the consumer unsubscribed')
      this.member = null
    }
    this.subs.unsubscribe()
    this.afterAssignmentChange()
  }

  assignment(): TopicPartition[] {
    return this.subs.assignedPartitions()
  }

  /** Subscribed topics (a RegExp's current matches). */
  subscription(): string[] {
    return this.subs.isGroupManaged ? [...this.subs.topics] : []
  }

  /** For a transactional producer's sendOffsetsToTransaction (KIP-447). */
  groupMetadata(): ConsumerGroupMetadata {
    if (this.options.groupId === null) throw new ClientError('INVALID_OPTION', 'groupMetadata() needs the groupId option')
    const m = this.subs.isGroupManaged ? this.member : null
    return { groupId: this.options.groupId, generationId: m?.generationId ?? -1, memberId: m?.memberId ?? '', groupInstanceId: this.options.groupInstanceId }
  }

  /** Called by the rebalancer: the assignment the group gave us (or none). */
  private applyAssignment(tps: readonly TopicPartition[]): void {
    this.subs.setAssignment(tps)
    this.cluster.track(new Set(tps.map((tp) => tp.topic)))
    this.afterAssignmentChange()
  }

  /** After revocations, seeks and resets: stale buffered data goes, lookups and fetches start. */
  private afterAssignmentChange(): void {
    this.buffer.purge()
    this.delivery.forget()
    this.resolver.kick()
    this.fetcher.wake()
    this.delivery.notify()
  }

  /** RegExp subscriptions: the topics matching now. Topic lists: their metadata (auto-creating them where allowed). */
  private async refreshSubscription(): Promise<void> {
    if (this.subs.mode === 'pattern') {
      await this.cluster.fetchMetadata(null)
      const internal = (t: string) => this.options.excludeInternalTopics && (this.cluster.topics.get(t)?.isInternal ?? false)
      if (this.subs.matchPattern(this.cluster.topics.keys(), internal)) this.cluster.track(this.subs.topics)
    } else if (this.subs.topics.length > 0) {
      await this.cluster.fetchMetadata([...new Set([...this.cluster.trackedTopics, ...this.subs.topics])], this.options.allowAutoCreateTopics)
    }
  }

  private startTimers(): void {
    if (!this.metadataTimer) {
      this.metadataTimer = setInterval(() => {
        const refresh = this.subs.mode === 'pattern' || this.subs.mode === 'topics' ? this.refreshSubscription() : this.cluster.refresh()
        refresh.then(
          () => this.member?.checkMetadata(),
          (e: Error) => this.logger.debug('metadata refresh failed', { error: e.message }),
        )
      }, this.options.metadataMaxAgeMs)
      this.metadataTimer.unref()
    }
    if (this.options.enableAutoCommit && !this.autoCommitTimer) {
      this.nextAutoCommit = Date.now() + this.options.autoCommitIntervalMs
      this.autoCommitTimer = setInterval(() => this.delivery.wake(), this.options.autoCommitIntervalMs)
      this.autoCommitTimer.unref()
    }
  }

  // ---- flow control and positions ----------------------------------------------------------------

  private assigned(tp: TopicPartition, what: string): PartitionState {
    const s = this.subs.get(tp?.topic, tp?.partition)
    if (!s) throw new ClientError('ILLEGAL_STATE', `${what}: ${tp?.topic}-${tp?.partition} is not assigned to this consumer`)
    return s
  }

  /** Stops fetching and delivering these partitions until `resume`; buffered records are kept. */
  pause(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.assigned(tp, 'pause()').paused = true
    this.delivery.forget((s) => s.paused)
  }

  resume(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.assigned(tp, 'resume()').paused = false
    this.fetcher.wake()
    this.delivery.notify()
  }

  paused(): TopicPartition[] {
    return this.subs.assigned().filter((s) => s.paused).map((s) => s.toTopicPartition())
  }

  /** The next record delivered from this partition will be the one at `offset`. */
  seek(tp: TopicPartition, offset: bigint | number): void {
    const o = BigInt(offset)
    if (o < 0n) throw new ClientError('INVALID_OPTION', `seek(): offset ${o} is negative; use seekToBeginning / seekToEnd`)
    this.assigned(tp, 'seek()').seek(o)
    this.afterAssignmentChange()
  }

  seekToBeginning(partitions: TopicPartition[] = this.assignment()): void {
    for (const tp of partitions) this.assigned(tp, 'seekToBeginning()').requestReset('earliest')
    this.afterAssignmentChange()
  }

  seekToEnd(partitions: TopicPartition[] = this.assignment()): void {
    for (const tp of partitions) this.assigned(tp, 'seekToEnd()').requestReset('latest')
    this.afterAssignmentChange()
  }

  /** The offset of the next record to be delivered; looks it up (committed offset or reset policy) if needed. */
  async position(tp: TopicPartition, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<bigint> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.options.defaultApiTimeoutMs)
    for (;;) {
      this.throwIfClosed()
      const s = this.assigned(tp, 'position()')
      if (s.position !== null) return s.position
      if (s.failed) throw new ClientError('NO_OFFSET', `${tp.topic}-${tp.partition} has no position (no committed offset and autoOffsetReset 'none'); seek() first`)
      if (Date.now() >= deadline) throw new ClientError('NO_OFFSET', `no position for ${tp.topic}-${tp.partition} within ${opts.timeoutMs ?? this.options.defaultApiTimeoutMs} ms`, true)
      this.resolver.kick()
      await this.delivery.waitForEvent(deadline, opts.signal)
      if (opts.signal?.aborted) throw abortReason(opts.signal)
    }
  }

  // ---- commits -----------------------------------------------------------------------------------

  private requireCommitter(what: string): OffsetCommitter {
    this.throwIfClosed()
    if (!this.committer) throw new ClientError('INVALID_OPTION', `${what} needs the groupId option`)
    const m = this.member
    if (this.subs.isGroupManaged && m && m.generationId < 0) {
      throw new ClientError('ILLEGAL_STATE', `${what}: this consumer is not a current member of group ${this.options.groupId} (rebalancing or removed); its partitions may belong to another member`, true)
    }
    return this.committer
  }

  /**
   * Commits `offsets` (default: the delivered positions of every assigned partition), retrying
   * retriable errors until the timeout (default defaultApiTimeoutMs).
   */
  async commit(offsets?: CommitOffset[], opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const committer = this.requireCommitter('commit()')
    const list = offsets ?? this.subs.consumedOffsets()
    if (offsets) checkPartitions(offsets, 'commit()')
    await committer.commit(list, { deadline: Date.now() + (opts.timeoutMs ?? this.options.defaultApiTimeoutMs), retry: true, signal: opts.signal })
  }

  /**
   * Sends a commit without waiting and without retrying (Java's commitAsync). The callback gets
   * the outcome; without one, failures are logged.
   */
  commitAsync(offsets?: CommitOffset[], callback?: (error: Error | null, offsets: CommitOffset[]) => void): void {
    let list: CommitOffset[]
    let p: Promise<void>
    try {
      const committer = this.requireCommitter('commitAsync()')
      list = offsets ?? this.subs.consumedOffsets()
      p = committer.commit(list, { deadline: Date.now() + this.options.requestTimeoutMs, retry: false })
    } catch (e) {
      if (callback) queueMicrotask(() => callback(e as Error, offsets ?? []))
      else throw e
      return
    }
    p.then(
      () => callback?.(null, list),
      (e: Error) => (callback ? callback(e, list) : this.logger.warn('asynchronous commit failed', { error: e.message })),
    )
  }

  private async commitQuietly(offsets: CommitOffset[], why: string): Promise<void> {
    if (!this.committer || offsets.length === 0) return
    try {
      await this.committer.commit(offsets, { deadline: Date.now() + this.options.defaultApiTimeoutMs, retry: true })
    } catch (e) {
      this.logger.warn(`automatic commit ${why} failed`, { error: (e as Error).message })
    }
  }

  private maybeAutoCommit(): void {
    if (!this.options.enableAutoCommit || Date.now() < this.nextAutoCommit) return
    const m = this.member
    if (this.subs.isGroupManaged ? !m || m.generationId < 0 || m.isJoining : this.subs.mode !== 'manual') return
    this.nextAutoCommit = Date.now() + this.options.autoCommitIntervalMs
    const offsets = this.subs.consumedOffsets()
    if (offsets.length > 0) this.commitAsync(offsets, (e) => e && this.logger.warn('automatic commit failed', { error: e.message }))
  }

  /** The group's committed offsets for these partitions (offset null where none). */
  async committed(partitions: TopicPartition[], opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<OffsetAndMetadata[]> {
    this.throwIfClosed()
    if (!this.committer) throw new ClientError('INVALID_OPTION', 'committed() needs the groupId option')
    checkPartitions(partitions, 'committed()')
    const m = await this.committer.fetchCommitted(partitions, Date.now() + (opts.timeoutMs ?? this.options.defaultApiTimeoutMs), opts.signal)
    return partitions.map((tp) => m.get(tpKey(tp.topic, tp.partition))!)
  }

  // ---- delivery ---------------------------------------------------------------------------------

  /** Up to maxPollRecords records, waiting up to timeoutMs (default: until some arrive). */
  poll(opts: PollOptions = {}): Promise<ConsumerRecord[]> {
    try {
      this.throwIfClosed()
    } catch (e) {
      return Promise.reject(e)
    }
    return this.delivery.poll(opts)
  }

  /** Records one at a time; ends when the consumer closes. `break` leaves the consumer open. */
  records(opts: IterateOptions = {}): AsyncIterableIterator<ConsumerRecord> {
    return this.delivery.records(opts)
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord> {
    return this.delivery.records()
  }

  /** One partition's records at a time (up to maxPollRecords), with its high watermark. */
  batches(opts: IterateOptions = {}): AsyncGenerator<ConsumerBatch, void, undefined> {
    return this.delivery.batches(opts)
  }

  /** The work at the start of a poll: rebalance steps and automatic commits. */
  private async service(): Promise<void> {
    if (this.closing) return
    const m = this.member
    if (m && this.subs.isGroupManaged) {
      if (m.fatal) throw m.fatal
      await this.rebalancer.dropIfLost(m)
      const done = m.takeCompleted()
      if (done) await this.rebalancer.onJoinComplete(m, done)
      if (m.needsJoin && !this.closing) {
        await this.rebalancer.onJoinPrepare(m)
        m.startJoin()
      }
    }
    this.maybeAutoCommit()
    this.resolver.kick()
    this.fetcher.wake()
  }

  // ---- closing -----------------------------------------------------------------------------------

  private throwIfClosed(): void {
    if (this.closing) throw new ClientError('CLIENT_CLOSED', 'the consumer is closed')
  }

  /**
   * Commits delivered positions (auto-commit), revokes the assignment (onRevoked), leaves the
   * group (dynamic members) and disconnects. Iterations in progress end.
   */
  close(opts: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.doClose(Date.now() + (opts.timeoutMs ?? 30_000))
    return this.closing
  }

  private async doClose(deadline: number): Promise<void> {
    this.delivery.wake()
    clearInterval(this.autoCommitTimer)
    clearInterval(this.metadataTimer)
    await this.delivery.settled()
    const m = this.member
    const goodbye = async () => {
      if (m && this.subs.isGroupManaged) {
        m.close()
        await this.rebalancer.revokeAll(m, 'close')
        await m.leave('the consumer is being closed')
      } else if (this.options.enableAutoCommit && this.subs.mode === 'manual') {
        await this.commitQuietly(this.subs.consumedOffsets(), 'on close')
      }
    }
    let timer: NodeJS.Timeout | undefined
    try {
      // Past the deadline the connections close anyway, failing whatever is still in flight.
      const done = goodbye().catch((e: Error) => this.logger.warn('closing the consumer', { error: e.message }))
      const late = new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))
      await Promise.race([done, late])
    } finally {
      clearTimeout(timer)
      this.resolver.close()
      this.fetcher.close()
      this.cluster.close()
      this.buffer.drop()
      this.delivery.forget(() => true)
      this.delivery.notify()
    }
  }
}
