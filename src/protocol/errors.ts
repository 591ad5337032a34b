/**
 * Kafka protocol error codes: every code Apache Kafka 4.0 defines, from UNKNOWN_SERVER_ERROR (-1)
 * through STREAMS_TOPOLOGY_FENCED (132). Codes and names are part of the wire protocol and must
 * match Kafka's `Errors` enum exactly; `retriable` mirrors whether Kafka's exception for the code is
 * a `RetriableException` (the "Retriable" column of the protocol guide's error table). Messages
 * are our own short descriptions.
 */

export interface ErrorInfo {
  readonly code: number
  readonly name: string
  readonly retriable: boolean
  readonly message: string
}

/** Every Kafka error name mapped to its wire code. */
export const ErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  REPLICA_NOT_AVAILABLE: 9,
  MESSAGE_TOO_LARGE: 10,
  STALE_CONTROLLER_EPOCH: 11,
  OFFSET_METADATA_TOO_LARGE: 12,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SECURITY_DISABLED: 54,
  OPERATION_NOT_ATTEMPTED: 55,
  KAFKA_STORAGE_ERROR: 56,
  LOG_DIR_NOT_FOUND: 57,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  REASSIGNMENT_IN_PROGRESS: 60,
  DELEGATION_TOKEN_AUTH_DISABLED: 61,
  DELEGATION_TOKEN_NOT_FOUND: 62,
  DELEGATION_TOKEN_OWNER_MISMATCH: 63,
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: 64,
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 65,
  DELEGATION_TOKEN_EXPIRED: 66,
  INVALID_PRINCIPAL_TYPE: 67,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  LISTENER_NOT_FOUND: 72,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  STALE_BROKER_EPOCH: 77,
  OFFSET_NOT_AVAILABLE: 78,
  MEMBER_ID_REQUIRED: 79,
  PREFERRED_LEADER_NOT_AVAILABLE: 80,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  ELIGIBLE_LEADERS_NOT_AVAILABLE: 83,
  ELECTION_NOT_NEEDED: 84,
  NO_REASSIGNMENT_IN_PROGRESS: 85,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  THROTTLING_QUOTA_EXCEEDED: 89,
  PRODUCER_FENCED: 90,
  RESOURCE_NOT_FOUND: 91,
  DUPLICATE_RESOURCE: 92,
  UNACCEPTABLE_CREDENTIAL: 93,
  INCONSISTENT_VOTER_SET: 94,
  INVALID_UPDATE_VERSION: 95,
  FEATURE_UPDATE_FAILED: 96,
  PRINCIPAL_DESERIALIZATION_FAILURE: 97,
  SNAPSHOT_NOT_FOUND: 98,
  POSITION_OUT_OF_RANGE: 99,
  UNKNOWN_TOPIC_ID: 100,
  DUPLICATE_BROKER_REGISTRATION: 101,
  BROKER_ID_NOT_REGISTERED: 102,
  INCONSISTENT_TOPIC_ID: 103,
  INCONSISTENT_CLUSTER_ID: 104,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
  FETCH_SESSION_TOPIC_ID_ERROR: 106,
  INELIGIBLE_REPLICA: 107,
  NEW_LEADER_ELECTED: 108,
  OFFSET_MOVED_TO_TIERED_STORAGE: 109,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
  MISMATCHED_ENDPOINT_TYPE: 114,
  UNSUPPORTED_ENDPOINT_TYPE: 115,
  UNKNOWN_CONTROLLER_ID: 116,
  UNKNOWN_SUBSCRIPTION_ID: 117,
  TELEMETRY_TOO_LARGE: 118,
  INVALID_REGISTRATION: 119,
  TRANSACTION_ABORTABLE: 120,
  INVALID_RECORD_STATE: 121,
  SHARE_SESSION_NOT_FOUND: 122,
  INVALID_SHARE_SESSION_EPOCH: 123,
  FENCED_STATE_EPOCH: 124,
  INVALID_VOTER_KEY: 125,
  DUPLICATE_VOTER: 126,
  VOTER_NOT_FOUND: 127,
  INVALID_REGULAR_EXPRESSION: 128,
  REBOOTSTRAP_REQUIRED: 129,
  STREAMS_INVALID_TOPOLOGY: 130,
  STREAMS_INVALID_TOPOLOGY_EPOCH: 131,
  STREAMS_TOPOLOGY_FENCED: 132,
} as const

export type ErrorName = keyof typeof ErrorCode

// [retriable, message] per name. The mapped type makes the compiler reject a missing or extra name.
const DETAILS: { readonly [N in ErrorName]: readonly [retriable: boolean, message: string] } = {
  UNKNOWN_SERVER_ERROR: [false, 'An unexpected error happened on the server while handling the request.'],
  NONE: [false, 'No error.'],
  OFFSET_OUT_OF_RANGE: [false, 'The requested offset lies outside the range the partition holds.'],
  CORRUPT_MESSAGE: [true, 'A record batch is corrupt: bad CRC, invalid size, a null key on a compacted topic, or similar.'],
  UNKNOWN_TOPIC_OR_PARTITION: [true, 'This broker does not host that topic-partition.'],
  INVALID_FETCH_SIZE: [false, 'The fetch size requested is not valid.'],
  LEADER_NOT_AVAILABLE: [true, 'The partition has no leader right now, probably because an election is under way.'],
  NOT_LEADER_OR_FOLLOWER: [true, 'This broker is not the leader (or not a replica) of the partition.'],
  REQUEST_TIMED_OUT: [true, 'The request did not complete in time.'],
  BROKER_NOT_AVAILABLE: [false, 'The broker is not available.'],
  REPLICA_NOT_AVAILABLE: [true, 'The replica for the partition is not available.'],
  MESSAGE_TOO_LARGE: [false, 'A record batch is larger than the largest message the broker accepts.'],
  STALE_CONTROLLER_EPOCH: [false, 'The request came from a controller whose epoch is out of date.'],
  OFFSET_METADATA_TOO_LARGE: [false, 'The metadata attached to the committed offset is too large.'],
  NETWORK_EXCEPTION: [true, 'The connection was closed before a response arrived.'],
  COORDINATOR_LOAD_IN_PROGRESS: [true, 'The coordinator is still loading its state and cannot serve requests yet.'],
  COORDINATOR_NOT_AVAILABLE: [true, 'The coordinator is not available.'],
  NOT_COORDINATOR: [true, 'This broker is not the coordinator for that group or transactional id.'],
  INVALID_TOPIC_EXCEPTION: [false, 'The topic name is invalid or the operation is not allowed on this topic.'],
  RECORD_LIST_TOO_LARGE: [false, 'The record batch is larger than the log segment size.'],
  NOT_ENOUGH_REPLICAS: [true, 'Too few in-sync replicas to accept the write.'],
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: [true, 'The records were appended, but to fewer in-sync replicas than required.'],
  INVALID_REQUIRED_ACKS: [false, 'The produce request asked for an unsupported acks value.'],
  ILLEGAL_GENERATION: [false, 'The group generation id in the request is not the current one.'],
  INCONSISTENT_GROUP_PROTOCOL: [false, "The member's protocols do not match those of the group's other members."],
  INVALID_GROUP_ID: [false, 'The group id is not valid.'],
  UNKNOWN_MEMBER_ID: [false, 'The coordinator does not know this member id.'],
  INVALID_SESSION_TIMEOUT: [false, "The session timeout is outside the broker's allowed range."],
  REBALANCE_IN_PROGRESS: [false, 'The group is rebalancing; the member must rejoin.'],
  INVALID_COMMIT_OFFSET_SIZE: [false, 'The size of the offset commit data is not valid.'],
  TOPIC_AUTHORIZATION_FAILED: [false, 'Not authorized to access the topic.'],
  GROUP_AUTHORIZATION_FAILED: [false, 'Not authorized to access the group.'],
  CLUSTER_AUTHORIZATION_FAILED: [false, 'Not authorized to perform the cluster operation.'],
  INVALID_TIMESTAMP: [false, 'A record timestamp is outside the accepted range.'],
  UNSUPPORTED_SASL_MECHANISM: [false, 'The broker does not support that SASL mechanism.'],
  ILLEGAL_SASL_STATE: [false, 'The request is not allowed in the current SASL state.'],
  UNSUPPORTED_VERSION: [false, 'The broker does not support this API version.'],
  TOPIC_ALREADY_EXISTS: [false, 'A topic with that name already exists.'],
  INVALID_PARTITIONS: [false, 'The partition count is not valid.'],
  INVALID_REPLICATION_FACTOR: [false, 'The replication factor is not valid for this cluster.'],
  INVALID_REPLICA_ASSIGNMENT: [false, 'The replica assignment is not valid.'],
  INVALID_CONFIG: [false, 'The configuration is not valid.'],
  NOT_CONTROLLER: [true, 'This node is not the active controller.'],
  INVALID_REQUEST: [false, 'The request is malformed or not compatible with this broker.'],
  UNSUPPORTED_FOR_MESSAGE_FORMAT: [false, "The request is not supported by the topic's message format version."],
  POLICY_VIOLATION: [false, 'The request breaks a configured policy.'],
  OUT_OF_ORDER_SEQUENCE_NUMBER: [false, 'The broker got a producer sequence number out of order.'],
  DUPLICATE_SEQUENCE_NUMBER: [false, 'The broker got a duplicate producer sequence number.'],
  INVALID_PRODUCER_EPOCH: [false, 'The producer used an epoch that is out of date.'],
  INVALID_TXN_STATE: [false, 'The transactional operation is not valid in the current transaction state.'],
  INVALID_PRODUCER_ID_MAPPING: [false, 'The producer id is not the one assigned to this transactional id.'],
  INVALID_TRANSACTION_TIMEOUT: [false, 'The transaction timeout exceeds the maximum the broker allows.'],
  CONCURRENT_TRANSACTIONS: [true, 'Another operation on the same transaction is still in progress.'],
  TRANSACTION_COORDINATOR_FENCED: [false, 'The transaction coordinator that sent this request is no longer current.'],
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: [false, 'Not authorized to use the transactional id.'],
  SECURITY_DISABLED: [false, 'Security features are turned off on this cluster.'],
  OPERATION_NOT_ATTEMPTED: [false, 'The broker skipped this operation because another part of the batch failed.'],
  KAFKA_STORAGE_ERROR: [true, 'A disk error occurred while accessing the log.'],
  LOG_DIR_NOT_FOUND: [false, 'The log directory is not among those the broker is configured with.'],
  SASL_AUTHENTICATION_FAILED: [false, 'SASL authentication failed.'],
  UNKNOWN_PRODUCER_ID: [false, 'The broker has no state for this producer id, e.g. because its records expired.'],
  REASSIGNMENT_IN_PROGRESS: [false, 'A partition reassignment is already in progress.'],
  DELEGATION_TOKEN_AUTH_DISABLED: [false, 'Delegation tokens are not enabled.'],
  DELEGATION_TOKEN_NOT_FOUND: [false, 'The delegation token does not exist on the server.'],
  DELEGATION_TOKEN_OWNER_MISMATCH: [false, 'The principal is not an owner or renewer of the delegation token.'],
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: [false, 'Delegation token requests are not allowed on this kind of connection.'],
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: [false, 'Not authorized to use the delegation token.'],
  DELEGATION_TOKEN_EXPIRED: [false, 'The delegation token has expired.'],
  INVALID_PRINCIPAL_TYPE: [false, 'The principal type is not supported.'],
  NON_EMPTY_GROUP: [false, 'The group still has members.'],
  GROUP_ID_NOT_FOUND: [false, 'No group with that id exists.'],
  FETCH_SESSION_ID_NOT_FOUND: [true, 'The fetch session id is unknown.'],
  INVALID_FETCH_SESSION_EPOCH: [true, 'The fetch session epoch is not the expected one.'],
  LISTENER_NOT_FOUND: [true, 'The leader has no listener matching the one this request arrived on.'],
  TOPIC_DELETION_DISABLED: [false, 'Deleting topics is disabled.'],
  FENCED_LEADER_EPOCH: [true, "The request's leader epoch is older than the broker's."],
  UNKNOWN_LEADER_EPOCH: [true, "The request's leader epoch is newer than the broker's."],
  UNSUPPORTED_COMPRESSION_TYPE: [false, "The client does not support the partition's compression type."],
  STALE_BROKER_EPOCH: [false, 'The broker epoch in the request is out of date.'],
  OFFSET_NOT_AVAILABLE: [true, 'The new leader has not caught up its high watermark, so the offset cannot be served yet.'],
  MEMBER_ID_REQUIRED: [false, 'The member must obtain a member id before joining the group.'],
  PREFERRED_LEADER_NOT_AVAILABLE: [true, 'The preferred leader is not available.'],
  GROUP_MAX_SIZE_REACHED: [false, 'The group is already at its maximum size.'],
  FENCED_INSTANCE_ID: [false, 'Another member with the same group.instance.id has replaced this one.'],
  ELIGIBLE_LEADERS_NOT_AVAILABLE: [true, 'No eligible leader is available for the partition.'],
  ELECTION_NOT_NEEDED: [true, 'The partition does not need a leader election.'],
  NO_REASSIGNMENT_IN_PROGRESS: [false, 'There is no partition reassignment in progress.'],
  GROUP_SUBSCRIBED_TO_TOPIC: [false, "Cannot delete a topic's offsets while the group is subscribed to it."],
  INVALID_RECORD: [false, 'The broker rejected a record that failed validation.'],
  UNSTABLE_OFFSET_COMMIT: [true, 'Pending transactional offsets must be resolved first.'],
  THROTTLING_QUOTA_EXCEEDED: [true, 'The throttling quota was exceeded.'],
  PRODUCER_FENCED: [false, 'A newer producer with the same transactional id has fenced this one.'],
  RESOURCE_NOT_FOUND: [false, 'The request refers to a resource that does not exist.'],
  DUPLICATE_RESOURCE: [false, 'The request refers to the same resource more than once.'],
  UNACCEPTABLE_CREDENTIAL: [false, 'The credential does not meet the acceptance criteria.'],
  INCONSISTENT_VOTER_SET: [false, 'The sender or receiver of a voter-only request is not an expected voter.'],
  INVALID_UPDATE_VERSION: [false, 'The update version is not valid.'],
  FEATURE_UPDATE_FAILED: [false, 'Updating finalized features failed because of a server error.'],
  PRINCIPAL_DESERIALIZATION_FAILURE: [false, 'The forwarded request principal could not be deserialized.'],
  SNAPSHOT_NOT_FOUND: [false, 'The requested snapshot does not exist.'],
  POSITION_OUT_OF_RANGE: [false, 'The requested position is outside the snapshot.'],
  UNKNOWN_TOPIC_ID: [true, 'This broker does not host a topic with that id.'],
  DUPLICATE_BROKER_REGISTRATION: [false, 'That broker id is already registered.'],
  BROKER_ID_NOT_REGISTERED: [false, 'That broker id is not registered.'],
  INCONSISTENT_TOPIC_ID: [true, "The topic id in the request does not match the log's topic id."],
  INCONSISTENT_CLUSTER_ID: [false, "The cluster id in the request does not match the server's."],
  TRANSACTIONAL_ID_NOT_FOUND: [false, 'The transactional id does not exist.'],
  FETCH_SESSION_TOPIC_ID_ERROR: [true, 'The fetch session used topic ids inconsistently.'],
  INELIGIBLE_REPLICA: [false, 'The proposed ISR includes a replica that is not eligible.'],
  NEW_LEADER_ELECTED: [false, 'The partition state was updated, but the leader has since changed.'],
  OFFSET_MOVED_TO_TIERED_STORAGE: [false, 'The requested offset now lives only in tiered storage.'],
  FENCED_MEMBER_EPOCH: [false, 'The member epoch was fenced; the member must give up its partitions and rejoin.'],
  UNRELEASED_INSTANCE_ID: [false, 'Another member still holds this instance id and must leave first.'],
  UNSUPPORTED_ASSIGNOR: [false, 'The group does not support the requested assignor or its versions.'],
  STALE_MEMBER_EPOCH: [false, 'The member epoch is stale; retry once the heartbeat returns the current one.'],
  MISMATCHED_ENDPOINT_TYPE: [false, 'The request was sent to the wrong kind of endpoint.'],
  UNSUPPORTED_ENDPOINT_TYPE: [false, 'This endpoint type is not supported.'],
  UNKNOWN_CONTROLLER_ID: [false, 'No controller with that id is known.'],
  UNKNOWN_SUBSCRIPTION_ID: [false, 'The telemetry subscription id is unknown or out of date.'],
  TELEMETRY_TOO_LARGE: [false, 'The pushed telemetry is larger than the broker accepts.'],
  INVALID_REGISTRATION: [false, 'The controller considers the broker registration invalid.'],
  TRANSACTION_ABORTABLE: [false, 'The transaction hit an error; abort it to keep using the transactional id.'],
  INVALID_RECORD_STATE: [false, 'The record is in a state that does not allow this acknowledgement.'],
  SHARE_SESSION_NOT_FOUND: [true, 'The share session does not exist.'],
  INVALID_SHARE_SESSION_EPOCH: [true, 'The share session epoch is not the expected one.'],
  FENCED_STATE_EPOCH: [false, 'The share-group state epoch does not match the coordinator.'],
  INVALID_VOTER_KEY: [false, "The voter key does not match the receiving replica's key."],
  DUPLICATE_VOTER: [false, 'The voter is already in the voter set.'],
  VOTER_NOT_FOUND: [false, 'The voter is not in the voter set.'],
  INVALID_REGULAR_EXPRESSION: [false, 'The regular expression is not valid.'],
  REBOOTSTRAP_REQUIRED: [false, 'The client metadata is stale; the client must bootstrap again.'],
  STREAMS_INVALID_TOPOLOGY: [false, 'The Streams topology is not valid.'],
  STREAMS_INVALID_TOPOLOGY_EPOCH: [false, 'The Streams topology epoch is not valid.'],
  STREAMS_TOPOLOGY_FENCED: [false, 'The Streams topology epoch is out of date.'],
}

const MIN_CODE = -1

/** Every Kafka error, ordered by code. */
export const ERRORS: readonly ErrorInfo[] = Object.freeze(
  (Object.keys(ErrorCode) as ErrorName[])
    .map((name): ErrorInfo => {
      const [retriable, message] = DETAILS[name]
      return Object.freeze({ code: ErrorCode[name], name, retriable, message })
    })
    .sort((a, b) => a.code - b.code),
)

// Codes are dense from -1, so the table is indexed by code - MIN_CODE.
const BY_CODE: readonly (ErrorInfo | undefined)[] = (() => {
  const table: (ErrorInfo | undefined)[] = []
  for (const e of ERRORS) table[e.code - MIN_CODE] = e
  return table
})()

const BY_NAME = new Map<string, ErrorInfo>(ERRORS.map((e) => [e.name, e]))

/** The error for a wire code; codes Kafka does not define get a synthetic, non-retriable entry. */
export function errorByCode(code: number): ErrorInfo {
  const known = Number.isInteger(code) ? BY_CODE[code - MIN_CODE] : undefined
  if (known !== undefined) return known
  return { code, name: `UNKNOWN_ERROR_${code}`, retriable: false, message: `Unknown error code ${code}.` }
}

export function errorByName(name: ErrorName): ErrorInfo {
  const e = BY_NAME.get(name)
  if (e === undefined) throw new TypeError(`unknown Kafka error name ${JSON.stringify(name)}`)
  return e
}

/** Error carrying a Kafka error code, thrown inside the broker/client and mapped onto responses. */
export class KafkaError extends Error {
  override name = 'KafkaError'
  readonly code: number
  readonly errorName: string
  readonly retriable: boolean

  constructor(codeOrName: number | ErrorName, message?: string) {
    const info = typeof codeOrName === 'number' ? errorByCode(codeOrName) : errorByName(codeOrName)
    super(message ?? info.message)
    this.code = info.code
    this.errorName = info.name
    this.retriable = info.retriable
  }
}
