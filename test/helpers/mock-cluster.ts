/**
 * librdkafka's built-in mock cluster as a second, independent Kafka implementation for client
 * tests. A Python process under Debian's /usr/bin/python3 drives librdkafka (the librdkafka1
 * package python3-confluent-kafka depends on) through ctypes: it creates the cluster, prints
 * its addresses, then obeys one JSON command per stdin line (create a topic, take a broker
 * down, inject errors...) until stdin closes, which destroys the cluster.
 *
 * Why ctypes rather than a confluent_kafka Producer with `test.mock.num.brokers`: that route
 * only reveals the addresses through a log line, and the 2.0.2 mock neither implements
 * CreateTopics nor has a setting for the auto-create partition count (always 4), so topics of
 * a chosen size and fault injection need librdkafka's rd_kafka_mock_* functions anyway.
 */
import { spawn } from 'node:child_process'
import type { Socket } from 'node:net'
import type { TestContext } from 'node:test'
import { PYTHON } from './python.js'
import { hasPythonModule, requireTool } from './tools.js'

const MOCK_CLUSTER_PY = `
import ctypes, json, sys
from ctypes import c_char_p, c_int, c_int16, c_int32, c_size_t, c_void_p

lib = ctypes.CDLL('librdkafka.so.1')
def sig(name, res, *args):
    f = getattr(lib, name)
    f.restype = res
    f.argtypes = list(args)
    return f

version_str = sig('rd_kafka_version_str', c_char_p)
conf_new = sig('rd_kafka_conf_new', c_void_p)
conf_set = sig('rd_kafka_conf_set', c_int, c_void_p, c_char_p, c_char_p, c_char_p, c_size_t)
kafka_new = sig('rd_kafka_new', c_void_p, c_int, c_void_p, c_char_p, c_size_t)
kafka_destroy = sig('rd_kafka_destroy', None, c_void_p)
cluster_new = sig('rd_kafka_mock_cluster_new', c_void_p, c_void_p, c_int)
cluster_destroy = sig('rd_kafka_mock_cluster_destroy', None, c_void_p)
bootstraps = sig('rd_kafka_mock_cluster_bootstraps', c_char_p, c_void_p)

OPS = {
    'topic_create': sig('rd_kafka_mock_topic_create', c_int, c_void_p, c_char_p, c_int, c_int),
    'topic_set_error': sig('rd_kafka_mock_topic_set_error', None, c_void_p, c_char_p, c_int),
    'partition_set_leader': sig('rd_kafka_mock_partition_set_leader', c_int, c_void_p, c_char_p, c_int32, c_int32),
    'broker_set_down': sig('rd_kafka_mock_broker_set_down', c_int, c_void_p, c_int32),
    'broker_set_up': sig('rd_kafka_mock_broker_set_up', c_int, c_void_p, c_int32),
    'broker_set_rtt': sig('rd_kafka_mock_broker_set_rtt', c_int, c_void_p, c_int32, c_int),
    'coordinator_set': sig('rd_kafka_mock_coordinator_set', c_int, c_void_p, c_char_p, c_char_p, c_int32),
    'set_apiversion': sig('rd_kafka_mock_set_apiversion', c_int, c_void_p, c_int16, c_int16, c_int16),
    'clear_request_errors': sig('rd_kafka_mock_clear_request_errors', None, c_void_p, c_int16),
}
push_errors = sig('rd_kafka_mock_push_request_errors_array', None, c_void_p, c_int16, c_size_t, c_void_p)

spec = json.loads(sys.argv[1])
errstr = ctypes.create_string_buffer(512)
conf = conf_new()
# The handle only hosts the cluster: no bootstrap.servers, so it never talks to the mock itself
# (its Metadata requests would auto-create topics behind the tests' backs). Its one notice
# about that is noise; warnings and errors still reach stderr.
conf_set(conf, b'log_level', b'4', errstr, 512)
rk = kafka_new(0, conf, errstr, 512)
if not rk:
    sys.exit('rd_kafka_new: ' + errstr.value.decode())
mc = cluster_new(rk, spec['brokers'])
if not mc:
    sys.exit('rd_kafka_mock_cluster_new failed')

def arg(a):
    return a.encode() if isinstance(a, str) else a

for name, n in spec['topics'].items():
    err = OPS['topic_create'](mc, name.encode(), n, spec['replicationFactor'])
    if err:
        sys.exit('creating topic %s: error %d' % (name, err))

print(json.dumps({'bootstrap': bootstraps(mc).decode(), 'librdkafka': version_str().decode()}), flush=True)

for line in sys.stdin:
    if not line.strip():
        continue
    cmd = json.loads(line)
    try:
        if cmd['op'] == 'push_request_errors':
            codes = cmd['args'][1]
            arr = (c_int * max(len(codes), 1))(*codes)
            push_errors(mc, cmd['args'][0], len(codes), ctypes.cast(arr, c_void_p))
            err = 0
        else:
            err = OPS[cmd['op']](mc, *[arg(a) for a in cmd['args']]) or 0
        print(json.dumps({'id': cmd['id'], 'err': err}), flush=True)
    except Exception as e:
        print(json.dumps({'id': cmd['id'], 'exception': repr(e)}), flush=True)

cluster_destroy(mc)
kafka_destroy(rk)
`

export interface MockClusterOptions {
  /** Number of mock brokers; their node ids are 1..brokers. Default 3. */
  brokers?: number
  /**
   * Topics to create before returning, name → partition count. Other topics are auto-created
   * by the mock on Metadata or Produce, always with 4 partitions.
   */
  topics?: Record<string, number>
  /** Replication factor of the `topics`; default min(3, brokers), as the mock's auto-create uses. */
  replicationFactor?: number
  /** Copy librdkafka's stderr to this process's stderr as it arrives. */
  verbose?: boolean
  startTimeoutMs?: number
}

export interface MockCluster {
  /** "127.0.0.1:A,127.0.0.1:B,..." — every mock broker. */
  bootstrap: string
  /** The brokers' ports, in the order librdkafka listed them (broker 1 first). */
  ports: number[]
  /** The librdkafka version serving the mock, e.g. "2.0.2". */
  librdkafka: string
  /** Creates a topic (the mock has no CreateTopics); rejects with TOPIC_ALREADY_EXISTS (36) etc. */
  createTopic(name: string, partitions: number, replicationFactor?: number): Promise<void>
  /** Makes `broker` (or -1: none) the partition's leader, creating the topic if needed. */
  setPartitionLeader(topic: string, partition: number, broker: number): Promise<void>
  /** Drops the broker's connections and refuses new ones (no leader change); -1 = every broker. */
  brokerDown(broker: number): Promise<void>
  brokerUp(broker: number): Promise<void>
  /** Delays every response of `broker` (-1: all) by `rttMs`. */
  setBrokerRtt(broker: number, rttMs: number): Promise<void>
  /**
   * The next `codes.length` requests with `apiKey` fail with these codes, in order (cluster-wide).
   * librdkafka's -195 (_TRANSPORT) makes the broker drop the connection instead.
   */
  pushRequestErrors(apiKey: number, codes: number[]): Promise<void>
  clearRequestErrors(apiKey: number): Promise<void>
  /** Error returned for the topic in Metadata responses (0 clears it). */
  setTopicError(topic: string, code: number): Promise<void>
  /** Pins the coordinator of a group ("group") or transactional id ("transaction"). */
  setCoordinator(keyType: 'group' | 'transaction', key: string, broker: number): Promise<void>
  /** Narrows the versions advertised for `apiKey` (-1, -1 disables it); at most what the mock implements. */
  setApiVersion(apiKey: number, min: number, max: number): Promise<void>
  /** Destroys the cluster and ends the Python process. Safe to call more than once. */
  close(): Promise<void>
}

/** Whether the mock cluster can run here (python3-confluent-kafka, hence librdkafka1, installed). */
export function hasMockCluster(): boolean {
  return hasPythonModule('confluent_kafka')
}

/**
 * For tests: a mock cluster closed when the test ends, or undefined after skipping the test
 * when python3-confluent-kafka is missing locally (under CI=true that fails the test instead,
 * like the other interop helpers).
 */
export async function mockClusterFor(t: TestContext, opts: MockClusterOptions = {}): Promise<MockCluster | undefined> {
  if (!requireTool(t, 'python3-confluent-kafka (librdkafka mock cluster)', hasMockCluster)) return undefined
  const cluster = await startMockCluster(opts)
  t.after(() => cluster.close())
  return cluster
}

type Reply = { id: number; err?: number; exception?: string }

export function startMockCluster(opts: MockClusterOptions = {}): Promise<MockCluster> {
  const brokers = opts.brokers ?? 3
  const spec = { brokers, topics: opts.topics ?? {}, replicationFactor: opts.replicationFactor ?? Math.min(3, brokers) }
  const timeoutMs = opts.startTimeoutMs ?? 30_000
  const proc = spawn(PYTHON, ['-c', MOCK_CLUSTER_PY, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.setEncoding('utf8')
  proc.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s
    if (opts.verbose) process.stderr.write(s)
  })
  proc.stdin.on('error', () => {
    // EPIPE once Python has exited; pending commands are failed by the 'close' handler.
  })
  const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()))
  const diagnostics = () => `\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-4000)}`

  // Only outstanding work holds the event loop: a test that forgets close() must not keep the
  // runner alive, and once this process exits Python sees EOF on stdin and the cluster goes.
  const handles = [proc, ...[proc.stdin, proc.stdout, proc.stderr].map((s) => s as unknown as Socket)]
  let holds = 0
  const hold = (delta: 1 | -1 | 0) => {
    holds += delta
    for (const h of handles) holds > 0 ? h.ref() : h.unref()
  }
  let closing: Promise<void> | undefined

  let nextId = 1
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; what: string }>()
  proc.once('close', (code, signal) => {
    for (const p of pending.values()) p.reject(new Error(`mock cluster exited (${code ?? signal}) during ${p.what}${diagnostics()}`))
    pending.clear()
  })
  const command = (op: string, args: unknown[]): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null || closing) return Promise.reject(new Error(`mock cluster is closed (${op})`))
    const id = nextId++
    hold(1)
    return new Promise<void>((resolve, reject) => {
      pending.set(id, { resolve, reject, what: `${op}(${JSON.stringify(args)})` })
      proc.stdin.write(JSON.stringify({ id, op, args }) + '\n')
    }).finally(() => hold(-1))
  }
  const onReply = (line: string) => {
    const r = JSON.parse(line) as Reply
    const p = pending.get(r.id)
    if (!p) return
    pending.delete(r.id)
    if (r.exception) p.reject(new Error(`mock cluster ${p.what}: ${r.exception}`))
    else if (r.err) p.reject(new Error(`mock cluster ${p.what}: librdkafka error ${r.err}`))
    else p.resolve()
  }

  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      hold(1)
      proc.stdin.end()
      // Destroying the cluster joins librdkafka's threads; a stuck one must not hang the run.
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
      hold(-1)
    })()
    return closing
  }

  return new Promise<MockCluster>((resolve, reject) => {
    let started = false
    const fail = (why: string) => {
      if (started) return
      started = true
      clearTimeout(timer)
      proc.kill('SIGKILL')
      reject(new Error(`mock cluster: ${why}${diagnostics()}`))
    }
    const timer = setTimeout(() => fail(`no address within ${timeoutMs} ms`), timeoutMs)
    proc.on('error', (e) => fail(`cannot run ${PYTHON}: ${e.message}`))
    proc.once('close', (code, signal) => fail(`python exited (${code ?? signal}) before printing the address`))
    let buffered = ''
    proc.stdout.on('data', (s: string) => {
      stdout += s
      buffered += s
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        if (started) {
          onReply(line)
          continue
        }
        let hello: { bootstrap: string; librdkafka: string }
        try {
          hello = JSON.parse(line) as typeof hello
        } catch {
          fail(`unexpected first line ${JSON.stringify(line)}`)
          return
        }
        started = true
        clearTimeout(timer)
        hold(0)
        const { bootstrap, librdkafka } = hello
        const ports = bootstrap.split(',').map((a) => Number(a.slice(a.lastIndexOf(':') + 1)))
        resolve({
          bootstrap,
          ports,
          librdkafka,
          createTopic: (name, partitions, rf = spec.replicationFactor) => command('topic_create', [name, partitions, rf]),
          setPartitionLeader: (topic, partition, broker) => command('partition_set_leader', [topic, partition, broker]),
          brokerDown: (broker) => command('broker_set_down', [broker]),
          brokerUp: (broker) => command('broker_set_up', [broker]),
          setBrokerRtt: (broker, rttMs) => command('broker_set_rtt', [broker, rttMs]),
          pushRequestErrors: (apiKey, codes) => command('push_request_errors', [apiKey, codes]),
          clearRequestErrors: (apiKey) => command('clear_request_errors', [apiKey]),
          setTopicError: (topic, code) => command('topic_set_error', [topic, code]),
          setCoordinator: (keyType, key, broker) => command('coordinator_set', [keyType, key, broker]),
          setApiVersion: (apiKey, min, max) => command('set_apiversion', [apiKey, min, max]),
          close,
        })
      }
    })
  })
}
