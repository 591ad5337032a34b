#!/usr/bin/env python3
"""The librdkafka driver of the OpenMessaging-style benchmark (bench/omb), through Debian's
python3-confluent-kafka. It speaks the coordinator's line protocol (bench/omb/protocol.ts) as
the Node worker does: the first stdin line is the worker configuration, later lines are
commands, stdout carries one JSON report per line. One process holds every producer (or every
consumer) of a run; the coordinator starts the two sides as separate processes, so a slow
client cannot hide a slow broker and Python's interpreter lock is not shared between them.

Client settings: producer acks=1, linger.ms=1, batch.size=1048576 (OMB's Kafka throughput
driver's, acks=1 as issues 20 and 21 measure), librdkafka defaults otherwise; consumers in one
group per subscription and topic, auto.offset.reset=earliest, defaults otherwise, one thread
each (consume() releases the interpreter lock while it waits).

Scheduling and the payload's two send times (bytes 0-15) are as in samsa-worker.ts; latencies
are counted into the same log-linear microsecond buckets (bench/omb/histogram.ts)."""
import json
import random
import queue
import struct
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer

MAX_OUTSTANDING_BYTES = 32 * 1024 * 1024
PER_TURN = 1000
STATS_INTERVAL_S = 1.0
HEADER = struct.Struct('>QQ')

out_lock = threading.Lock()


def emit(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj, separators=(',', ':')) + '\n')
        sys.stdout.flush()


def now_us():
    # CLOCK_MONOTONIC, as the Node side (src/util/trace.ts monotonicMicros): shared by every process on the machine.
    return time.monotonic_ns() // 1000


def bucket_of(us):
    """Keeps the 11 leading bits: within 0.1% of the value, as histogram.ts's bucketOf."""
    v = int(us)
    if v <= 0:
        return 0
    if v < 2048:
        return v
    s = v.bit_length() - 11
    return (v >> s) << s


class Buckets:
    def __init__(self):
        self.counts = {}

    def record(self, us):
        b = bucket_of(us)
        self.counts[b] = self.counts.get(b, 0) + 1

    def take(self):
        c = self.counts
        self.counts = {}
        return {str(k): n for k, n in c.items()}


def make_keys(count=10000):
    # The same keys as payload.ts's makeKeys (same generator), so both drivers spread alike.
    alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
    seed = 12345
    keys = []
    for _ in range(count):
        k = []
        for _ in range(7):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            k.append(alphabet[seed % len(alphabet)])
        keys.append(''.join(k))
    return keys


def read_commands(q):
    for line in sys.stdin:
        line = line.strip()
        if line:
            q.put(json.loads(line))
    # The coordinator went away: stop as if told to.
    q.put({'cmd': 'stop'})


def producer_worker(cfg, q):
    conf = {'bootstrap.servers': cfg['bootstrap'], 'acks': '1', 'linger.ms': 1, 'batch.size': 1048576}
    producers = []
    for topic in cfg['topics']:
        for i in range(cfg['producersPerTopic']):
            producers.append((topic, Producer(dict(conf, **{'client.id': 'omb-rdkafka-producer-%d' % len(producers)}))))
    size = cfg['messageSize']
    fill = bytes((0x61 + ((i * 7) % 26)) for i in range(16, size))
    keys = None if cfg['keyDistributor'] == 'NO_KEY' else [k.encode() for k in make_keys()]
    random_keys = cfg['keyDistributor'] == 'RANDOM_NANO'

    st = {'sent': 0, 'sentBytes': 0, 'acked': 0, 'errors': 0, 'outstanding': 0, 'firstError': None}
    pub, pub_send, delay = Buckets(), Buckets(), Buckets()

    def on_delivery(err, msg):
        st['outstanding'] -= size
        if err is not None:
            st['errors'] += 1
            if st['firstError'] is None:
                st['firstError'] = str(err)
            return
        now = now_us()
        intended, sent = HEADER.unpack_from(msg.value(), 0)
        pub.record(now - intended)
        pub_send.record(now - sent)
        st['acked'] += 1

    def stats(flush=False):
        s = {'type': 'stats', 'sent': st['sent'], 'sentBytes': st['sentBytes'], 'acked': st['acked'], 'errors': st['errors'],
             'pub': pub.take(), 'pubSend': pub_send.take(), 'delay': delay.take()}
        if flush:
            s['flush'] = True
        st['sent'] = st['sentBytes'] = st['acked'] = st['errors'] = 0
        return s

    # Connect and learn the metadata before the schedule starts; send times 0 tell consumers to skip it.
    for topic, p in producers:
        p.produce(topic, b'\0' * size)
    for _, p in producers:
        if p.flush(30) != 0:
            raise RuntimeError('the warm-up message was not acknowledged within 30 s')

    emit({'type': 'ready'})
    rate = 0.0
    anchor_us = 0.0
    anchor_seq = 0
    seq = 0
    nxt = 0
    key_index = 0
    last_stats = time.monotonic()
    stopping = False

    while not stopping:
        try:
            while True:
                c = q.get_nowait() if rate > 0 else q.get(timeout=0.1)
                cmd = c['cmd']
                if cmd in ('start', 'rate'):
                    # A new schedule from now, as samsa-worker.ts's setRate explains.
                    anchor_us = now_us()
                    anchor_seq = seq
                    rate = float(c['rate'])
                elif cmd == 'flush':
                    emit(stats(True))
                elif cmd == 'stop':
                    stopping = True
                    break
        except queue.Empty:
            pass
        if stopping:
            break
        if time.monotonic() - last_stats >= STATS_INTERVAL_S:
            last_stats = time.monotonic()
            emit(stats())
        if rate <= 0:
            continue
        now = now_us()
        due = anchor_seq + int((now - anchor_us) * rate / 1e6) + 1
        n = 0
        while seq < due and n < PER_TURN and st['outstanding'] < MAX_OUTSTANDING_BYTES:
            intended = int(anchor_us + (seq - anchor_seq) * 1e6 / rate)
            sent_us = now_us()
            topic, p = producers[nxt]
            nxt = (nxt + 1) % len(producers)
            key = None
            if keys is not None:
                if random_keys:
                    key = keys[random.randrange(len(keys))]
                else:
                    key = keys[key_index % len(keys)]
                    key_index += 1
            try:
                p.produce(topic, HEADER.pack(intended, sent_us) + fill, key, on_delivery=on_delivery)
            except BufferError:
                # librdkafka's queue is full: serve deliveries, then retry this message (still late).
                p.poll(0.001)
                continue
            delay.record(sent_us - intended)
            st['outstanding'] += size
            st['sent'] += 1
            st['sentBytes'] += size
            seq += 1
            n += 1
        for _, p in producers:
            p.poll(0)
        if seq < due:
            continue
        wait = (anchor_us + (seq - anchor_seq) * 1e6 / rate - now_us()) / 1e6
        if wait > 0:
            # One producer: block in poll() so deliveries are served the moment they arrive.
            if len(producers) == 1:
                producers[0][1].poll(min(wait, 0.1))
            else:
                time.sleep(min(wait, 0.0005))
    deadline = time.monotonic() + 10
    for _, p in producers:
        p.flush(max(0, deadline - time.monotonic()))
    if st['firstError']:
        sys.stderr.write('librdkafka producer: sends failed (first: %s)\n' % st['firstError'])
    emit(stats(True))


def consumer_worker(cfg, q):
    lock = threading.Lock()
    e2e = Buckets()
    st = {'received': 0, 'receivedBytes': 0}
    state = {'paused': False, 'stopping': False, 'error': None}
    groups = []  # per (topic, subscription): list of assigned-partition counts, one per member
    threads = []

    def stats(flush=False):
        with lock:
            s = {'type': 'stats', 'received': st['received'], 'receivedBytes': st['receivedBytes'], 'e2e': e2e.take()}
            st['received'] = st['receivedBytes'] = 0
        if flush:
            s['flush'] = True
        return s

    def run(topic, group_id, counts, index):
        try:
            c = Consumer({'bootstrap.servers': cfg['bootstrap'], 'group.id': group_id, 'client.id': 'omb-rdkafka-%s-%d' % (group_id, index),
                          'auto.offset.reset': 'earliest'})

            def on_assign(consumer, parts):
                counts[index] = len(parts)
                if state['paused']:
                    consumer.pause(parts)

            def on_revoke(consumer, parts):
                counts[index] = 0

            c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
            paused = False
            while not state['stopping']:
                if state['paused'] != paused:
                    paused = state['paused']
                    parts = c.assignment()
                    if parts:
                        (c.pause if paused else c.resume)(parts)
                # consume(n, timeout) waits for n messages or the timeout, whichever comes
                # first: at low rates that is the timeout, added to every latency. So wait for
                # one message, then take what is already there without waiting.
                first = c.poll(0.1)
                if first is None:
                    continue
                msgs = [first] + c.consume(num_messages=999, timeout=0)
                now = now_us()
                n = 0
                b = 0
                lat = []
                for m in msgs:
                    if m.error() is not None:
                        continue
                    v = m.value()
                    if v is None or len(v) < 16:
                        continue
                    intended = HEADER.unpack_from(v, 0)[0]
                    if intended == 0:  # a producer's connect message, sent before the schedule
                        continue
                    lat.append(now - intended)
                    n += 1
                    b += len(v)
                with lock:
                    for x in lat:
                        e2e.record(x)
                    st['received'] += n
                    st['receivedBytes'] += b
            c.close()
        except Exception as e:  # a consumer that dies ends the run: the coordinator must know
            state['error'] = 'librdkafka consumer %s/%d: %s' % (group_id, index, e)

    for topic in cfg['topics']:
        for sub in cfg['subscriptions']:
            counts = [0] * cfg['consumerPerSubscription']
            groups.append(counts)
            for i in range(cfg['consumerPerSubscription']):
                t = threading.Thread(target=run, args=(topic, '%s-%s' % (sub, topic), counts, i), daemon=True)
                t.start()
                threads.append(t)
    while not all(sum(g) == cfg['partitionsPerTopic'] for g in groups):
        if state['error']:
            raise RuntimeError(state['error'])
        time.sleep(0.05)
    emit({'type': 'ready'})
    last_stats = time.monotonic()
    while True:
        if state['error']:
            raise RuntimeError(state['error'])
        try:
            c = q.get(timeout=max(0.0, STATS_INTERVAL_S - (time.monotonic() - last_stats)))
        except queue.Empty:
            last_stats = time.monotonic()
            emit(stats())
            continue
        cmd = c['cmd']
        if cmd == 'pause':
            state['paused'] = True
        elif cmd == 'resume':
            state['paused'] = False
        elif cmd == 'flush':
            emit(stats(True))
        elif cmd == 'stop':
            break
    state['stopping'] = True
    emit(stats(True))
    for t in threads:
        t.join(10)


def main():
    cfg = json.loads(sys.stdin.readline())
    q = queue.Queue()
    threading.Thread(target=read_commands, args=(q,), daemon=True).start()
    try:
        if cfg['role'] == 'producer':
            producer_worker(cfg, q)
        elif cfg['role'] == 'consumer':
            consumer_worker(cfg, q)
        else:
            raise ValueError('unknown role %r' % cfg['role'])
    except (Exception, KafkaException) as e:
        emit({'type': 'error', 'message': str(e)})
        sys.exit(1)
    emit({'type': 'stopped'})


if __name__ == '__main__':
    main()
