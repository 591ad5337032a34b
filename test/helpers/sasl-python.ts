/**
 * Python client scripts for the SASL interop tests (test/interop/sasl-*.test.ts), run with
 * runPythonJson: user alice over SASL_PLAINTEXT produces one record and reads it back with her
 * password, then a login with a wrong one must be refused. The stdin JSON names the mechanism
 * and the topic.
 */

/** kafka-python. Input: {mechanism, topic, api_version?}; prints {got, refused}. */
export const KAFKA_PYTHON_SASL = `
import json, sys
from kafka import KafkaProducer, KafkaConsumer
cfg = json.load(sys.stdin)
common = dict(bootstrap_servers=sys.argv[1], security_protocol='SASL_PLAINTEXT', sasl_mechanism=cfg['mechanism'], sasl_plain_username='alice', request_timeout_ms=10000)
if cfg.get('api_version'): common['api_version'] = tuple(cfg['api_version'])
p = KafkaProducer(sasl_plain_password='alice-secret', **common)
p.send(cfg['topic'], b'py').get(timeout=20)
p.close()
c = KafkaConsumer(cfg['topic'], sasl_plain_password='alice-secret', auto_offset_reset='earliest', consumer_timeout_ms=5000, **common)
got = [m.value.decode() for m in c]
c.close()
refused = None
try:
    bad = KafkaProducer(sasl_plain_password='wrong', max_block_ms=3000, **common)
    bad.send(cfg['topic'], b'never').get(timeout=5)
except Exception as e:
    refused = type(e).__name__ + ': ' + str(e)
print(json.dumps({'got': got, 'refused': refused}))
`

/** confluent-kafka, the consumer in a group. Input: {mechanism, topic}; prints {left, got, errors}. */
export const CONFLUENT_KAFKA_SASL = `
import json, sys
from confluent_kafka import Producer, Consumer
from confluent_kafka.admin import AdminClient
cfg = json.load(sys.stdin)
common = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': cfg['mechanism'], 'sasl.username': 'alice'}
p = Producer({**common, 'sasl.password': 'alice-secret'})
p.produce(cfg['topic'], b'ck')
left = p.flush(20)
c = Consumer({**common, 'sasl.password': 'alice-secret', 'group.id': 'g', 'auto.offset.reset': 'earliest'})
c.subscribe([cfg['topic']])
got = []
for _ in range(40):
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        got.append(m.value().decode())
        break
c.close()
errors = []
a = AdminClient({**common, 'sasl.password': 'wrong', 'error_cb': lambda e: errors.append(str(e))})
try:
    a.list_topics(timeout=3)
except Exception as e:
    errors.append(str(e))
print(json.dumps({'left': left, 'got': got, 'errors': errors}))
`
