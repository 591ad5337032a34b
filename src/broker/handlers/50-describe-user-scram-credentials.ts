/**
 * DescribeUserScramCredentials (key 50), version 0 (KIP-554).
 *
 * Behaviour (Kafka's):
 * - `users` null or empty: every user that has a SCRAM credential, with each mechanism and its
 *   iterations (never the salt or keys). Named users: one result each, in request order.
 * - RESOURCE_NOT_FOUND for a named user without credentials; DUPLICATE_RESOURCE for a user
 *   named twice (each occurrence gets the error once, as Kafka reports it per user).
 * - At most MAX_DESCRIBED_USERS named users (INVALID_REQUEST at the top level beyond).
 *
 * Authorization: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED at the top level.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse, type DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult } from '../../protocol/generated/describe-user-scram-credentials.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Handler } from '../handler.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import { SCRAM_MECHANISMS, type ScramCredential, type ScramMechanismName } from '../../security/sasl/scram-credential.js'

export const MAX_DESCRIBED_USERS = 10_000

export const describeUserScramCredentialsHandler: Handler<typeof ApiKey.DescribeUserScramCredentials> = {
  apiKey: ApiKey.DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  request: DescribeUserScramCredentialsRequest,
  response: DescribeUserScramCredentialsResponse,
  handle(req, ctx) {
    if (!authorizeCluster(ctx, 'DESCRIBE')) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', results: [] }
    const table = ctx.broker.metadata.scramCredentials()
    const infos = (mechs: ReadonlyMap<ScramMechanismName, ScramCredential>) =>
      SCRAM_MECHANISMS.filter((m) => mechs.has(m.name)).map((m) => ({ mechanism: m.type, iterations: mechs.get(m.name)!.iterations }))
    if (req.users === null || req.users.length === 0) {
      const results = [...table].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([user, mechs]) => ({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(mechs) }))
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results }
    }
    if (req.users.length > MAX_DESCRIBED_USERS) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `${req.users.length} users in one request; at most ${MAX_DESCRIBED_USERS} are described at once: describe them in several requests, or all users with an empty list`, results: [] }
    }
    const count = new Map<string, number>()
    for (const u of req.users) count.set(u.name, (count.get(u.name) ?? 0) + 1)
    const results: DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult[] = []
    for (const [user, n] of count) {
      const mechs = table.get(user)
      if (n > 1) results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] })
      else if (!mechs) results.push({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] })
      else results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(mechs) })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results }
  },
}
