/**
 * DescribeLogDirs (key 35), versions 0-4.
 *
 * Behaviour:
 * - One result per configured log dir (log.dirs, absolute paths, duplicates once), each with
 *   the topics and partitions whose logs it holds: partitionSize (bytes of all segments),
 *   offsetLag max(high watermark - log end offset, 0) (0 for a leader, as Kafka computes it),
 *   isFutureKey false (no AlterReplicaLogDirs moves).
 * - topics null means every partition; otherwise only the listed partitions, and topics left
 *   with none are omitted (as Kafka). Unknown topics and partitions are simply absent.
 * - v3+: top-level errorCode 0. v4: totalBytes / usableBytes of the dir's file system
 *   (statfs); a dir that cannot be read answers KAFKA_STORAGE_ERROR with no topics.
 *
 * Authorization: DESCRIBE on the cluster; without it an empty answer (v3+: CLUSTER_AUTHORIZATION_FAILED).
 */
import { statfs } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  DescribeLogDirsRequest,
  DescribeLogDirsResponse,
  type DescribeLogDirsResponseDescribeLogDirsResult,
  type DescribeLogDirsResponseDescribeLogDirsTopic,
} from '../../protocol/generated/describe-log-dirs.js'
import { ErrorCode } from '../../protocol/errors.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'

const LONG_MAX = 9223372036854775807n

export const describeLogDirsHandler: Handler<typeof ApiKey.DescribeLogDirs> = {
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  request: DescribeLogDirsRequest,
  response: DescribeLogDirsResponse,
  async handle(req, ctx) {
    // Kafka answers an empty result (v3+: CLUSTER_AUTHORIZATION_FAILED at the top) without DESCRIBE on the cluster.
    if (!authorizeCluster(ctx, 'DESCRIBE')) return { throttleTimeMs: 0, errorCode: ctx.apiVersion >= 3 ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : ErrorCode.NONE, results: [] }
    const wanted = req.topics === null ? undefined : new Set(req.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}\u0000${p}`)))
    type Hosted = { topic: string; partition: number; size: number; offsetLag: number }
    const byDir = new Map<string, Map<string, Hosted[]>>()
    for (const [dir, list] of ctx.broker.replicas.logDirs(wanted && ((topic, partition) => wanted.has(`${topic}\u0000${partition}`)))) {
      const topics = byDir.get(resolve(dir)) ?? new Map<string, Hosted[]>()
      for (const l of list) topics.set(l.topic, [...(topics.get(l.topic) ?? []), l])
      byDir.set(resolve(dir), topics)
    }
    const dirs = [...new Set(ctx.broker.config.get('log.dirs').map((d) => resolve(d)))]
    const results: DescribeLogDirsResponseDescribeLogDirsResult[] = await Promise.all(
      dirs.map(async (logDir) => {
        const topics: DescribeLogDirsResponseDescribeLogDirsTopic[] = [...(byDir.get(logDir) ?? new Map<string, Hosted[]>())]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, parts]) => ({
            name,
            partitions: parts
              .sort((a, b) => a.partition - b.partition)
              .map((l) => ({ partitionIndex: l.partition, partitionSize: BigInt(l.size), offsetLag: BigInt(l.offsetLag), isFutureKey: false })),
          }))
        try {
          // Kafka reports Long.MAX_VALUE when the JVM cannot size a very large volume; statfs can.
          const fs = await statfs(logDir, { bigint: true })
          const totalBytes = fs.blocks * fs.bsize
          const usableBytes = fs.bavail * fs.bsize
          return { errorCode: ErrorCode.NONE, logDir, topics, totalBytes: totalBytes > LONG_MAX ? LONG_MAX : totalBytes, usableBytes: usableBytes > LONG_MAX ? LONG_MAX : usableBytes }
        } catch (err) {
          ctx.broker.logger.warn('cannot describe a log dir', { logDir, error: (err as Error).message })
          return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir, topics: [], totalBytes: -1n, usableBytes: -1n }
        }
      }),
    )
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results }
  },
}
