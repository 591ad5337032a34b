/**
 * AlterConfigs (key 33), versions 0-2: the legacy, non-incremental form, which replaces a
 * resource's whole dynamic config (keys not sent are removed).
 *
 * Behaviour:
 * - TOPIC: the topic's overrides become exactly the given configs, validated as CreateTopics
 *   validates them (INVALID_CONFIG names the key). The empty name: INVALID_REQUEST; invalid
 *   name: INVALID_TOPIC_EXCEPTION; unknown topic: UNKNOWN_TOPIC_OR_PARTITION.
 * - BROKER: this broker's id, or the empty name for the cluster-wide default. Only the broker
 *   defaults of topic configs (log.retention.ms, log.cleanup.policy, message.max.bytes, ...)
 *   change at runtime; any other key, or an unparsable value, is INVALID_REQUEST naming it
 *   (Kafka's "Cannot update these configs dynamically"). Another broker id: INVALID_REQUEST.
 * - A resource named twice, a key repeated within a resource, a null value: INVALID_REQUEST.
 *   BROKER_LOGGER and unknown resource types: INVALID_REQUEST ("Unknown resource type").
 * - validateOnly checks and changes nothing. Changes are durable (metadata file) before the
 *   answer and apply to existing logs at once.
 *
 * Authorization: ALTER_CONFIGS on the topic, or on the cluster for brokers.
 * Gaps: no alter config policy.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { AlterConfigsRequest, AlterConfigsResponse, type AlterConfigsRequestAlterConfigsResource } from '../../protocol/generated/alter-configs.js'
import { KafkaError } from '../../protocol/errors.js'
import {
  ResourceType,
  brokerResourceNode,
  checkDistinctNames,
  checkNoNulls,
  alterEach,
  replaceBrokerConfigs,
  replaceTopicConfigs,
} from '../config-admin.js'
import { requireConfigAccess } from '../../security/authorizer/broker-authorizer.js'
import type { Handler, RequestContext } from '../handler.js'

async function alter(r: AlterConfigsRequestAlterConfigsResource, validateOnly: boolean, ctx: RequestContext): Promise<void> {
  checkDistinctNames(r.configs)
  checkNoNulls(r.configs)
  const configs = Object.fromEntries(r.configs.map((c) => [c.name, c.value!]))
  switch (r.resourceType) {
    case ResourceType.TOPIC:
      return replaceTopicConfigs(ctx.broker, r.resourceName, configs, validateOnly)
    case ResourceType.BROKER:
      return replaceBrokerConfigs(ctx.broker, brokerResourceNode(ctx.broker, r.resourceName), configs, validateOnly)
    default:
      // BROKER_LOGGER included: legacy AlterConfigs never supported log levels.
      throw new KafkaError('INVALID_REQUEST', `Unknown resource type ${r.resourceType}`)
  }
}

export const alterConfigsHandler: Handler<typeof ApiKey.AlterConfigs> = {
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  request: AlterConfigsRequest,
  response: AlterConfigsResponse,
  async handle(req, ctx) {
    const responses = await alterEach(ctx.broker, req.resources, (r) => {
      requireConfigAccess(ctx, 'ALTER_CONFIGS', r.resourceType, r.resourceName)
      return alter(r, req.validateOnly, ctx)
    })
    return { throttleTimeMs: 0, responses }
  },
}
