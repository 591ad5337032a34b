/** The --print-metrics table in the layout of Kafka's tools. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { metricsTable } from '../../src/cli/metrics-table.js'

test('a blank line, the header, then names sorted and padded, numbers with three decimals', () => {
  const tags = { 'client-id': 'c' }
  const text = metricsTable([
    { group: 'producer-metrics', name: 'record-send-total', tags, value: 12 },
    { group: 'producer-metrics', name: 'batch-size-avg', tags, value: 0.12345 },
    { group: 'app-info', name: 'version', tags: { 'client-id': 'c', x: 'y' }, value: '0.1.0' },
  ])
  assert.equal(
    text,
    [
      '',
      'Metric Name                                        Value',
      'app-info:version:{client-id=c, x=y}              : 0.1.0',
      'producer-metrics:batch-size-avg:{client-id=c}    : 0.123',
      'producer-metrics:record-send-total:{client-id=c} : 12.000',
      '',
    ].join('\n'),
  )
})

test('no metrics, no table', () => {
  assert.equal(metricsTable([]), '')
})
