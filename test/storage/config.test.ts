import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_LOG_CONFIG, logConfigFromProperties, logConfigToProperties, resolveLogConfig } from '../../src/storage/config.js'
import { isStorageError } from '../../src/storage/errors.js'

test('Kafka defaults, property names and the Long.MAX "never" sentinel', () => {
  assert.equal(DEFAULT_LOG_CONFIG.segmentBytes, 1073741824)
  assert.equal(DEFAULT_LOG_CONFIG.indexIntervalBytes, 4096)
  assert.equal(DEFAULT_LOG_CONFIG.segmentIndexBytes, 10485760)
  assert.equal(DEFAULT_LOG_CONFIG.retentionMs, 604800000)
  assert.equal(DEFAULT_LOG_CONFIG.flushMessages, Number.POSITIVE_INFINITY)
  const { config, unknown } = logConfigFromProperties({
    'segment.bytes': '1048576',
    'flush.messages': '9223372036854775807',
    'message.timestamp.type': 'LogAppendTime',
    'cleanup.policy': 'compact,delete',
    'min.insync.replicas': '2',
  })
  assert.deepEqual([config.segmentBytes, config.flushMessages, config.messageTimestampType, config.compact, unknown], [1048576, Number.POSITIVE_INFINITY, 'LogAppendTime', true, ['min.insync.replicas']])
  assert.equal(logConfigFromProperties({ 'cleanup.policy': 'delete' }).config.compact, false)
  const props = logConfigToProperties(config)
  assert.equal(props['flush.ms'], '9223372036854775807')
  assert.equal(props['retention.bytes'], '-1')
  assert.throws(() => resolveLogConfig({ segmentBytes: 3 }), (e) => isStorageError(e, 'INVALID_CONFIG'))
  assert.throws(() => logConfigFromProperties({ 'retention.ms': 'soon' }), /retention.ms/)
})
