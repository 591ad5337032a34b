/**
 * Runs a Python client script under Debian's /usr/bin/python3 for the interop tests: the script
 * gets the bootstrap address in argv[1] and a JSON document on stdin, and prints one JSON
 * document as its last stdout line.
 */
import assert from 'node:assert/strict'
import { runTool } from './tools.js'

export const PYTHON = '/usr/bin/python3'

export async function runPythonJson<T>(script: string, bootstrap: string, input: unknown, timeoutMs = 60_000): Promise<T> {
  const r = await runTool(PYTHON, ['-c', script, bootstrap], { input: JSON.stringify(input), timeoutMs })
  if (r.code !== 0) throw new Error(`python exited ${r.code}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-6000)}`)
  const last = r.stdout.trim().split('\n').at(-1)
  if (!last) throw new Error(`python printed nothing\nstderr: ${r.stderr.slice(-6000)}`)
  return JSON.parse(last) as T
}

/** A record as the Python scripts exchange it: bytes as hex, null for None. */
export interface PyRecord {
  partition: number
  key: string | null
  value: string | null
  headers: Array<[string, string | null]>
  timestamp: number
}

export interface PyConsumed extends PyRecord {
  offset: number
  timestamp_type: number
}

/** Records with keys, values and headers of awkward shapes, spread over `partitions`, timestamps base + i. */
export function sampleRecords(count: number, partitions: number, base: number): PyRecord[] {
  const hex = (s: string | Buffer) => Buffer.from(s).toString('hex')
  return Array.from({ length: count }, (_, i) => ({
    partition: i % partitions,
    key: i % 11 === 10 ? null : hex(`key-${i % 5}`),
    value: i % 13 === 12 ? hex('') : hex(Buffer.concat([Buffer.from(`value ${i} héllo `), Buffer.alloc((i * 37) % 3000, i % 256)])),
    headers: i % 4 === 3 ? [] : [
      ['seq', hex(String(i))],
      ['bin', hex(Buffer.from([0, 1, 254, 255, i % 256]))],
      ['seq', hex('duplicate name')],
    ],
    timestamp: base + i * 3,
  }))
}

/** Every record came back once, in its partition, in send order, with the offset its delivery report gave. */
export function checkRoundTrip(records: PyRecord[], delivered: Array<{ partition: number; offset: number }>, consumed: PyConsumed[]): void {
  assert.equal(delivered.length, records.length, 'a delivery report per record')
  assert.equal(consumed.length, records.length, 'every record consumed')
  const expectedOffset = new Map<number, number>()
  const deliveredAt = records.map((r, i) => {
    const next = expectedOffset.get(r.partition) ?? 0
    expectedOffset.set(r.partition, next + 1)
    assert.equal(delivered[i]!.partition, r.partition, `record ${i} delivered to its partition`)
    assert.equal(delivered[i]!.offset, next, `record ${i} delivery offset`)
    return next
  })
  const index = new Map(consumed.map((c) => [`${c.partition}/${c.offset}`, c]))
  assert.equal(index.size, consumed.length, 'no record consumed twice')
  records.forEach((r, i) => {
    const c = index.get(`${r.partition}/${deliveredAt[i]}`)
    assert.ok(c, `record ${i} at ${r.partition}/${deliveredAt[i]} consumed`)
    assert.equal(c.key, r.key, `record ${i} key`)
    assert.equal(c.value, r.value, `record ${i} value`)
    assert.deepEqual(c.headers, r.headers, `record ${i} headers`)
    assert.equal(c.timestamp, r.timestamp, `record ${i} timestamp`)
    assert.equal(c.timestamp_type, 0, `record ${i} CreateTime`)
  })
}
