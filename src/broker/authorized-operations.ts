/**
 * The `*AuthorizedOperations` bit fields of Metadata, DescribeCluster, DescribeGroups and
 * DescribeTopicPartitions: bit n set means ACL operation n is allowed (Kafka's AclOperation
 * codes). Without an authorizer Kafka answers every operation the resource type supports, and
 * INT32_MIN when the client did not ask. When ACLs come, the authorizer filters these sets.
 */

/** Kafka's AclOperation codes. */
export const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const

/** The field's value when the client did not ask for authorized operations. */
export const NOT_REQUESTED = -2147483648

const bits = (ops: number[]): number => ops.reduce((acc, op) => acc | (1 << op), 0)
const op = AclOperation

/** What each resource type supports (Kafka's AclEntry.supportedOperations). */
export const SUPPORTED_OPERATIONS = {
  topic: bits([op.READ, op.WRITE, op.CREATE, op.DELETE, op.ALTER, op.DESCRIBE, op.DESCRIBE_CONFIGS, op.ALTER_CONFIGS]),
  group: bits([op.READ, op.DESCRIBE, op.DELETE]),
  cluster: bits([op.CREATE, op.CLUSTER_ACTION, op.DESCRIBE_CONFIGS, op.ALTER_CONFIGS, op.IDEMPOTENT_WRITE, op.ALTER, op.DESCRIBE]),
} as const

/** The bit field to answer: every supported operation when requested (no authorizer), else NOT_REQUESTED. */
export function authorizedOperations(resource: keyof typeof SUPPORTED_OPERATIONS, requested: boolean | undefined): number {
  return requested ? SUPPORTED_OPERATIONS[resource] : NOT_REQUESTED
}
