/**
 * The `*AuthorizedOperations` bit fields of Metadata, DescribeCluster, DescribeGroups and
 * DescribeTopicPartitions: bit n set means ACL operation n is allowed (Kafka's AclOperation
 * codes). Without an authorizer Kafka answers every operation the resource type supports, and
 * INT32_MIN when the client did not ask; with an authorizer it filters these sets
 * (security/authorizer/broker-authorizer.ts authorizedOperationBits).
 */
import { Operation } from '../security/authorizer/acl.js'

/** The field's value when the client did not ask for authorized operations. */
export const NOT_REQUESTED = -2147483648

const bits = (ops: number[]): number => ops.reduce((acc, op) => acc | (1 << op), 0)
const op = Operation

/** What each resource type supports (Kafka's AclEntry.supportedOperations). */
export const SUPPORTED_OPERATIONS = {
  topic: bits([op.READ, op.WRITE, op.CREATE, op.DELETE, op.ALTER, op.DESCRIBE, op.DESCRIBE_CONFIGS, op.ALTER_CONFIGS]),
  group: bits([op.READ, op.DESCRIBE, op.DELETE]),
  cluster: bits([op.CREATE, op.CLUSTER_ACTION, op.DESCRIBE_CONFIGS, op.ALTER_CONFIGS, op.IDEMPOTENT_WRITE, op.ALTER, op.DESCRIBE]),
} as const
