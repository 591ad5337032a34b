/**
 * DescribeCluster (key 60), versions 0-1.
 *
 * Behaviour:
 * - Lists the live brokers with their advertised addresses on the request's listener and racks, the cluster id, and the
 *   controller id (always one of the listed brokers, -1 otherwise, as Kafka).
 * - v1 endpointType: 1 (brokers) is answered; 2 (controllers) sent to a broker gets
 *   MISMATCHED_ENDPOINT_TYPE, any other value UNSUPPORTED_ENDPOINT_TYPE, as Kafka's brokers do
 *   (clients then ask a controller endpoint, which Samsa does not separate from its brokers).
 * - clusterAuthorizedOperations: INT32_MIN when not requested; when requested, every cluster
 *   operation without an authorizer (as Kafka), those the ACLs allow with one (0 without
 *   DESCRIBE on the cluster). Kafka refuses no principal DescribeCluster itself.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { DescribeClusterRequest, DescribeClusterResponse } from '../../protocol/generated/describe-cluster.js'
import { ErrorCode } from '../../protocol/errors.js'
import { NOT_REQUESTED, SUPPORTED_OPERATIONS } from '../authorized-operations.js'
import { authorizeCluster, authorizedOperationBits } from '../../security/authorizer/broker-authorizer.js'
import { CLUSTER_NAME } from '../../security/authorizer/acl.js'
import { brokerAddress } from '../../metadata/types.js'
import type { Handler } from '../handler.js'

const BROKERS = 1
const CONTROLLERS = 2

export const describeClusterHandler: Handler<typeof ApiKey.DescribeCluster> = {
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  request: DescribeClusterRequest,
  response: DescribeClusterResponse,
  handle(req, ctx) {
    const md = ctx.broker.metadata
    const endpointType = req.endpointType ?? BROKERS
    const refuse = (errorCode: number, errorMessage: string): DescribeClusterResponse => ({
      throttleTimeMs: 0,
      errorCode: ctx.apiVersion === 0 ? ErrorCode.INVALID_REQUEST : errorCode,
      errorMessage,
      endpointType: BROKERS,
      clusterId: '',
      controllerId: -1,
      brokers: [],
      clusterAuthorizedOperations: NOT_REQUESTED,
    })
    if (endpointType === CONTROLLERS) {
      return refuse(ErrorCode.MISMATCHED_ENDPOINT_TYPE, 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER')
    }
    if (endpointType !== BROKERS) return refuse(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, `Unsupported endpoint type ${endpointType}`)
    const brokers = md.brokers().flatMap((b) => {
      const a = brokerAddress(b, ctx.listenerName)
      return a ? [{ brokerId: b.nodeId, host: a.host, port: a.port, rack: b.rack }] : []
    })
    const controllerId = md.controllerId()
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: BROKERS,
      clusterId: md.clusterId,
      controllerId: brokers.some((b) => b.brokerId === controllerId) ? controllerId : -1,
      brokers,
      // Kafka refuses nothing here: the bits are the ACLs' (all without an authorizer), 0 without DESCRIBE on the cluster.
      clusterAuthorizedOperations: !req.includeClusterAuthorizedOperations ? NOT_REQUESTED : authorizeCluster(ctx, 'DESCRIBE') ? authorizedOperationBits(ctx, 'CLUSTER', CLUSTER_NAME, SUPPORTED_OPERATIONS.cluster) : 0,
    }
  },
}
