/**
 * Java SimpleDateFormat patterns as the perf tools' --date-format takes them. The process's
 * time zone is whatever TZ says, so expected values are built from the same local Date.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileDateFormat, DateFormatError } from '../../src/cli/simple-date-format.js'

const p2 = (n: number) => String(n).padStart(2, '0')

test("Kafka's default pattern: yyyy-MM-dd HH:mm:ss:SSS", () => {
  const ms = new Date(2024, 0, 5, 7, 8, 9, 42).getTime()
  assert.equal(compileDateFormat('yyyy-MM-dd HH:mm:ss:SSS')(ms), '2024-01-05 07:08:09:042')
})

test('names, 12-hour clock, two-digit years, quoted text and escaped quotes', () => {
  const d = new Date(2023, 11, 31, 0, 5, 6, 7)
  const f = compileDateFormat("EEE, d MMM yy 'at' h:mm a (EEEE MMMM, D, ''k'' K, S)")
  assert.equal(f(d.getTime()), "Sun, 31 Dec 23 at 12:05 AM (Sunday December, 365, '24' 0, 7)")
})

test('zone offsets: Z and X forms', () => {
  const d = new Date(2024, 5, 1, 12, 0, 0)
  const minutes = -d.getTimezoneOffset()
  const sign = minutes < 0 ? '-' : '+'
  const hh = p2(Math.floor(Math.abs(minutes) / 60))
  const mm = p2(Math.abs(minutes) % 60)
  assert.equal(compileDateFormat('Z')(d.getTime()), `${sign}${hh}${mm}`)
  assert.equal(compileDateFormat('XXX')(d.getTime()), minutes === 0 ? 'Z' : `${sign}${hh}:${mm}`)
})

test('letters Java does not know are refused, as is an unterminated quote', () => {
  assert.throws(() => compileDateFormat('yyyy-qq'), (e) => e instanceof DateFormatError && /Illegal pattern character 'q'/.test(e.message))
  assert.throws(() => compileDateFormat("yyyy 'oops"), DateFormatError)
  assert.throws(() => compileDateFormat('XXXX'), DateFormatError)
})

test('punctuation and digits pass through', () => {
  const ms = new Date(2024, 1, 29, 23, 59, 58, 999).getTime()
  assert.equal(compileDateFormat('dd/MM/yyyy#HH.mm.ss,SSS 1')(ms), '29/02/2024#23.59.58,999 1')
})
