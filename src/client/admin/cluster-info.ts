/**
 * The cluster itself: DescribeCluster (KIP-700, Kafka 2.8+), or Metadata on brokers without it,
 * and DescribeLogDirs per broker.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { errorByCode } from '../../protocol/errors.js'
import { ClientError } from '../base/errors.js'
import { brokerError, final, finish, groupBy, isTransient, perDestination, retrying, settle, type Call } from './common.js'
import type { BrokerLogDirs, ClusterDescription } from './types.js'

export async function describeCluster(call: Call): Promise<ClusterDescription> {
  return retrying(call, async () => {
    const conn = await call.cluster.anyConnection()
    if (conn.brokerVersions(ApiKey.DescribeCluster)) {
      const version = conn.version(ApiKey.DescribeCluster, 1)
      // endpointType 1 = brokers (v1); controllers are only described by controller endpoints.
      const resp = await conn.request(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1 }, call.request(version))
      const err = brokerError(resp.errorCode, 'cluster', resp.errorMessage)
      if (err) throw err
      const brokers = resp.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack }))
      return { clusterId: resp.clusterId, controllerId: controllerAmong(resp.controllerId, brokers), brokers: brokers.sort((a, b) => a.nodeId - b.nodeId) }
    }
    const resp = await call.cluster.fetchMetadata([])
    const brokers = resp.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null }))
    return { clusterId: resp.clusterId ?? null, controllerId: controllerAmong(resp.controllerId ?? -1, brokers), brokers: brokers.sort((a, b) => a.nodeId - b.nodeId) }
  })
}

/**
 * The controller id only when it names a listed broker: KRaft clusters and librdkafka's mock
 * report ids of nodes clients cannot reach (Kafka's AdminClient likewise gives no controller node).
 */
function controllerAmong(id: number, brokers: Array<{ nodeId: number }>): number | null {
  return brokers.some((b) => b.nodeId === id) ? id : null
}

/** Log dirs of the given brokers (default: every broker in the cluster). */
export async function describeLogDirs(call: Call, brokerIds?: number[]): Promise<BrokerLogDirs[]> {
  const c = call.cluster
  await retrying(call, () => c.fetchMetadata([]))
  const ids = brokerIds ?? [...c.brokers.keys()].sort((a, b) => a - b)
  const s = await settle<number, BrokerLogDirs>(call, ids, isTransient, async (pending, attempt) => {
    if (attempt > 0) await c.fetchMetadata([])
    return perDestination(
      groupBy(pending, (b) => b),
      async (broker) => {
        if (!c.brokers.has(broker)) {
          throw final(new ClientError('INVALID_OPTION', `broker ${broker} is not in the cluster (brokers: ${[...c.brokers.keys()].sort((a, b) => a - b).join(', ')})`))
        }
        const conn = await c.connection(broker)
        const version = conn.version(ApiKey.DescribeLogDirs, 4)
        const resp = await conn.request(ApiKey.DescribeLogDirs, { topics: null }, call.request(version))
        const err = brokerError(resp.errorCode ?? 0, `log dirs of broker ${broker}`)
        return new Map([
          [
            broker,
            err ?? {
              broker,
              logDirs: resp.results.map((d) => ({
                path: d.logDir,
                errorName: d.errorCode === 0 ? null : errorByCode(d.errorCode).name,
                totalBytes: d.totalBytes !== undefined && d.totalBytes >= 0n ? d.totalBytes : null,
                usableBytes: d.usableBytes !== undefined && d.usableBytes >= 0n ? d.usableBytes : null,
                partitions: d.topics
                  .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey })))
                  .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
              })),
            },
          ],
        ])
      },
    )
  })
  return finish(call, ids, s, (b) => `broker ${b}`)
}
