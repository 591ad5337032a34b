/**
 * The admin client: topics, configs, consumer groups and their offsets, partition offsets and
 * records, reassignments and leader elections, transactions, ACLs, the cluster. Works against any Kafka broker: each request goes at the highest
 * version both sides know, and a feature an old broker lacks fails with UNSUPPORTED_VERSION.
 *
 * Every method takes optional `{ timeoutMs, signal }` last; `timeoutMs` bounds the whole call,
 * retries included (default `defaultApiTimeoutMs`, Kafka's default.api.timeout.ms). How errors
 * come back is the same everywhere and described in common.ts: per-item failures as one
 * AdminError with `failures` and the partial `results`, failures of the whole call as
 * themselves. The work is done in one file per concept (topics, configs, groups,
 * group-offsets, offsets, cluster-info); this class holds the client and the call plumbing.
 */
import { createAcls, deleteAcls, describeAcls, type AclBinding, type AclBindingFilter } from './acls.js'
import { alterClientQuotas, describeClientQuotas, type ClientQuotaAlteration, type ClientQuotaEntry, type ClientQuotaFilterComponent } from './client-quotas.js'
import { alterUserScramCredentials, describeUserScramCredentials, type UserScramCredentialAlteration, type UserScramCredentialsDescription } from './scram-credentials.js'
import { Cluster } from '../base/cluster.js'
import { ClientError } from '../base/errors.js'
import type { TopicPartition } from '../base/types.js'
import { describeCluster, describeLogDirs } from './cluster-info.js'
import { Call } from './common.js'
import { alterConfigs, describeConfigs, type DescribeConfigsOptions } from './configs.js'
import { alterGroupOffsets, deleteGroupOffsets, groupLag, listGroupOffsets, resetGroupOffsets, type ListGroupOffsetsOptions } from './group-offsets.js'
import { deleteGroups, describeGroups, listGroups, type ListGroupsOptions } from './groups.js'
import { deleteRecords, listOffsets, type IsolationLevel } from './offsets.js'
import { resolveAdminOptions, type AdminOptions, type CallOptions, type ResolvedAdminOptions } from './options.js'
import { alterPartitionReassignments, electLeaders, listPartitionReassignments } from './reassignments.js'
import {
  abortTransaction,
  describeProducers,
  describeTransactions,
  listTransactions,
  type AbortTransactionSpec,
  type ListTransactionsOptions,
  type PartitionProducers,
  type TransactionDescription,
  type TransactionListing,
} from './transactions.js'
import { createPartitions, createTopics, deleteTopics, describeTopics, listTopics } from './topics.js'
import type {
  BrokerLogDirs,
  ClusterDescription,
  CommittedOffset,
  ConfigAlteration,
  ConfigResource,
  CreatedTopic,
  DeletedRecords,
  ElectionResult,
  ElectionType,
  GroupDescription,
  GroupListing,
  ListedOffset,
  NewPartitions,
  NewTopic,
  OffsetQuery,
  OffsetToCommit,
  PartitionLag,
  PartitionReassignment,
  PlannedOffset,
  ReassignmentTarget,
  RecordsToDelete,
  ResetOffsetsRequest,
  ResourceConfig,
  TopicDescription,
} from './types.js'

export class Admin {
  private readonly opts: ResolvedAdminOptions
  private readonly cluster: Cluster

  constructor(options: AdminOptions) {
    this.opts = resolveAdminOptions(options)
    this.cluster = new Cluster(this.opts)
  }

  /** Starts a call; after close() every call fails with CLIENT_CLOSED. */
  private call(operation: string, o: CallOptions = {}): Call {
    if (this.cluster.isClosed) throw new ClientError('CLIENT_CLOSED', `${operation}: the admin client is closed`)
    const timeoutMs = o.timeoutMs ?? this.opts.defaultApiTimeoutMs
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new ClientError('INVALID_OPTION', `${operation}: timeoutMs must be a positive integer, got ${String(timeoutMs)}`)
    return new Call(this.cluster, operation, timeoutMs, o.signal)
  }

  // ---- topics ----------------------------------------------------------------------------------

  /** CreateTopics at the controller; `validateOnly` checks without creating. */
  async createTopics(topics: NewTopic[], o: CallOptions & { validateOnly?: boolean } = {}): Promise<CreatedTopic[]> {
    return createTopics(this.call('createTopics', o), topics, o.validateOnly ?? false)
  }

  async deleteTopics(names: string[], o: CallOptions = {}): Promise<void> {
    return deleteTopics(this.call('deleteTopics', o), names)
  }

  /** Topic names, sorted; internal topics (__consumer_offsets...) only with includeInternal. */
  async listTopics(o: CallOptions & { includeInternal?: boolean } = {}): Promise<string[]> {
    return listTopics(this.call('listTopics', o), o.includeInternal ?? false)
  }

  async describeTopics(names: string[], o: CallOptions = {}): Promise<TopicDescription[]> {
    return describeTopics(this.call('describeTopics', o), names)
  }

  /** Grows topics to `count` partitions. */
  async createPartitions(requests: NewPartitions[], o: CallOptions & { validateOnly?: boolean } = {}): Promise<void> {
    return createPartitions(this.call('createPartitions', o), requests, o.validateOnly ?? false)
  }

  // ---- configs ---------------------------------------------------------------------------------

  async describeConfigs(resources: ConfigResource[], o: CallOptions & DescribeConfigsOptions = {}): Promise<ResourceConfig[]> {
    return describeConfigs(this.call('describeConfigs', o), resources, o)
  }

  /** IncrementalAlterConfigs: only the keys named change. */
  async alterConfigs(changes: ConfigAlteration[], o: CallOptions & { validateOnly?: boolean } = {}): Promise<void> {
    return alterConfigs(this.call('alterConfigs', o), changes, o.validateOnly ?? false)
  }

  // ---- groups ----------------------------------------------------------------------------------

  /** Groups of every broker, sorted by id. */
  async listGroups(o: CallOptions & ListGroupsOptions = {}): Promise<GroupListing[]> {
    return listGroups(this.call('listGroups', o), o)
  }

  async describeGroups(groupIds: string[], o: CallOptions = {}): Promise<GroupDescription[]> {
    return describeGroups(this.call('describeGroups', o), groupIds)
  }

  /** Deletes empty groups with their offsets; a group with members fails with NON_EMPTY_GROUP. */
  async deleteGroups(groupIds: string[], o: CallOptions = {}): Promise<void> {
    return deleteGroups(this.call('deleteGroups', o), groupIds)
  }

  /** Committed offsets, sorted by topic and partition; partitions without one are left out. */
  async listGroupOffsets(groupId: string, o: CallOptions & ListGroupOffsetsOptions = {}): Promise<CommittedOffset[]> {
    return listGroupOffsets(this.call('listGroupOffsets', o), groupId, o)
  }

  /** Commits offsets for a group without members (NON_EMPTY_GROUP otherwise). */
  async alterGroupOffsets(groupId: string, offsets: OffsetToCommit[], o: CallOptions = {}): Promise<void> {
    return alterGroupOffsets(this.call('alterGroupOffsets', o), groupId, offsets)
  }

  /** Plans (and unless dryRun commits) new offsets; returns the plan, sorted. */
  async resetGroupOffsets(groupId: string, request: ResetOffsetsRequest, o: CallOptions = {}): Promise<PlannedOffset[]> {
    return resetGroupOffsets(this.call('resetGroupOffsets', o), groupId, request)
  }

  /** OffsetDelete; a partition of a topic the group still consumes fails with GROUP_SUBSCRIBED_TO_TOPIC. */
  async deleteGroupOffsets(groupId: string, partitions: TopicPartition[], o: CallOptions = {}): Promise<void> {
    return deleteGroupOffsets(this.call('deleteGroupOffsets', o), groupId, partitions)
  }

  /** Committed offset, log end offset and lag per partition, sorted. */
  async groupLag(groupId: string, o: CallOptions & { isolationLevel?: IsolationLevel } = {}): Promise<PartitionLag[]> {
    return groupLag(this.call('groupLag', o), groupId, o.isolationLevel)
  }

  // ---- offsets and records ---------------------------------------------------------------------

  /** ListOffsets at each partition's leader; results in the order asked. */
  async listOffsets(queries: OffsetQuery[], o: CallOptions & { isolationLevel?: IsolationLevel } = {}): Promise<ListedOffset[]> {
    return listOffsets(this.call('listOffsets', o), queries, o.isolationLevel)
  }

  /** Deletes records before the given offsets; returns the new low watermarks. */
  async deleteRecords(requests: RecordsToDelete[], o: CallOptions = {}): Promise<DeletedRecords[]> {
    return deleteRecords(this.call('deleteRecords', o), requests)
  }

  // ---- replicas and leaders --------------------------------------------------------------------

  /** Starts (replicas) or cancels (null) partition reassignments; resolves once the controller has them. */
  async alterPartitionReassignments(targets: ReassignmentTarget[], o: CallOptions = {}): Promise<void> {
    return alterPartitionReassignments(this.call('alterPartitionReassignments', o), targets)
  }

  /** Reassignments in progress (of `partitions`, or all), sorted. */
  async listPartitionReassignments(partitions?: TopicPartition[], o: CallOptions = {}): Promise<PartitionReassignment[]> {
    return listPartitionReassignments(this.call('listPartitionReassignments', o), partitions)
  }

  /** Preferred or unclean leader elections; each partition's outcome (null partitions: all that needed one). */
  async electLeaders(type: ElectionType, partitions: TopicPartition[] | null, o: CallOptions = {}): Promise<ElectionResult[]> {
    return electLeaders(this.call('electLeaders', o), type, partitions)
  }

  // ---- transactions ----------------------------------------------------------------------------

  /** ListTransactions at every broker (each lists the ids it coordinates), filtered by state, producer id or duration. */
  async listTransactions(o: CallOptions & ListTransactionsOptions = {}): Promise<TransactionListing[]> {
    return listTransactions(this.call('listTransactions', o), o)
  }

  /** DescribeTransactions at each id's coordinator. */
  async describeTransactions(transactionalIds: string[], o: CallOptions = {}): Promise<TransactionDescription[]> {
    return describeTransactions(this.call('describeTransactions', o), transactionalIds)
  }

  /** DescribeProducers at each partition's leader, or at `brokerId` (a replica's own view). */
  async describeProducers(partitions: TopicPartition[], o: CallOptions & { brokerId?: number } = {}): Promise<PartitionProducers[]> {
    return describeProducers(this.call('describeProducers', o), partitions, o)
  }

  /** Writes an abort marker for the producer's open transaction on one partition (a hanging transaction). */
  async abortTransaction(spec: AbortTransactionSpec, o: CallOptions = {}): Promise<void> {
    return abortTransaction(this.call('abortTransaction', o), spec)
  }

  // ---- cluster ---------------------------------------------------------------------------------

  async describeCluster(o: CallOptions = {}): Promise<ClusterDescription> {
    return describeCluster(this.call('describeCluster', o))
  }

  async describeLogDirs(brokerIds?: number[], o: CallOptions = {}): Promise<BrokerLogDirs[]> {
    return describeLogDirs(this.call('describeLogDirs', o), brokerIds)
  }

  /** Client quotas matching the filter (KIP-546); `strict` leaves out entities with other types. */
  async describeClientQuotas(components: ClientQuotaFilterComponent[], o: CallOptions & { strict?: boolean } = {}): Promise<ClientQuotaEntry[]> {
    return describeClientQuotas(this.call('describeClientQuotas', o), components, o.strict ?? false)
  }

  /** Sets or removes (null) client quota keys; `validateOnly` checks without changing. */
  async alterClientQuotas(alterations: ClientQuotaAlteration[], o: CallOptions & { validateOnly?: boolean } = {}): Promise<void> {
    return alterClientQuotas(this.call('alterClientQuotas', o), alterations, o.validateOnly ?? false)
  }

  // ---- ACLs ------------------------------------------------------------------------------------

  /** CreateAcls; each binding succeeds or fails on its own (an existing ACL succeeds). */
  async createAcls(bindings: AclBinding[], o: CallOptions = {}): Promise<void> {
    return createAcls(this.call('createAcls', o), bindings)
  }

  /** The ACLs a filter selects (MATCH: those that apply to the named resource; ANY: every pattern type with exactly that name). */
  async describeAcls(filter: AclBindingFilter, o: CallOptions = {}): Promise<AclBinding[]> {
    return describeAcls(this.call('describeAcls', o), filter)
  }

  /** Deletes the ACLs each filter matches; per filter, the ACLs it removed. */
  async deleteAcls(filters: AclBindingFilter[], o: CallOptions = {}): Promise<AclBinding[][]> {
    return deleteAcls(this.call('deleteAcls', o), filters)
  }

  /** SCRAM credentials (mechanisms and iterations) of these users, or of every user with one (KIP-554). */
  async describeUserScramCredentials(users?: string[], o: CallOptions = {}): Promise<UserScramCredentialsDescription[]> {
    return describeUserScramCredentials(this.call('describeUserScramCredentials', o), users)
  }

  /** Sets (the password is salted here, never sent) or deletes users' SCRAM credentials. */
  async alterUserScramCredentials(alterations: UserScramCredentialAlteration[], o: CallOptions = {}): Promise<void> {
    return alterUserScramCredentials(this.call('alterUserScramCredentials', o), alterations)
  }

  /** Closes every connection; calls in flight fail, later ones get CLIENT_CLOSED. */
  async close(): Promise<void> {
    this.cluster.close()
  }
}
