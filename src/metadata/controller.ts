/**
 * The controller's duties, run by the broker that holds the controller election (on the local
 * store, the one broker always does). Written against MetadataStore alone, every change an
 * alterPartition compare-and-swap, so a controller that lost its election mid-way, or two
 * that briefly both think they lead, can never make a change based on a state that is gone.
 *
 * - A broker unregisters (its lease expired, or it shut down): every partition it led gets a new
 *   leader from its live ISR, in replica order, with a new leader epoch, and the dead broker
 *   leaves the ISR; a partition it followed drops it from the ISR (KRaft fences the broker and
 *   does both).
 * - A broker registers: partitions without a leader whose ISR holds it get it as leader.
 * - On becoming controller: one pass over every partition, since the previous controller may
 *   have died half way through a pass.
 * - Reassignments (reassignment.ts): when a reassigning partition changes (the leader took an
 *   added replica into the ISR), it is completed as soon as its target is in sync.
 * - auto.leader.rebalance.enable: every leader.imbalance.check.interval.seconds, preferred
 *   elections for the brokers whose share of preferred partitions led by others is above
 *   leader.imbalance.per.broker.percentage (leader-election.ts).
 *
 * The last replica standing (KIP-966's concern): when no ISR member is alive, the partition
 * gets leader -1 and keeps its ISR as it was; it is NOT shrunk to empty. The ISR is then the set
 * of replicas known to hold every acknowledged record, and only they may lead again: the first
 * of them to come back leads. A replica that fell out of the ISR (it was dead or behind when a
 * leader was alive) is never elected, whatever it holds, unless `unclean.leader.election.enable`
 * is true for the topic: then, with no ISR member alive, the first live replica leads (logged at
 * warn, naming the partition, the replica chosen and the ISR whose records may be lost).
 * What Samsa does not have yet of KIP-966: eligible leader replicas (ELR) and clean-shutdown
 * tracking; when every ISR member crashed at once, the first to return leads even if an unclean
 * shutdown cost it the unflushed tail of its log (as in Kafka before KIP-966).
 */
import { KafkaError } from '../protocol/errors.js'
import { electionPlan, imbalancedPartitions } from './leader-election.js'
import { changePartition, MAX_CAS_ATTEMPTS } from './partition-cas.js'
import { completionPlan, isReassigning, type PartitionPlan } from './reassignment.js'
import type { MetadataChange, MetadataStore, PartitionChange } from './store.js'
import type { PartitionInfo, TopicInfo } from './types.js'
import type { Logger } from '../util/logger.js'
import { systemTime, type Time, type Timer } from '../util/time.js'

/** Kafka's auto.leader.rebalance.enable and leader.imbalance.* keys. */
export interface RebalanceOptions {
  enabled: boolean
  /** leader.imbalance.check.interval.seconds, in ms. */
  intervalMs: number
  /** leader.imbalance.per.broker.percentage. */
  percentage: number
}

export interface ControllerOptions {
  store: MetadataStore
  /** This broker: the controller acts while store.controllerId() is this id. */
  nodeId: number
  logger: Pick<Logger, 'info' | 'warn' | 'error'>
  /** Whether the topic allows unclean leader election (its config, then the broker's); default: its own config only. */
  uncleanLeaderElection?: (topic: TopicInfo) => boolean
  /** Partition changes in flight at once during a pass; default 32. */
  concurrency?: number
  /** Wait before a pass that failed (etcd unreachable) runs again; default 1000 ms. */
  retryMs?: number
  /** The automatic preferred-leader rebalance; default off. */
  rebalance?: RebalanceOptions
  /** Time for the rebalance checks; default the system's (tests pass a ManualTime). */
  time?: Time
}

/** What the controller wants of one partition, given the live brokers; undefined: nothing to do. */
export interface Decision {
  change: Omit<PartitionChange, 'topic' | 'partition' | 'partitionEpoch'>
  unclean: boolean
}

/**
 * The election rule for one partition (pure, for tests and reuse): keep a live leader and drop
 * dead brokers from its ISR; else elect the first live ISR member in replica order; else, with
 * unclean election, the first live replica; else leader -1 with the ISR kept.
 */
export function decide(p: PartitionInfo, live: ReadonlySet<number>, unclean: boolean): Decision | undefined {
  const liveIsr = p.isr.filter((r) => live.has(r))
  if (p.leader !== -1 && live.has(p.leader)) {
    return liveIsr.length === p.isr.length ? undefined : { change: { isr: liveIsr }, unclean: false }
  }
  // An empty ISR (no replica was live when the partition was made) holds no acknowledged
  // record: any live replica may lead it without loss.
  const eligible = p.isr.length === 0 ? p.replicas : p.isr
  const next = p.replicas.find((r) => eligible.includes(r) && live.has(r))
  if (next !== undefined) return { change: { leader: next, leaderEpoch: p.leaderEpoch + 1, isr: p.isr.length === 0 ? [next] : liveIsr }, unclean: false }
  if (unclean) {
    const any = p.replicas.find((r) => live.has(r))
    if (any !== undefined) return { change: { leader: any, leaderEpoch: p.leaderEpoch + 1, isr: [any] }, unclean: true }
  }
  // Nobody may lead: say so (leader -1, a new epoch fences the old leader) and keep the ISR.
  return p.leader === -1 ? undefined : { change: { leader: -1, leaderEpoch: p.leaderEpoch + 1 }, unclean: false }
}

export class Controller {
  private readonly opts: ControllerOptions
  private readonly store: MetadataStore
  private unsubscribe: (() => void) | undefined
  private queue: Promise<void> = Promise.resolve()
  private active = false
  private retryTimer: NodeJS.Timeout | undefined
  private rebalanceTimer: Timer | undefined
  private readonly time: Time
  private closed = false

  constructor(opts: ControllerOptions) {
    this.opts = opts
    this.store = opts.store
    this.time = opts.time ?? systemTime
  }

  /** Follows the store's changes; acts whenever this broker is the controller. */
  start(): void {
    this.unsubscribe = this.store.subscribe((c) => this.onChange(c))
    this.checkActive()
  }

  /** True while this broker is the controller. */
  get isActive(): boolean {
    return this.active
  }

  /** Resolves when the work queued so far is done (tests). */
  settled(): Promise<void> {
    return this.queue
  }

  async close(): Promise<void> {
    this.closed = true
    this.unsubscribe?.()
    clearTimeout(this.retryTimer)
    this.time.clearTimeout(this.rebalanceTimer)
    await this.queue
  }

  private onChange(c: MetadataChange): void {
    if (c.type === 'controllerChanged') {
      this.checkActive()
      return
    }
    if (!this.active) return
    if (c.type === 'brokerUnregistered') {
      const id = c.broker.nodeId
      this.enqueue(`broker ${id} unregistered`, (p) => p.replicas.includes(id))
    } else if (c.type === 'brokerRegistered') {
      const id = c.broker.nodeId
      this.enqueue(`broker ${id} registered`, (p) => p.leader === -1 && p.replicas.includes(id))
    } else if (c.type === 'partitionChanged' && isReassigning(c.partition)) {
      const { topicId } = c.topic
      const n = c.partition.partition
      this.enqueue(`reassignment of ${c.topic.name}-${n}`, (p, t) => t.topicId === topicId && p.partition === n)
    }
  }

  private checkActive(): void {
    const now = this.store.controllerId() === this.opts.nodeId
    if (now === this.active) return
    this.active = now
    this.opts.logger.info(now ? 'this broker is the controller' : 'this broker is no longer the controller', { nodeId: this.opts.nodeId })
    if (now) {
      this.enqueue('became controller', () => true)
      this.scheduleRebalance()
    } else {
      this.time.clearTimeout(this.rebalanceTimer)
      this.rebalanceTimer = undefined
    }
  }

  private scheduleRebalance(): void {
    const r = this.opts.rebalance
    if (!r?.enabled || this.closed) return
    this.time.clearTimeout(this.rebalanceTimer)
    this.rebalanceTimer = this.time.setTimeout(() => {
      this.rebalanceTimer = undefined
      if (!this.active || this.closed) return
      this.queue = this.queue.then(() => this.rebalance(r.percentage)).catch((err: Error) => this.opts.logger.error('leader rebalance failed', { error: err.message }))
      void this.queue.then(() => this.scheduleRebalance())
    }, r.intervalMs)
  }

  /** Preferred elections where the imbalance is above the bound (Kafka's checkAndTriggerAutoLeaderRebalance). */
  private async rebalance(percentage: number): Promise<void> {
    if (!this.active || this.closed) return
    const live = new Set(this.store.brokers().map((b) => b.nodeId))
    const work = imbalancedPartitions(this.store.topics(), live, percentage)
    if (work.length === 0) return
    let moved = 0
    for (const w of work) {
      if (!this.active || this.closed) return
      try {
        const done = await changePartition(this.store, w.topic, w.partition, (p, t) => (t.topicId === w.topicId ? electionPlan(p, 'preferred', new Set(this.store.brokers().map((b) => b.nodeId)), `${w.topic}-${w.partition}`).plan : undefined))
        if (done) moved++
      } catch (err) {
        // ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE: the state moved on since the check.
        if (!(err instanceof KafkaError)) throw err
      }
    }
    this.opts.logger.info('auto leader rebalance: preferred replicas lead again', { partitions: moved, of: work.length })
  }

  /** Runs the rebalance check now (tests; the timer does it every leader.imbalance.check.interval.seconds). */
  checkLeaderImbalance(): Promise<void> {
    this.queue = this.queue.then(() => this.rebalance(this.opts.rebalance?.percentage ?? 10)).catch((err: Error) => this.opts.logger.error('leader rebalance failed', { error: err.message }))
    return this.queue
  }

  private enqueue(reason: string, which: (p: PartitionInfo, t: TopicInfo) => boolean): void {
    this.queue = this.queue.then(() => this.pass(reason, which)).catch((err: Error) => this.opts.logger.error('controller pass failed', { reason, error: err.message }))
  }

  /** Applies the election rule to every partition `which` selects; a pass cut short by etcd runs again later. */
  private async pass(reason: string, which: (p: PartitionInfo, t: TopicInfo) => boolean): Promise<void> {
    if (!this.active || this.closed) return
    const work: Array<{ topic: string; topicId: string; partition: number }> = []
    for (const t of this.store.topics()) for (const p of t.partitions) if (which(p, t)) work.push({ topic: t.name, topicId: t.topicId, partition: p.partition })
    let failed = 0
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < work.length && this.active && !this.closed) {
        const w = work[next++]!
        if (!(await this.settle(w.topic, w.topicId, w.partition))) failed++
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency ?? 32, work.length) }, worker))
    if (failed > 0 && this.active && !this.closed) {
      this.opts.logger.warn('controller pass incomplete; running it again', { reason, failed, of: work.length })
      clearTimeout(this.retryTimer)
      this.retryTimer = setTimeout(() => this.enqueue(`retry of: ${reason}`, which), this.opts.retryMs ?? 1000)
      this.retryTimer.unref()
    }
  }

  /** Brings one partition in line with the live brokers; false when it could not (to be retried). */
  private async settle(topic: string, topicId: string, partition: number): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const t = this.store.topic(topic)
      const p = t?.topicId === topicId ? t.partitions[partition] : undefined
      if (!t || !p) return true
      const live = new Set(this.store.brokers().map((b) => b.nodeId))
      const unclean = this.uncleanAllowed(t)
      const d = this.plan(p, live, unclean)
      if (!d) return true
      try {
        const after = await this.store.alterPartition({ topic, partition, partitionEpoch: p.partitionEpoch, ...d.change })
        if (d.unclean) {
          this.opts.logger.warn('UNCLEAN LEADER ELECTION: no in-sync replica is alive, so an out-of-sync replica leads; records acknowledged by the lost ISR may be gone', {
            topic,
            partition,
            leader: after.leader,
            leaderEpoch: after.leaderEpoch,
            lostIsr: p.isr,
          })
        } else if (after.leader !== p.leader) {
          this.opts.logger.info('partition leader elected', { topic, partition, leader: after.leader, leaderEpoch: after.leaderEpoch, previous: p.leader, isr: after.isr })
        }
        if (isReassigning(p) && !isReassigning(after)) this.opts.logger.info('partition reassignment completed', { topic, partition, replicas: after.replicas, leader: after.leader, leaderEpoch: after.leaderEpoch })
        // An election on a reassigning partition may have made its completion possible.
        if (isReassigning(after) && attempt < MAX_CAS_ATTEMPTS) continue
        return true
      } catch (err) {
        const name = err instanceof KafkaError ? err.errorName : ''
        if (name === 'UNKNOWN_TOPIC_OR_PARTITION') return true
        if (name === 'INVALID_UPDATE_VERSION' && attempt < MAX_CAS_ATTEMPTS) continue
        this.opts.logger.warn('controller could not change a partition', { topic, partition, error: (err as Error).message })
        return false
      }
    }
  }

  /** The election rule first (a dead leader matters most), then a reassignment's completion. */
  private plan(p: PartitionInfo, live: ReadonlySet<number>, unclean: boolean): { change: PartitionPlan; unclean: boolean } | undefined {
    const d = decide(p, live, unclean)
    if (d) return d
    const done = completionPlan(p, live)
    return done ? { change: done, unclean: false } : undefined
  }

  private uncleanAllowed(t: TopicInfo): boolean {
    if (this.opts.uncleanLeaderElection) return this.opts.uncleanLeaderElection(t)
    return t.configs['unclean.leader.election.enable'] === 'true'
  }
}
