/**
 * Client quotas with librdkafka (confluent-kafka) against the real broker process: a producer
 * limited to 1 MB/s by its client id is held near 1 MB/s and sees throttle times, while an
 * unlimited producer on the same broker at the same time runs far above the quota. One 16 s
 * run: the first 6 s let the limited producer's first burst be paid back (Kafka's rate counts
 * at least quota.window.num - 1 windows, so a new client may burst before it is throttled).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Admin } from '../../src/client/admin/admin.js'
import { createLogger } from '../../src/util/logger.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { hasPythonModule, requireTool } from '../helpers/tools.js'

const run = promisify(execFile)
const QUOTA = 1_048_576
const WARMUP_S = 6
const MEASURE_S = 10

// Produces 10 KB values for warmup + measure seconds, as fast as the client lets it or paced to
// max_rate bytes/s (the unlimited producer only has to show it is far above the quota; unpaced
// it burnt 15 s of CPU on a shared machine); prints the bytes delivered inside the measured span
// and the throttle events librdkafka reported.
const PRODUCE = `
import json, sys, time
from confluent_kafka import Producer, KafkaError
bootstrap, client_id, warmup, measure, max_rate = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
throttles = []
p = Producer({'bootstrap.servers': bootstrap, 'client.id': client_id, 'linger.ms': 5, 'acks': 1, 'batch.size': 65536,
              'throttle_cb': lambda ev: throttles.append(ev.throttle_time * 1000)})
value = b'x' * 10240
start = time.monotonic()
t0, t1 = start + warmup, start + warmup + measure
delivered = [0]
errors = []
total = [0]
def cb(err, msg):
    now = time.monotonic()
    if err is not None:
        if err.code() != KafkaError._PURGE_QUEUE and err.code() != KafkaError._PURGE_INFLIGHT:
            errors.append(str(err))
        return
    total[0] += len(msg.value())
    if t0 <= now < t1:
        delivered[0] += len(msg.value())
sent = 0
while time.monotonic() < t1:
    if max_rate > 0 and sent > max_rate * (time.monotonic() - start):
        p.poll(0.005)
        continue
    try:
        p.produce('quota-test', value, on_delivery=cb)
        sent += len(value)
    except BufferError:
        p.poll(0.01)
    p.poll(0)
# What is still queued would take long at 1 MB/s: dropped, it was never counted.
p.purge()
p.flush(10)
print(json.dumps({'rate': delivered[0] / measure, 'total': total[0], 'errors': errors[:3], 'throttles': len(throttles), 'max_throttle': max(throttles or [0])}))
`

interface Result {
  rate: number
  total: number
  errors: string[]
  throttles: number
  max_throttle: number
}

test('a producer limited to 1 MB/s by client id is held there and throttled; another beside it is not', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  // Five 1 s windows rather than Kafka's eleven: the burst a new client may make (four windows'
  // worth) is paid back within the warm-up, so 10 s measure the held rate.
  const b = await startBrokerProcess({ startTimeoutMs: 30_000, overrides: { 'quota.window.num': '5' } })
  t.after(() => b.stop())
  const admin = new Admin({ bootstrapServers: b.bootstrap, logger: createLogger({ level: 'error' }) })
  t.after(() => admin.close())
  await admin.createTopics([{ topic: 'quota-test', numPartitions: 1, replicationFactor: 1 }])
  await admin.alterClientQuotas([{ entity: { 'client-id': 'limited' }, ops: { producer_byte_rate: QUOTA } }])
  const produce = async (clientId: string, maxRate: number) => {
    const r = await run('/usr/bin/python3', ['-c', PRODUCE, b.bootstrap, clientId, String(WARMUP_S), String(MEASURE_S), String(maxRate)], { timeout: 90_000 })
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Result
  }
  const PACE = 8 * QUOTA
  const [limited, free] = await Promise.all([produce('limited', 0), produce('free', PACE)])
  t.diagnostic(`limited ${(limited.rate / QUOTA).toFixed(2)} MB/s (${limited.total} B delivered in all, errors ${JSON.stringify(limited.errors)}, ${limited.throttles} throttles, max ${limited.max_throttle} ms); free ${(free.rate / QUOTA).toFixed(2)} MB/s`)
  assert.ok(Math.abs(limited.rate - QUOTA) <= 0.2 * QUOTA, `limited producer at ${limited.rate} B/s, quota ${QUOTA}`)
  assert.ok(limited.throttles > 0, 'librdkafka reported throttle times')
  assert.equal(free.throttles, 0)
  assert.deepEqual(limited.errors, [])
  // Not slowed: the unlimited producer runs at (most of) the pace it set itself, far above the quota.
  assert.ok(free.rate >= 0.5 * PACE, `the unlimited producer reached ${free.rate} B/s of the ${PACE} B/s it was paced to`)
})
