/**
 * IncrementalAlterConfigs (key 44), versions 0-1.
 *
 * Behaviour:
 * - Per resource, a list of operations applied in order to its current dynamic config: SET (0),
 *   DELETE (1, back to the inherited value), APPEND (2) and SUBTRACT (3). APPEND/SUBTRACT work
 *   on list configs only (cleanup.policy, log.cleanup.policy), starting from the built-in
 *   default when the key is not set, as Kafka does; on other keys they are INVALID_CONFIG.
 * - TOPIC and BROKER resources are then validated and stored exactly as AlterConfigs does (see
 *   33-alter-configs.ts): topic values INVALID_CONFIG; broker keys that cannot change at
 *   runtime, unparsable broker values and another broker's id INVALID_REQUEST.
 * - A resource named twice, a key repeated within a resource, a null value for anything but
 *   DELETE, an unknown operation or resource type: INVALID_REQUEST.
 * - validateOnly checks and changes nothing.
 *
 * Deliberate gap: BROKER_LOGGER (runtime log levels, KIP-412) is refused with INVALID_REQUEST;
 * Samsa's log level is log.level / SAMSA_LOG_LEVEL at start-up. No ACLs, no alter policy.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
  type IncrementalAlterConfigsRequestAlterConfigsResource,
  type IncrementalAlterConfigsRequestAlterableConfig,
} from '../../protocol/generated/incremental-alter-configs.js'
import { KafkaError } from '../../protocol/errors.js'
import { brokerConfigDef } from '../config.js'
import {
  ResourceType,
  brokerResourceNode,
  checkDistinctNames,
  checkNoNulls,
  alterEach,
  replaceBrokerConfigs,
  replaceTopicConfigs,
  topicOverrides,
} from '../config-admin.js'
import { requireConfigAccess } from '../../security/authorizer/broker-authorizer.js'
import type { Handler, RequestContext } from '../handler.js'
import { TOPIC_CONFIG } from '../topic-config.js'

const SET = 0
const DELETE = 1
const APPEND = 2
const SUBTRACT = 3
const OP_NAME = ['SET', 'DELETE', 'APPEND', 'SUBTRACT']

/** How a key of the resource is typed, for APPEND/SUBTRACT; throws with the resource's wording. */
type ListCheck = (name: string, op: number) => { default: string }

const topicList: ListCheck = (name, op) => {
  const def = TOPIC_CONFIG.get(name)
  if (!def) throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${name}`)
  if (def.kind !== 'list') throw new KafkaError('INVALID_CONFIG', `Can't ${OP_NAME[op]} to key ${name} because its type is not LIST.`)
  return def
}

const brokerList: ListCheck = (name, op) => {
  const def = brokerConfigDef(name)
  if (!def) throw new KafkaError('INVALID_CONFIG', `Unknown config name: ${name}`)
  if (def.kind !== 'list') throw new KafkaError('INVALID_CONFIG', `Config value ${OP_NAME[op]!.toLowerCase()} is not allowed for config key: ${name}`)
  return def
}

const parts = (s: string) => s.split(',').map((p) => p.trim()).filter((p) => p !== '')

/** Applies the operations to `current` (changed in place). */
function apply(current: Record<string, string>, ops: readonly IncrementalAlterConfigsRequestAlterableConfig[], list: ListCheck): void {
  for (const op of ops) {
    switch (op.configOperation) {
      case SET:
        current[op.name] = op.value!
        break
      case DELETE:
        delete current[op.name]
        break
      case APPEND:
      case SUBTRACT: {
        const def = list(op.name, op.configOperation)
        const old = parts(current[op.name] ?? def.default)
        const given = parts(op.value!)
        const next = op.configOperation === APPEND ? [...old, ...given.filter((v, i) => !old.includes(v) && given.indexOf(v) === i)] : old.filter((v) => !given.includes(v))
        current[op.name] = next.join(',')
        break
      }
      default:
        throw new KafkaError('INVALID_REQUEST', `Unknown operations type ${op.configOperation}`)
    }
  }
}

async function alter(r: IncrementalAlterConfigsRequestAlterConfigsResource, validateOnly: boolean, ctx: RequestContext): Promise<void> {
  checkDistinctNames(r.configs)
  checkNoNulls(r.configs.filter((c) => c.configOperation !== DELETE))
  switch (r.resourceType) {
    case ResourceType.TOPIC: {
      const current = topicOverrides(ctx.broker, r.resourceName)
      apply(current, r.configs, topicList)
      return replaceTopicConfigs(ctx.broker, r.resourceName, current, validateOnly)
    }
    case ResourceType.BROKER: {
      const nodeId = brokerResourceNode(ctx.broker, r.resourceName)
      const current = { ...ctx.broker.metadata.brokerConfigs(nodeId) }
      apply(current, r.configs, brokerList)
      return replaceBrokerConfigs(ctx.broker, nodeId, current, validateOnly)
    }
    case ResourceType.BROKER_LOGGER:
      brokerResourceNode(ctx.broker, r.resourceName)
      throw new KafkaError('INVALID_REQUEST', 'Samsa does not change log levels at runtime; set log.level (or SAMSA_LOG_LEVEL) and restart the broker.')
    default:
      throw new KafkaError('INVALID_REQUEST', `Unknown resource type ${r.resourceType}`)
  }
}

export const incrementalAlterConfigsHandler: Handler<typeof ApiKey.IncrementalAlterConfigs> = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  request: IncrementalAlterConfigsRequest,
  response: IncrementalAlterConfigsResponse,
  async handle(req, ctx) {
    const responses = await alterEach(ctx.broker, req.resources, (r) => {
      requireConfigAccess(ctx, 'ALTER_CONFIGS', r.resourceType, r.resourceName)
      return alter(r, req.validateOnly, ctx)
    })
    return { throttleTimeMs: 0, responses }
  },
}
