/**
 * Where the replicas of new partitions go: Kafka's assignment (AdminUtils.assignReplicasToBrokers,
 * which `kafka-topics.sh` and the ZooKeeper-era controller used) rebuilt from its description.
 *
 * - Leaders are balanced: the first replica of partition p is broker (start + p) mod n, so each
 *   broker leads about partitions / n of a topic.
 * - Followers follow the leader at a distance that grows by one every n partitions, so that the
 *   followers of one broker's partitions are spread over the others instead of always being its
 *   neighbour.
 * - With racks, brokers are first ordered rack by rack in turn (r1-a, r2-a, r3-a, r1-b, ...), and a
 *   follower is skipped while its rack or the broker itself already holds a replica of that
 *   partition and some rack or broker does not. A broker without a rack counts as a rack of its own
 *   kind, as in KRaft's placer.
 *
 * The start index and shift are random per call unless given (tests pin them), as in Kafka, so
 * that topics created one after another do not all lead on the same broker.
 */
import { KafkaError } from '../protocol/errors.js'

export interface PlacementBroker {
  nodeId: number
  rack: string | null
}

export interface PlacementRequest {
  brokers: readonly PlacementBroker[]
  partitions: number
  replicationFactor: number
  /** Id of the first new partition (CreatePartitions continues a topic); default 0. */
  firstPartition?: number
  /** Where the first leader is in the (rack-ordered) broker list; default random. */
  startIndex?: number
  /** Initial follower distance; default random. */
  shift?: number
  random?: () => number
}

/** One replica list per new partition, leader first. Throws INVALID_REPLICATION_FACTOR when it cannot be met. */
export function placeReplicas(req: PlacementRequest): number[][] {
  const { partitions, replicationFactor } = req
  if (partitions < 0 || !Number.isInteger(partitions)) throw new KafkaError('INVALID_PARTITIONS', `Number of partitions must be larger than 0, got ${partitions}.`)
  if (replicationFactor < 1) throw new KafkaError('INVALID_REPLICATION_FACTOR', `Replication factor must be larger than 0, got ${replicationFactor}.`)
  const sorted = [...req.brokers].sort((a, b) => a.nodeId - b.nodeId)
  if (replicationFactor > sorted.length) {
    throw new KafkaError(
      'INVALID_REPLICATION_FACTOR',
      `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${sorted.length} broker(s) are registered.`,
    )
  }
  const random = req.random ?? Math.random
  const n = sorted.length
  const startIndex = req.startIndex ?? Math.floor(random() * n)
  let shift = req.shift ?? Math.floor(random() * n)
  const rackAware = sorted.some((b) => b.rack !== null)
  const order = rackAware ? rackAlternated(sorted) : sorted
  const rackOf = new Map(order.map((b) => [b.nodeId, b.rack ?? '']))
  const racks = new Set(rackOf.values()).size
  const first = Math.max(0, req.firstPartition ?? 0)
  const out: number[][] = []
  for (let p = first; p < first + partitions; p++) {
    if (p > 0 && p % n === 0) shift++
    const leaderIndex = (p + startIndex) % n
    const replicas = [order[leaderIndex]!.nodeId]
    if (!rackAware) {
      for (let j = 0; j < replicationFactor - 1; j++) replicas.push(order[followerIndex(leaderIndex, shift, j, n)]!.nodeId)
      out.push(replicas)
      continue
    }
    const usedRacks = new Set([rackOf.get(replicas[0]!)!])
    for (let k = 0; replicas.length < replicationFactor && k < n - 1; k++) {
      const b = order[followerIndex(leaderIndex, shift, k, n)]!.nodeId
      const rack = rackOf.get(b)!
      // Skip a rack that already holds a replica while another rack holds none.
      if (usedRacks.has(rack) && usedRacks.size < racks) continue
      replicas.push(b)
      usedRacks.add(rack)
    }
    // Fewer racks than replicas: fill with the remaining brokers in the same order.
    for (let k = 0; replicas.length < replicationFactor && k < n - 1; k++) {
      const b = order[followerIndex(leaderIndex, shift, k, n)]!.nodeId
      if (!replicas.includes(b)) replicas.push(b)
    }
    out.push(replicas)
  }
  return out
}

/** The j-th follower's position: one past the leader plus a distance that never wraps onto it. */
function followerIndex(leaderIndex: number, shift: number, j: number, n: number): number {
  const distance = 1 + ((shift + j) % (n - 1))
  return (leaderIndex + distance) % n
}

/** Brokers ordered one from each rack in turn (racks and brokers in id order). */
function rackAlternated(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>()
  for (const b of brokers) {
    const key = b.rack ?? ''
    const list = byRack.get(key) ?? []
    list.push(b)
    byRack.set(key, list)
  }
  const lists = [...byRack.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, l]) => l)
  const out: PlacementBroker[] = []
  for (let i = 0; out.length < brokers.length; i++) for (const l of lists) if (i < l.length) out.push(l[i]!)
  return out
}
