/**
 * DescribeConfigs (key 32), versions 0-4.
 *
 * Behaviour:
 * - TOPIC: every topic config with its effective value (topic override, then this broker's
 *   dynamic config, the cluster-wide dynamic default, the static config, the built-in
 *   default) and that source. Invalid name: INVALID_TOPIC_EXCEPTION; unknown topic:
 *   UNKNOWN_TOPIC_OR_PARTITION (per resource).
 * - BROKER named with this broker's id: every broker property with its value and source
 *   (DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG when set in
 *   server.properties / environment / --override, else DEFAULT_CONFIG); read-only unless it can
 *   change at runtime. The empty name (cluster default) lists, as Kafka does, only the dynamic
 *   defaults that are set. Another id, or a name that is not a number: INVALID_REQUEST.
 * - BROKER_LOGGER (this broker's id): one logger, "root", at the level of log.level; empty
 *   or another id: INVALID_REQUEST, as Kafka.
 * - configurationKeys null means all; unknown keys are left out. Synonyms (v1+) only when
 *   includeSynonyms; isDefault (v0) is source == DEFAULT_CONFIG; configType and documentation
 *   (v3+, documentation only when includeDocumentation). Nothing is sensitive.
 * - Other resource types (GROUP, CLIENT_METRICS): INVALID_REQUEST per resource.
 *
 * Authorization: DESCRIBE_CONFIGS on the topic, or on the cluster for brokers and loggers.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  DescribeConfigsRequest,
  DescribeConfigsResponse,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponseDescribeConfigsResult,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
} from '../../protocol/generated/describe-configs.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { ResourceType } from '../config-admin.js'
import { CONFIG_SOURCE, describeBrokerConfigs, describeDynamicDefaults, describeTopicConfigs, type ConfigDescription } from '../config-describe.js'
import { requireConfigAccess } from '../../security/authorizer/broker-authorizer.js'
import type { Handler, RequestContext } from '../handler.js'
import { validateTopicName } from '../../metadata/topic-name.js'

/** Kafka's log4j names for our levels. */
const LOG4J_LEVEL: Record<string, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', silent: 'OFF' }

function brokerId(ctx: RequestContext, name: string, what: string): void {
  if (!/^-?\d+$/.test(name)) throw new KafkaError('INVALID_REQUEST', `Broker id must be an integer, but it is: ${name}`)
  if (Number(name) !== ctx.broker.nodeId) throw new KafkaError('INVALID_REQUEST', `Unexpected broker id, expected ${ctx.broker.nodeId}${what}, but received ${name}`)
}

function describe(r: DescribeConfigsRequestDescribeConfigsResource, ctx: RequestContext): ConfigDescription[] {
  const { metadata: md, replicas, config, nodeId } = ctx.broker
  const keys = r.configurationKeys
  switch (r.resourceType) {
    case ResourceType.TOPIC: {
      const why = validateTopicName(r.resourceName)
      if (why) throw new KafkaError('INVALID_TOPIC_EXCEPTION', why)
      const t = md.topic(r.resourceName)
      if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${r.resourceName}' does not exist.`)
      return describeTopicConfigs(t.configs, replicas.layers(), keys)
    }
    case ResourceType.BROKER:
      if (r.resourceName === '') return describeDynamicDefaults(md.brokerConfigs(null), keys)
      brokerId(ctx, r.resourceName, ' or empty string')
      return describeBrokerConfigs(config, md.brokerConfigs(nodeId), md.brokerConfigs(null), keys)
    case ResourceType.BROKER_LOGGER: {
      if (r.resourceName === '') throw new KafkaError('INVALID_REQUEST', 'Broker id must not be empty')
      brokerId(ctx, r.resourceName, '')
      if (keys !== null && !keys.includes('root')) return []
      const level = LOG4J_LEVEL[ctx.broker.logger.level] ?? 'WARN'
      const root = { name: 'root', value: level, source: CONFIG_SOURCE.DYNAMIC_BROKER_LOGGER_CONFIG, readOnly: false, isSensitive: false, synonyms: [], configType: 2, documentation: '' }
      return [root]
    }
    default:
      throw new KafkaError('INVALID_REQUEST', `Unsupported resource type: ${r.resourceType}`)
  }
}

function entry(c: ConfigDescription, req: DescribeConfigsRequest): DescribeConfigsResponseDescribeConfigsResourceResult {
  return {
    name: c.name,
    value: c.isSensitive ? null : c.value,
    readOnly: c.readOnly,
    isDefault: c.source === CONFIG_SOURCE.DEFAULT_CONFIG,
    configSource: c.source,
    isSensitive: c.isSensitive,
    synonyms: req.includeSynonyms ? c.synonyms.map((s) => ({ name: s.name, value: c.isSensitive ? null : s.value, source: s.source })) : [],
    configType: c.configType,
    documentation: req.includeDocumentation && c.documentation !== '' ? c.documentation : null,
  }
}

export const describeConfigsHandler: Handler<typeof ApiKey.DescribeConfigs> = {
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  request: DescribeConfigsRequest,
  response: DescribeConfigsResponse,
  handle(req, ctx) {
    const results: DescribeConfigsResponseDescribeConfigsResult[] = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName }
      try {
        requireConfigAccess(ctx, 'DESCRIBE_CONFIGS', r.resourceType, r.resourceName)
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: describe(r, ctx).map((c) => entry(c, req)) }
      } catch (err) {
        if (!(err instanceof KafkaError)) ctx.broker.logger.error('describing configs failed', { ...base, error: (err as Error).message })
        const e = err instanceof KafkaError ? err : new KafkaError('UNKNOWN_SERVER_ERROR', (err as Error).message)
        return { ...base, errorCode: e.code, errorMessage: e.message, configs: [] }
      }
    })
    return { throttleTimeMs: 0, results }
  },
}
