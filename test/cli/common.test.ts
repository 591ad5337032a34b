/**
 * Numeric flags: one parser (common.ts) for every tool. Out of range or not a number is a usage
 * error naming the flag and the range (exit 2, one line), never Node's RangeError from deep in
 * a request encoder (issue 13: `samsa topics --create --partitions 99999999999`).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CliError, EXIT_USAGE, INT32_MAX, INT64_MAX, INT64_MIN, intArg, longArg, numberArg, parseLongFlag, parseNumericFlag } from '../../src/cli/common.js'
import { runCli } from '../helpers/broker-process.js'

const usageError = (flag: string, range: RegExp) => (e: unknown) => {
  assert.ok(e instanceof CliError, String(e))
  assert.equal(e.exitCode, EXIT_USAGE)
  assert.match(e.message, new RegExp(`^${flag} must be `))
  assert.match(e.message, range)
  assert.match(e.message, /; \S/, 'says what to do')
  return true
}

test('numeric flags: integers within the range pass; anything else names the flag and the range', () => {
  const partitions = intArg('--partitions', 1, INT32_MAX)
  assert.equal(partitions('1'), 1)
  assert.equal(partitions(' 2147483647 '), INT32_MAX)
  assert.equal(partitions('+7'), 7)
  for (const bad of ['0', '-1', '2147483648', '99999999999', '1.5', '1e3', '0x10', '', ' ', 'many', 'Infinity', 'NaN']) {
    assert.throws(() => partitions(bad), usageError('--partitions', new RegExp(`an integer from 1 to 2147483647, got '${bad.replace(/[+.]/g, '\\$&')}'`)), bad)
  }
  // The default: a non-negative int32, the most Node's timers (and most Kafka ints) take.
  assert.throws(() => intArg('--timeout-ms')('2147483648'), usageError('--timeout-ms', /from 0 to 2147483647/))
  assert.throws(() => parseNumericFlag('--fix', 'x', { min: 0, max: 9, fix: 'give one digit' }), /; give one digit$/)
  assert.throws(() => parseNumericFlag('--time', '-9', { min: 0, max: 9, what: "-1 or a digit" }), /: --time must be -1 or a digit, got '-9'; /)
})

test('numeric flags: longs are exact bigints over the whole int64 range; decimals are finite numbers', () => {
  const offset = longArg('--to-offset', 0n)
  assert.equal(offset('9223372036854775807'), INT64_MAX)
  assert.equal(offset('9007199254740993'), 9007199254740993n, 'no rounding past 2^53')
  assert.throws(() => offset('9223372036854775808'), usageError('--to-offset', /from 0 to 9223372036854775807/))
  assert.throws(() => offset('-1'), usageError('--to-offset', /got '-1'/))
  assert.equal(longArg('--shift-by')('-9223372036854775808'), INT64_MIN)
  assert.throws(() => parseLongFlag('--shift-by', '-9223372036854775809', { min: INT64_MIN, max: INT64_MAX }), /--shift-by must be an integer from -9223372036854775808/)
  const throughput = numberArg('--throughput', { what: 'a number of records per second (-1: no limit)' })
  assert.equal(throughput('-1'), -1)
  assert.equal(throughput('2.5'), 2.5)
  assert.equal(throughput('1e3'), 1000)
  for (const bad of ['1e999', 'Infinity', 'NaN', 'fast', '', '1.2.3']) assert.throws(() => throughput(bad), usageError('--throughput', /a number of records per second/), bad)
})

test('out-of-range numeric flags of every tool: exit 2, one line `samsa <tool>: <flag> must be ...; <fix>`, before any connection', async () => {
  const B = ['--bootstrap-server', '127.0.0.1:1']
  const cases: Array<[string[], string, string]> = [
    [['topics', ...B, '--create', '--topic', 'x', '--partitions', '99999999999'], 'topics', "--partitions must be an integer from 1 to 2147483647, got '99999999999'"],
    [['topics', ...B, '--create', '--topic', 'x', '--replication-factor', '99999'], 'topics', '--replication-factor must be an integer from 1 to 32767'],
    [['topics', ...B, '--alter', '--topic', 'x', '--partitions', '-3'], 'topics', '--partitions must be'],
    [['topics', ...B, '--create', '--topic', 'x', '--replica-assignment', '0:99999999999'], 'topics', '--replica-assignment must be broker ids from 0 to 2147483647'],
    [['configs', ...B, '--describe', '--broker', '99999999999'], 'configs', '--broker must be a broker id'],
    [['console-consumer', ...B, '--topic', 'x', '--partition', '3000000000'], 'console-consumer', '--partition must be an integer from 0 to 2147483647'],
    [['console-consumer', ...B, '--topic', 'x', '--partition', '0', '--offset', '9223372036854775808'], 'console-consumer', "--offset must be 'earliest', 'latest' or an offset from 0 to 9223372036854775807"],
    [['console-consumer', ...B, '--topic', 'x', '--max-messages', '2147483648'], 'console-consumer', '--max-messages must be an integer from 0 to 2147483647'],
    [['console-producer', ...B, '--topic', 'x', '--batch-size', '-5'], 'console-producer', '--batch-size must be an integer from 0 to 2147483647'],
    [['console-producer', ...B, '--topic', 'x', '--request-timeout-ms', '1.5'], 'console-producer', '--request-timeout-ms must be an integer from 1 to 2147483647'],
    [['console-producer', ...B, '--topic', 'x', '--producer-property', 'linger.ms=99999999999'], 'console-producer', 'property linger.ms must be an integer up to 2147483647'],
    [['producer-perf-test', ...B, '--topic', 't', '--num-records', '1e20', '--record-size', '1', '--throughput', '-1'], 'producer-perf-test', '--num-records must be an integer from 1 to 9007199254740991'],
    [['producer-perf-test', ...B, '--topic', 't', '--num-records', '1', '--record-size', '99999999999', '--throughput', '-1'], 'producer-perf-test', '--record-size must be an integer from 1 to 1073741824'],
    [['producer-perf-test', ...B, '--topic', 't', '--num-records', '1', '--record-size', '1', '--throughput', 'Infinity'], 'producer-perf-test', '--throughput must be a number of records per second'],
    [['consumer-perf-test', ...B, '--topic', 't', '--messages', '10', '--fetch-size', '3000000000'], 'consumer-perf-test', '--fetch-size must be an integer from 1 to 2147483647'],
    [['consumer-perf-test', ...B, '--topic', 't', '--messages', '10', '--reporting-interval', '0'], 'consumer-perf-test', '--reporting-interval must be an integer from 1 to 2147483647'],
    [['consumer-groups', ...B, '--reset-offsets', '--group', 'g', '--topic', 't', '--shift-by', '9223372036854775808'], 'consumer-groups', '--shift-by must be an integer from -9223372036854775808 to 9223372036854775807'],
    [['consumer-groups', ...B, '--reset-offsets', '--group', 'g', '--topic', 't:99999999999', '--to-earliest'], 'consumer-groups', '--topic must be topic:partitions with partitions from 0 to 2147483647'],
    [['consumer-groups', ...B, '--list', '--timeout', '99999999999'], 'consumer-groups', '--timeout must be an integer from 1 to 2147483647'],
    [['get-offsets', ...B, '--partitions', '0,3000000000'], 'get-offsets', '--partitions must be partition ids from 0 to 2147483647'],
    [['get-offsets', ...B, '--time', '99999999999999999999'], 'get-offsets', '--time must be -1 (latest), -2 (earliest), -3 (max-timestamp) or a timestamp in ms'],
    [['dump-log', '--files', 'x.log', '--max-bytes', '0'], 'dump-log', '--max-bytes must be an integer from 1 to 2147483647'],
    [['server', 'stop', '--timeout-ms', '99999999999'], 'server stop', '--timeout-ms must be an integer from 1 to 2147483647'],
  ]
  // A few at a time: each is a process start.
  for (let i = 0; i < cases.length; i += 4) {
    await Promise.all(
      cases.slice(i, i + 4).map(async ([args, tool, message]) => {
        const r = await runCli(args, { timeoutMs: 30_000, env: { SAMSA_CLI_CONNECT_TIMEOUT_MS: '1000' } })
        const lines = r.stderr.trimEnd().split('\n')
        assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`)
        assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`)
        assert.ok(lines[0]!.startsWith(`samsa ${tool}: ${message}`), `${args.join(' ')}:\n${lines[0]}`)
        assert.match(lines[0]!, /, got '[^']*'; \S.*$/)
        assert.doesNotMatch(r.stderr, /RangeError/)
      }),
    )
  }
})
