/**
 * Consumer-group helpers for the interop tests: which group APIs the broker serves, the
 * consumer embedded protocol (subscription / assignment bytes), a raw group member driven
 * request by request over RawClient, and a kafkajs consumer running in its own Node process
 * (so a test can SIGKILL it) that reports what it sees as JSON lines.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs'
import { fileURLToPath } from 'node:url'
import { ErrorCode, errorByCode } from '../../src/protocol/errors.js'
import { ApiKey, type ApiKeyNumber, type RequestOf, type ResponseOf } from '../../src/protocol/generated/api-keys.js'
import { apiByKey } from '../../src/protocol/generated/api-codecs.js'
import { ConsumerProtocolAssignment } from '../../src/protocol/generated/data/consumer-protocol-assignment.js'
import { ConsumerProtocolSubscription } from '../../src/protocol/generated/data/consumer-protocol-subscription.js'
import type { DescribeGroupsResponseDescribedGroup } from '../../src/protocol/generated/describe-groups.js'
import type { JoinGroupRequest, JoinGroupResponse, JoinGroupResponseMember } from '../../src/protocol/generated/join-group.js'
import type { LeaveGroupResponse } from '../../src/protocol/generated/leave-group.js'
import type { SyncGroupRequestAssignment, SyncGroupResponse } from '../../src/protocol/generated/sync-group.js'
import { Reader } from '../../src/protocol/primitives/reader.js'
import { Writer } from '../../src/protocol/primitives/writer.js'
import { startBrokerProcess, type BrokerProcess } from './broker-process.js'
import { decodeResponse, encodeRequest, RawClient } from './raw-client.js'

// ---- cleanup --------------------------------------------------------------------------------------

/**
 * node:test runs t.after hooks first-registered first; clients must disconnect before the broker
 * they talk to stops (or they sit in retries). `defer` runs its functions last-registered first,
 * in one after hook, and never lets one failure skip the rest.
 */
export function deferrer(t: TestContext): (fn: () => unknown) => void {
  const stack: Array<() => unknown> = []
  t.after(async () => {
    for (const fn of stack.reverse()) {
      try {
        await fn()
      } catch {
        // best effort: the test's own assertions already reported what matters
      }
    }
  })
  return (fn) => void stack.push(fn)
}

// ---- which group APIs the broker serves ---------------------------------------------------------

/** The classic group protocol and offset APIs a Kafka consumer needs, by name. */
export const GROUP_APIS = [
  'FindCoordinator',
  'JoinGroup',
  'SyncGroup',
  'Heartbeat',
  'LeaveGroup',
  'OffsetCommit',
  'OffsetFetch',
  'ListGroups',
  'DescribeGroups',
  'DeleteGroups',
  'OffsetDelete',
] as const
export type GroupApi = (typeof GROUP_APIS)[number]

export type ServedVersions = Map<number, { min: number; max: number }>

/** ApiVersions v3 over a fresh connection: every API key the broker advertises, with its range. */
export async function servedVersions(port: number, host = '127.0.0.1'): Promise<ServedVersions> {
  const c = await RawClient.connect(port, host)
  try {
    const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' })
    return new Map(r.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]))
  } finally {
    c.close()
  }
}

/**
 * Fails (never skips) when the broker does not advertise `apis`: these tests are the acceptance
 * tests of the group coordinator, so a missing API is a failure with a message that names it.
 * Returns the advertised ranges as "Name vMIN-MAX" lines for diagnostics.
 */
export async function requireGroupApis(port: number, host: string, apis: readonly GroupApi[] = GROUP_APIS): Promise<string[]> {
  const served = await servedVersions(port, host)
  const missing = apis.filter((name) => !served.has(ApiKey[name]))
  if (missing.length > 0) {
    throw new Error(`the broker does not advertise ${missing.map((n) => `${n} (key ${ApiKey[n]})`).join(', ')} in ApiVersions; group tests need them`)
  }
  return apis.map((name) => {
    const v = served.get(ApiKey[name])!
    return `${name} v${v.min}-${v.max}`
  })
}

/** The highest version both the broker and our codec speak. */
export function pickVersion(served: ServedVersions, apiKey: number): number {
  const s = served.get(apiKey)
  const codec = apiByKey(apiKey)
  if (!s || !codec) throw new Error(`API key ${apiKey} is not served`)
  return Math.min(s.max, codec.request.maxVersion)
}

// ---- consumer embedded protocol ------------------------------------------------------------------

/** ConsumerProtocolSubscription bytes: int16 version, then the struct (Kafka's ConsumerProtocol). */
export function encodeSubscription(topics: string[], userData: Buffer | null = null, version = 0): Buffer {
  const w = new Writer()
  w.writeInt16(version)
  ConsumerProtocolSubscription.write(w, { topics, userData, ownedPartitions: [], generationId: -1, rackId: null }, version)
  return w.toBuffer()
}

export function decodeSubscription(buf: Buffer): { version: number; topics: string[] } {
  const r = new Reader(buf)
  const version = r.readInt16()
  // Readers accept newer versions than they know by reading the fields they know (Kafka's rule).
  const s = ConsumerProtocolSubscription.read(r, Math.min(version, ConsumerProtocolSubscription.maxVersion))
  return { version, topics: s.topics }
}

/** Topic -> sorted partitions. */
export type Assignment = Record<string, number[]>

export function encodeAssignment(a: Assignment, version = 0): Buffer {
  const w = new Writer()
  w.writeInt16(version)
  ConsumerProtocolAssignment.write(
    w,
    { assignedPartitions: Object.entries(a).map(([topic, partitions]) => ({ topic, partitions })), userData: null },
    version,
  )
  return w.toBuffer()
}

/** An empty buffer (a member the leader gave nothing) decodes as no partitions. */
export function decodeAssignment(buf: Buffer): Assignment {
  if (buf.length === 0) return {}
  const r = new Reader(buf)
  const version = r.readInt16()
  const a = ConsumerProtocolAssignment.read(r, Math.min(version, ConsumerProtocolAssignment.maxVersion))
  const out: Assignment = {}
  for (const tp of a.assignedPartitions) out[tp.topic] = [...(out[tp.topic] ?? []), ...tp.partitions].sort((x, y) => x - y)
  return out
}

/** Kafka's RangeAssignor: per topic, members sorted by id take consecutive ranges, the first ones one extra. */
export function rangeAssign(members: JoinGroupResponseMember[], partitionsOf: Record<string, number>): Map<string, Assignment> {
  const out = new Map<string, Assignment>(members.map((m) => [m.memberId, {}]))
  const subs = members.map((m) => ({ id: m.memberId, topics: decodeSubscription(m.metadata).topics }))
  const topics = [...new Set(subs.flatMap((s) => s.topics))].sort()
  for (const topic of topics) {
    const n = partitionsOf[topic]
    if (n === undefined) continue
    const ids = subs.filter((s) => s.topics.includes(topic)).map((s) => s.id).sort()
    const per = Math.floor(n / ids.length)
    const extra = n % ids.length
    ids.forEach((id, i) => {
      const start = i * per + Math.min(i, extra)
      const len = per + (i < extra ? 1 : 0)
      if (len > 0) out.get(id)![topic] = Array.from({ length: len }, (_, k) => start + k)
    })
  }
  return out
}

/** "topic-p" strings of an assignment, sorted. */
export function flatten(a: Assignment): string[] {
  return Object.entries(a)
    .flatMap(([topic, ps]) => ps.map((p) => `${topic}-${p}`))
    .sort()
}

// ---- a raw member ---------------------------------------------------------------------------------

export class GroupError extends Error {
  constructor(
    readonly api: string,
    readonly code: number,
  ) {
    super(`${api} failed: ${errorByCode(code).name} (${code})`)
  }
}

export interface RawMemberOptions {
  groupId: string
  topics: string[]
  /** Partition count per topic, for the range assignment this member runs when it leads. */
  partitionsOf: Record<string, number>
  sessionTimeoutMs?: number
  rebalanceTimeoutMs?: number
  groupInstanceId?: string | null
  clientId?: string
}

export interface MemberEvent {
  at: number
  kind: 'join' | 'sync' | 'heartbeat'
  generation: number
  errorCode: number
}

/**
 * A group member speaking the classic protocol request by request, with the newest versions
 * the broker serves. It never retries on its own except for the MEMBER_ID_REQUIRED round of
 * JoinGroup v4+; `run()` adds the heartbeat loop a real consumer has (rejoin on
 * REBALANCE_IN_PROGRESS) and records every response in `events`.
 */
export class RawMember {
  memberId = ''
  generationId = -1
  leader = ''
  protocolName: string | null = null
  members: JoinGroupResponseMember[] = []
  assignment: Assignment = {}
  readonly events: MemberEvent[] = []
  private running: Promise<void> | undefined
  private stopping = false
  private nextCorrelationId = 1

  private constructor(
    readonly client: RawClient,
    readonly served: ServedVersions,
    readonly opts: RawMemberOptions,
  ) {}

  static async connect(port: number, host: string, served: ServedVersions, opts: RawMemberOptions): Promise<RawMember> {
    return new RawMember(await RawClient.connect(port, host), served, opts)
  }

  get clientId(): string {
    return this.opts.clientId ?? 'samsa-raw-member'
  }

  isLeader(): boolean {
    return this.memberId !== '' && this.memberId === this.leader
  }

  v(apiKey: number): number {
    return pickVersion(this.served, apiKey)
  }

  /** The JoinGroup request this member would send, with `override` applied. */
  joinRequest(override: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
    return {
      groupId: this.opts.groupId,
      sessionTimeoutMs: this.opts.sessionTimeoutMs ?? 30_000,
      rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs ?? 30_000,
      memberId: this.memberId,
      groupInstanceId: this.opts.groupInstanceId ?? null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: encodeSubscription(this.opts.topics) }],
      reason: null,
      ...override,
    }
  }

  /** One JoinGroup round trip; no state change. */
  joinOnce(req: JoinGroupRequest, timeoutMs = 60_000): Promise<JoinGroupResponse> {
    return this.request(ApiKey.JoinGroup, req, timeoutMs)
  }

  /** Joins (answering MEMBER_ID_REQUIRED with the id given), records the generation; throws GroupError. */
  async join(): Promise<JoinGroupResponse> {
    let resp = await this.joinOnce(this.joinRequest())
    if (resp.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = resp.memberId
      resp = await this.joinOnce(this.joinRequest())
    }
    this.events.push({ at: Date.now(), kind: 'join', generation: resp.generationId, errorCode: resp.errorCode })
    if (resp.errorCode !== ErrorCode.NONE) {
      if (resp.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = ''
      throw new GroupError('JoinGroup', resp.errorCode)
    }
    this.memberId = resp.memberId
    this.generationId = resp.generationId
    this.leader = resp.leader
    this.protocolName = resp.protocolName
    this.members = resp.members
    return resp
  }

  /** SyncGroup for the current generation; as leader, sends the range assignment unless `assignments` is given. */
  async sync(assignments?: SyncGroupRequestAssignment[]): Promise<SyncGroupResponse> {
    const given =
      assignments ??
      (this.isLeader() ? [...rangeAssign(this.members, this.opts.partitionsOf)].map(([memberId, a]) => ({ memberId, assignment: encodeAssignment(a) })) : [])
    const resp = await this.request(ApiKey.SyncGroup, {
      groupId: this.opts.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.opts.groupInstanceId ?? null,
      protocolType: 'consumer',
      protocolName: this.protocolName,
      assignments: given,
    })
    this.events.push({ at: Date.now(), kind: 'sync', generation: this.generationId, errorCode: resp.errorCode })
    if (resp.errorCode !== ErrorCode.NONE) throw new GroupError('SyncGroup', resp.errorCode)
    this.assignment = decodeAssignment(resp.assignment)
    return resp
  }

  /** Joins and syncs until a generation completes (rejoining on REBALANCE_IN_PROGRESS). */
  async joinAndSync(): Promise<void> {
    for (;;) {
      await this.join()
      try {
        await this.sync()
        return
      } catch (e) {
        if (e instanceof GroupError && e.code === ErrorCode.REBALANCE_IN_PROGRESS) continue
        throw e
      }
    }
  }

  /** One heartbeat for `generation` (default: ours); returns the error code. */
  async heartbeat(generation = this.generationId): Promise<number> {
    const resp = await this.request(ApiKey.Heartbeat, {
      groupId: this.opts.groupId,
      generationId: generation,
      memberId: this.memberId,
      groupInstanceId: this.opts.groupInstanceId ?? null,
    })
    this.events.push({ at: Date.now(), kind: 'heartbeat', generation, errorCode: resp.errorCode })
    return resp.errorCode
  }

  async leave(): Promise<LeaveGroupResponse> {
    const version = this.v(ApiKey.LeaveGroup)
    return this.request(
      ApiKey.LeaveGroup,
      version >= 3
        ? { groupId: this.opts.groupId, members: [{ memberId: this.memberId, groupInstanceId: this.opts.groupInstanceId ?? null, reason: 'test done' }] }
        : { groupId: this.opts.groupId, memberId: this.memberId },
    )
  }

  /**
   * The consumer's loop in the background: join + sync, then heartbeat every `intervalMs`,
   * rejoining whenever a heartbeat says REBALANCE_IN_PROGRESS. Any other error ends the loop
   * with that error (see `stop()`).
   */
  run(intervalMs = 100): void {
    this.stopping = false
    this.running = (async () => {
      if (this.generationId < 0) await this.joinAndSync()
      while (!this.stopping) {
        await new Promise((r) => setTimeout(r, intervalMs))
        if (this.stopping) break
        const code = await this.heartbeat()
        if (code === ErrorCode.REBALANCE_IN_PROGRESS) await this.joinAndSync()
        else if (code !== ErrorCode.NONE) throw new GroupError('Heartbeat', code)
      }
    })()
    // Surface the failure through stop(); keep an unhandled rejection from killing the runner meanwhile.
    this.running.catch(() => {})
  }

  /** Stops the loop; rethrows the error that ended it, if any. */
  async stop(): Promise<void> {
    this.stopping = true
    await this.running
  }

  /** A position in `events`, for eventsAfter(). */
  mark(): number {
    return this.events.length
  }

  /** Events recorded after `mark()` returned `mark`. */
  eventsAfter(mark: number): MemberEvent[] {
    return this.events.slice(mark)
  }

  close(): void {
    this.stopping = true
    this.client.close()
  }

  private async request<K extends ApiKeyNumber>(apiKey: K, body: RequestOf<K>, timeoutMs = 30_000): Promise<ResponseOf<K>> {
    const version = this.v(apiKey)
    const c = this.client
    // Not RawClient.request: it waits 5 s for a frame, and a JoinGroup may rightly wait longer.
    const correlation = this.nextCorrelationId++
    await c.write(encodeRequest(apiKey, version, correlation, body, this.clientId))
    const resp = decodeResponse<ResponseOf<K>>(await c.nextFrame(timeoutMs), apiKey, version)
    if (resp.correlationId !== correlation) throw new Error(`correlation id ${resp.correlationId}, expected ${correlation}`)
    return resp.body
  }
}

/** DescribeGroups (newest served version) of one group. */
export async function describeGroup(c: RawClient, served: ServedVersions, groupId: string): Promise<DescribeGroupsResponseDescribedGroup> {
  const resp = await c.request(ApiKey.DescribeGroups, pickVersion(served, ApiKey.DescribeGroups), { groups: [groupId], includeAuthorizedOperations: false })
  const g = resp.groups.find((x) => x.groupId === groupId)
  if (!g) throw new Error(`no DescribeGroups result for ${groupId}`)
  return g
}

// ---- a kafkajs consumer in a child process -------------------------------------------------------

/** dist/test/helpers/kafkajs-group-member.js */
const MEMBER_SCRIPT = fileURLToPath(new URL('./kafkajs-group-member.js', import.meta.url))

export interface KafkajsMemberConfig {
  bootstrap: string
  groupId: string
  topic: string
  clientId: string
  sessionTimeout: number
  heartbeatInterval: number
  rebalanceTimeout: number
}

/** What the child prints, one JSON document per line. */
export type MemberLine =
  | { e: 'ready'; at: number }
  | { e: 'req'; at: number; api: string; sentAt: number; duration: number }
  | { e: 'join'; at: number; memberId: string; leaderId: string; isLeader: boolean; assignment: Assignment; duration: number }
  | { e: 'msg'; at: number; p: number; o: string; k: string; v: string }
  | { e: 'commit'; at: number; offsets: Array<{ partition: number; offset: string }> }
  | { e: 'crash'; at: number; error: string; restart: boolean }
  | { e: 'stopped'; at: number }

export class KafkajsMemberProcess {
  readonly lines: MemberLine[] = []
  readonly proc: ChildProcess
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private stderr = ''
  private pending = ''

  constructor(readonly config: KafkajsMemberConfig) {
    this.proc = spawn(process.execPath, [MEMBER_SCRIPT, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      this.pending += s
      const parts = this.pending.split('\n')
      this.pending = parts.pop()!
      for (const l of parts) if (l.trim()) this.lines.push(JSON.parse(l) as MemberLine)
    })
    this.proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s))
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })))
  }

  get name(): string {
    return this.config.clientId
  }

  messages(): Array<Extract<MemberLine, { e: 'msg' }>> {
    return this.lines.filter((l): l is Extract<MemberLine, { e: 'msg' }> => l.e === 'msg')
  }

  joins(): Array<Extract<MemberLine, { e: 'join' }>> {
    return this.lines.filter((l): l is Extract<MemberLine, { e: 'join' }> => l.e === 'join')
  }

  lastJoin(): Extract<MemberLine, { e: 'join' }> | undefined {
    return this.joins().at(-1)
  }

  crashes(): Array<Extract<MemberLine, { e: 'crash' }>> {
    return this.lines.filter((l): l is Extract<MemberLine, { e: 'crash' }> => l.e === 'crash')
  }

  /** Partitions of the topic in the latest GROUP_JOIN. */
  partitions(): number[] {
    return this.lastJoin()?.assignment[this.config.topic] ?? []
  }

  diagnostics(): string {
    return `${this.name}: ${this.lines.filter((l) => l.e !== 'msg').map((l) => JSON.stringify(l)).join('\n  ')}\n  stderr: ${this.stderr.slice(-3000)}`
  }

  /** SIGTERM: the child calls consumer.disconnect() (commit, LeaveGroup) and exits 0. */
  async stop(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM')
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** SIGKILL: no LeaveGroup, no commit; the broker finds out through the session timeout. */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL')
    await this.exited
  }
}

// ---- offsets over the wire -----------------------------------------------------------------------

/** OffsetCommit (newest classic version served, at most v8) of `offsets` for one topic; returns partition -> error code. */
export async function commitRaw(
  c: RawClient,
  served: ServedVersions,
  req: { groupId: string; generationId: number; memberId: string; groupInstanceId?: string | null; topic: string; offsets: Record<number, bigint>; metadata?: string | null },
): Promise<Map<number, number>> {
  const version = Math.min(pickVersion(served, ApiKey.OffsetCommit), 8)
  const resp = await c.request(ApiKey.OffsetCommit, version, {
    groupId: req.groupId,
    generationIdOrMemberEpoch: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId ?? null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: req.topic,
        partitions: Object.entries(req.offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: req.metadata ?? '' })),
      },
    ],
  })
  return new Map(resp.topics.filter((t) => t.name === req.topic).flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode] as [number, number])))
}

export interface Committed {
  offset: bigint
  metadata: string | null
  errorCode: number
}

/** OffsetFetch of one topic's partitions at `version` (default: newest served): partition -> committed offset (-1 when none). */
export async function fetchCommittedRaw(c: RawClient, served: ServedVersions, groupId: string, topic: string, partitions: number[], version = pickVersion(served, ApiKey.OffsetFetch)): Promise<{ errorCode: number; partitions: Map<number, Committed> }> {
  if (version >= 8) {
    const resp = await c.request(ApiKey.OffsetFetch, version, {
      groups: [{ groupId, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: partitions }] }],
      requireStable: false,
    })
    const g = resp.groups?.find((x) => x.groupId === groupId)
    if (!g) throw new Error(`no OffsetFetch result for ${groupId}`)
    const t = g.topics.find((x) => x.name === topic)
    return { errorCode: g.errorCode, partitions: new Map((t?.partitions ?? []).map((p) => [p.partitionIndex, { offset: p.committedOffset, metadata: p.metadata, errorCode: p.errorCode }])) }
  }
  const resp = await c.request(ApiKey.OffsetFetch, version, { groupId, topics: [{ name: topic, partitionIndexes: partitions }], requireStable: false })
  const t = resp.topics?.find((x) => x.name === topic)
  return { errorCode: resp.errorCode ?? 0, partitions: new Map((t?.partitions ?? []).map((p) => [p.partitionIndex, { offset: p.committedOffset, metadata: p.metadata, errorCode: p.errorCode }])) }
}

/**
 * A broker process with the group APIs checked, a topic of `partitions` partitions and a
 * kafkajs admin and producer; everything is torn down (clients first) when the test ends.
 */
export async function groupTopicBroker(t: TestContext, topic: string, partitions: number): Promise<{ b: BrokerProcess; admin: Admin; producer: Producer; defer: (fn: () => unknown) => void }> {
  const defer = deferrer(t)
  const b = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '100' } })
  defer(async () => {
    assert.equal(b.proc.exitCode, null, 'broker still running at the end')
    await b.stop()
  })
  t.diagnostic(`group APIs advertised: ${(await requireGroupApis(b.port, b.host)).join(', ')}`)
  const kafka = new Kafka({ clientId: 'samsa-setup', brokers: [b.bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  defer(() => admin.disconnect())
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true }), true)
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  defer(() => producer.disconnect())
  return { b, admin, producer, defer }
}
