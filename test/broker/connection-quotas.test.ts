/**
 * max.connections, max.connections.per.ip and max.connections.per.ip.overrides: connections
 * over a limit are closed at accept, logged once per address, and counted out when they close.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import type { RawClient } from '../helpers/raw-client.js'
import { embeddedBroker, until } from './helpers.js'

async function serves(c: RawClient): Promise<void> {
  const r = await c.request(ApiKey.ApiVersions, 2, {})
  assert.equal(r.errorCode, 0)
}

test('max.connections.per.ip: the connection over the limit is closed at accept, logged once; a freed slot is reused', async (t) => {
  const tb = await embeddedBroker(t, { 'max.connections.per.ip': '2' })
  const [a, b] = [await tb.client(), await tb.client()]
  await serves(a)
  await serves(b)
  const over = [await tb.client(), await tb.client(), await tb.client()]
  for (const c of over) await c.waitClosed()
  const refused = tb.logs().filter((l) => l.msg.startsWith('refusing connection'))
  assert.equal(refused.length, 1, 'one line per address, not one per attempt')
  assert.match(refused[0]!.msg, /address 127\.0\.0\.1 already has the configured maximum of 2 connections \(max\.connections\.per\.ip\)/)
  assert.equal(refused[0]!.client, '127.0.0.1')
  await serves(a)

  a.close()
  await until(() => tb.b.broker.connectionCount === 1, 'the closed connection to be counted out')
  await serves(await tb.client())
})

test('max.connections.per.ip.overrides gives one address its own limit', async (t) => {
  const tb = await embeddedBroker(t, { 'max.connections.per.ip': '0', 'max.connections.per.ip.overrides': '127.0.0.1:3' })
  const ok = [await tb.client(), await tb.client(), await tb.client()]
  for (const c of ok) await serves(c)
  const over = await tb.client()
  await over.waitClosed()
  assert.match(tb.logs().find((l) => l.msg.startsWith('refusing connection'))!.msg, /maximum of 3 connections \(max\.connections\.per\.ip\.overrides\)/)
})

test('max.connections bounds the broker as a whole', async (t) => {
  const tb = await embeddedBroker(t, { 'max.connections': '1' })
  const a = await tb.client()
  await serves(a)
  const b = await tb.client()
  await b.waitClosed()
  assert.match(tb.logs().find((l) => l.msg.startsWith('refusing connection'))!.msg, /configured maximum of 1 connections \(max\.connections\)/)
  await serves(a)
})
