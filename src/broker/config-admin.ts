/**
 * What AlterConfigs and IncrementalAlterConfigs share: resource checks, validation and the
 * metadata change, for TOPIC resources (a topic's overrides) and BROKER resources (this
 * broker's or the cluster-wide dynamic configs). Errors are KafkaErrors carrying the code and,
 * where Kafka has one, the wording Kafka answers with.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { ConfigError, parseBrokerConfigValue } from './config.js'
import { DYNAMIC_BROKER_CONFIGS } from './config-describe.js'
import type { BrokerContext } from './handler.js'
import { brokerLayers, effectiveTopicConfigs, logConfigOf, validateTopicConfigs } from './topic-config.js'
import { validateTopicName } from '../metadata/topic-name.js'

/** ConfigResource.Type ids. */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const

export interface ResourceRef {
  resourceType: number
  resourceName: string
}

export interface ResourceResult extends ResourceRef {
  errorCode: number
  errorMessage: string | null
}

/** Indexes of resources named more than once; Kafka answers all of them INVALID_REQUEST. */
export function duplicateResources(resources: readonly ResourceRef[]): Set<number> {
  const seen = new Map<string, number>()
  const dupes = new Set<number>()
  resources.forEach((r, i) => {
    const key = `${r.resourceType}:${r.resourceName}`
    const first = seen.get(key)
    if (first === undefined) seen.set(key, i)
    else dupes.add(first).add(i)
  })
  return dupes
}

/** The outcome of a resource as a response entry; unexpected errors are logged and hidden. */
export function resourceResult(broker: BrokerContext, r: ResourceRef, err?: unknown): ResourceResult {
  if (err === undefined) return { resourceType: r.resourceType, resourceName: r.resourceName, errorCode: ErrorCode.NONE, errorMessage: null }
  if (err instanceof KafkaError) return { resourceType: r.resourceType, resourceName: r.resourceName, errorCode: err.code, errorMessage: err.message }
  broker.logger.error('altering configs failed', { resourceType: r.resourceType, resource: r.resourceName, error: (err as Error).message })
  return { resourceType: r.resourceType, resourceName: r.resourceName, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (err as Error).message }
}

/** Same key twice in one resource: INVALID_REQUEST, as Kafka's broker-side preprocessing. */
export function checkDistinctNames(configs: ReadonlyArray<{ name: string }>): void {
  if (new Set(configs.map((c) => c.name)).size !== configs.length) throw new KafkaError('INVALID_REQUEST', 'Error due to duplicate config keys')
}

/** Keys whose value is null (not allowed except for a DELETE). */
export function checkNoNulls(configs: ReadonlyArray<{ name: string; value: string | null }>): void {
  const nulls = configs.filter((c) => c.value === null).map((c) => c.name)
  if (nulls.length > 0) throw new KafkaError('INVALID_REQUEST', `Null value not supported for : ${nulls.join(', ')}`)
}

/** A BROKER resource name: '' is the cluster-wide default (null), else it must be this broker. */
export function brokerResourceNode(broker: BrokerContext, name: string): number | null {
  if (name === '') return null
  if (!/^-?\d+$/.test(name)) throw new KafkaError('INVALID_REQUEST', `Node id must be an integer, but it is: ${name}`)
  if (Number(name) !== broker.nodeId) throw new KafkaError('INVALID_REQUEST', `Unexpected broker id, expected ${broker.nodeId}, but received ${name}`)
  return broker.nodeId
}

/** A TOPIC resource's current overrides; throws for the default resource, bad names, unknown topics. */
export function topicOverrides(broker: BrokerContext, name: string): Record<string, string> {
  if (name === '') throw new KafkaError('INVALID_REQUEST', 'Default topic resources are not allowed.')
  const why = validateTopicName(name)
  if (why) throw new KafkaError('INVALID_TOPIC_EXCEPTION', why)
  const t = broker.metadata.topic(name)
  if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${name}' does not exist.`)
  return { ...t.configs }
}

/** Validates and (unless validateOnly) stores `configs` as the topic's complete set of overrides. */
export async function replaceTopicConfigs(broker: BrokerContext, name: string, configs: Record<string, string>, validateOnly: boolean): Promise<void> {
  topicOverrides(broker, name)
  const valid = validateTopicConfigs(configs, (m) => broker.logger.warn(m, { topic: name }))
  if (validateOnly) return
  await broker.metadata.setTopicConfigs(name, valid)
  broker.logger.info('topic configs changed', { topic: name, configs: valid })
}

/**
 * Validates and (unless validateOnly) stores `configs` as the complete dynamic config of a
 * broker (nodeId) or of the cluster default (null). Like Kafka, a key that cannot change at
 * runtime, or a value that does not parse, is INVALID_REQUEST (KAFKA-13609 explains why not
 * INVALID_CONFIG).
 */
export async function replaceBrokerConfigs(broker: BrokerContext, nodeId: number | null, configs: Record<string, string>, validateOnly: boolean): Promise<void> {
  const fixed = Object.keys(configs).filter((k) => !DYNAMIC_BROKER_CONFIGS.has(k))
  if (fixed.length > 0) {
    throw new KafkaError(
      'INVALID_REQUEST',
      `Cannot update these configs dynamically: ${fixed.join(', ')}. Only broker defaults of topic configs can change at runtime; set the others in server.properties.`,
    )
  }
  const valid: Record<string, string> = {}
  for (const [k, v] of Object.entries(configs)) {
    try {
      parseBrokerConfigValue(k, v)
    } catch (err) {
      if (err instanceof ConfigError) throw new KafkaError('INVALID_REQUEST', err.message)
      throw err
    }
    valid[k] = v.trim()
  }
  // Each value may be fine alone and the combination not (segment sizes against index sizes):
  // resolve a topic's configs through the new layers to find out before storing anything.
  const md = broker.metadata
  const layers = brokerLayers(broker.config, nodeId === null ? md.brokerConfigs(broker.nodeId) : valid, nodeId === null ? valid : md.brokerConfigs(null))
  try {
    logConfigOf(effectiveTopicConfigs({}, layers))
  } catch (err) {
    throw new KafkaError('INVALID_REQUEST', (err as Error).message)
  }
  if (validateOnly) return
  await md.setBrokerConfigs(nodeId, valid)
  broker.logger.info('broker configs changed', { nodeId: nodeId ?? 'default', configs: valid })
}

/**
 * The request loop both AlterConfigs APIs share: each resource altered on its own (a failure
 * answers for that resource only), duplicates refused, answers in request order.
 */
export async function alterEach<R extends ResourceRef>(broker: BrokerContext, resources: readonly R[], alter: (r: R) => Promise<void>): Promise<ResourceResult[]> {
  const dupes = duplicateResources(resources)
  const responses: ResourceResult[] = []
  for (const [i, r] of resources.entries()) {
    try {
      if (dupes.has(i)) throw new KafkaError('INVALID_REQUEST', 'Each resource must appear at most once.')
      await alter(r)
      responses.push(resourceResult(broker, r))
    } catch (err) {
      responses.push(resourceResult(broker, r, err))
    }
  }
  return responses
}
