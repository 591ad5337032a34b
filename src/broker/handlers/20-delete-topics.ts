/**
 * DeleteTopics (key 20), versions 0-6.
 *
 * Behaviour:
 * - By name (v0-5 topicNames, v6 topics with a name) or by topic id (v6, null name).
 * - delete.topic.enable=false refuses the whole request: every topic gets
 *   TOPIC_DELETION_DISABLED, or INVALID_REQUEST below v3 (which predates that code), as Kafka.
 * - Unknown name: UNKNOWN_TOPIC_OR_PARTITION; unknown id: UNKNOWN_TOPIC_ID. A name or an id
 *   given twice: INVALID_REQUEST ("Duplicate topic name." / "Duplicate topic id."), as is an
 *   entry with both or neither, and a name whose topic's id was also given.
 * - Internal topics (__consumer_offsets, __transaction_state, __share_group_state) answer
 *   INVALID_REQUEST and are kept, with the wording of Kafka's kafka-topics.sh, which refuses them
 *   the same way. (Kafka's broker deletes them for a client with DELETE on the topic; without
 *   an authorizer any client could, and the committed offsets would be gone after a restart.)
 * - The answer is sent once the metadata change is durable and this broker's logs of the
 *   topic are gone, so a CreateTopics of the same name right after succeeds. Deletions are
 *   serialised with the creates, auto-creates and partition additions of the same name; a topic
 *   deleted or re-created between reading the request and deleting it answers
 *   UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID when named by id) and the new one is kept.
 *
 * Authorization: DELETE on the topic (TOPIC_AUTHORIZATION_FAILED).
 * controller_mutation_rate (quotas/mutations.ts): strict from v5 (THROTTLING_QUOTA_EXCEEDED once over
 * the rate), throttled only before.
 *
 * Gaps: results keep request order (Kafka shuffles
 * them to hide which topics exist from unauthorised clients, which needs ACLs to matter).
 */
import { MutationQuota } from '../quotas/mutations.js'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  type DeleteTopicsResponseDeletableTopicResult,
} from '../../protocol/generated/delete-topics.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { ZERO_UUID } from '../../protocol/primitives/uuid.js'
import type { TopicInfo } from '../../metadata/types.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import type { Handler, RequestContext } from '../handler.js'
import { deleteTopic } from '../topic-admin.js'

interface Entry {
  name: string | null
  topicId: string
}

type Result = DeleteTopicsResponseDeletableTopicResult

function result(e: Entry, err?: KafkaError): Result {
  return { name: e.name, topicId: e.topicId, errorCode: err?.code ?? ErrorCode.NONE, errorMessage: err?.message ?? null }
}

interface Resolved {
  entry: Entry
  topic?: TopicInfo
  error?: KafkaError
  /** Named by id (v6, null name). */
  byId?: boolean
}

/** Resolves each entry to a topic, or to the error Kafka answers for it. */
function resolve(entries: Entry[], ctx: RequestContext): Resolved[] {
  const md = ctx.broker.metadata
  const count = (key: (e: Entry) => string | null) => {
    const m = new Map<string, number>()
    for (const e of entries) {
      const k = key(e)
      if (k !== null) m.set(k, (m.get(k) ?? 0) + 1)
    }
    return m
  }
  const names = count((e) => (e.name !== null && e.topicId === ZERO_UUID ? e.name : null))
  const ids = count((e) => (e.name === null && e.topicId !== ZERO_UUID ? e.topicId : null))
  // A name and an id of the same topic: neither is deleted.
  const idsOfNames = new Set([...names.keys()].map((n) => md.topic(n)?.topicId).filter((id) => id !== undefined))
  const out: Resolved[] = []
  const answered = new Set<string>()
  for (const entry of entries) {
    const { name, topicId } = entry
    if (name === null && topicId === ZERO_UUID) {
      out.push({ entry, error: new KafkaError('INVALID_REQUEST', 'Neither topic name nor id were specified.') })
    } else if (name !== null && topicId !== ZERO_UUID) {
      out.push({ entry, error: new KafkaError('INVALID_REQUEST', 'You may not specify both topic name and topic id.') })
    } else if (name !== null) {
      if (answered.has(`n:${name}`)) continue
      answered.add(`n:${name}`)
      const t = md.topic(name)
      if (names.get(name)! > 1) out.push({ entry, error: new KafkaError('INVALID_REQUEST', 'Duplicate topic name.') })
      else if (!t) out.push({ entry, error: new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`) })
      else if (ids.has(t.topicId)) out.push({ entry: { name, topicId: t.topicId }, error: new KafkaError('INVALID_REQUEST', 'The provided topic name maps to an ID that was already supplied.') })
      else out.push({ entry: { name, topicId: t.topicId }, topic: t })
    } else {
      if (answered.has(`i:${topicId}`)) continue
      answered.add(`i:${topicId}`)
      const t = md.topicById(topicId)
      if (ids.get(topicId)! > 1) out.push({ entry, error: new KafkaError('INVALID_REQUEST', 'Duplicate topic id.') })
      else if (!t) out.push({ entry, error: new KafkaError('UNKNOWN_TOPIC_ID', `No topic has id ${topicId}.`) })
      else if (idsOfNames.has(topicId)) out.push({ entry: { name: t.name, topicId }, error: new KafkaError('INVALID_REQUEST', 'The provided topic name maps to an ID that was already supplied.') })
      else out.push({ entry: { name: t.name, topicId }, topic: t, byId: true })
    }
  }
  return out
}

export const deleteTopicsHandler: Handler<typeof ApiKey.DeleteTopics> = {
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  request: DeleteTopicsRequest,
  response: DeleteTopicsResponse,
  async handle(req, ctx) {
    const entries: Entry[] =
      ctx.apiVersion >= 6 ? (req.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId })) : (req.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }))
    // Below v6 the response has no id and a non-null name.
    const shape = (r: Result): Result => (ctx.apiVersion >= 6 ? r : { ...r, name: r.name ?? '', topicId: ZERO_UUID })

    if (!ctx.broker.config.get('delete.topic.enable')) {
      const err = ctx.apiVersion < 3 ? new KafkaError('INVALID_REQUEST', 'Topic deletion is disabled.') : new KafkaError('TOPIC_DELETION_DISABLED', 'Topic deletion is disabled (delete.topic.enable=false).')
      return { throttleTimeMs: 0, responses: entries.map((e) => shape(result(e, err))) }
    }

    const responses: Result[] = []
    // KIP-599: strict from v5.
    const quota = new MutationQuota(ctx, ctx.apiVersion >= 5)
    for (const r of resolve(entries, ctx)) {
      // DELETE on the topic, checked before existence so a refusal reveals nothing (Kafka's order).
      const name = r.topic?.name ?? r.entry.name
      if (name && !authorize(ctx, 'DELETE', 'TOPIC', name)) {
        responses.push(shape(result(r.entry, new KafkaError('TOPIC_AUTHORIZATION_FAILED'))))
        continue
      }
      if (r.error || !r.topic) {
        responses.push(shape(result(r.entry, r.error)))
        continue
      }
      try {
        quota.check()
        await deleteTopic(ctx.broker, { name: r.topic.name, topicId: r.topic.topicId, byId: r.byId ?? false })
        quota.record(r.topic.partitions.length)
        responses.push(shape(result(r.entry)))
      } catch (err) {
        if (!(err instanceof KafkaError)) ctx.broker.logger.error('deleting a topic failed', { topic: r.topic.name, error: (err as Error).message })
        responses.push(shape(result(r.entry, err instanceof KafkaError ? err : new KafkaError('UNKNOWN_SERVER_ERROR', (err as Error).message))))
      }
    }
    return { throttleTimeMs: quota.throttleTimeMs, responses }
  },
}
