/**
 * SSL and SASL_SSL listeners with certificates made at test time (test/helpers/certs.ts),
 * driven by kcat, kafkajs and Node's tls: server-only TLS, mutual TLS with the principal taken
 * from the client certificate, refusals (plaintext on the TLS port, TLS on the plaintext port,
 * garbage, untrusted certificates) while others keep working, and a certificate reload.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { connect as tlsConnect } from 'node:tls'
import { connect as netConnect } from 'node:net'
import { readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { makeCerts, type TestCerts } from '../helpers/certs.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { embeddedBroker, type TestBroker } from '../broker/helpers.js'
import { metadataHandler } from '../../src/broker/handlers/03-metadata.js'
import { principalToString } from '../../src/security/principal.js'

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";'

interface TlsBroker extends TestBroker {
  certs: TestCerts
  port(listener: string): number
  /** Principals of the Metadata requests served so far. */
  seen: string[]
}

async function tlsBroker(t: TestContext, extra: Record<string, string> = {}): Promise<TlsBroker> {
  const certs = makeCerts()
  t.after(() => certs.cleanup())
  const tb = await embeddedBroker(t, {
    listeners: 'SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
    'ssl.keystore.location': certs.serverKeystore,
    'ssl.truststore.location': certs.caFile,
    'sasl.enabled.mechanisms': 'PLAIN',
    'sasl.jaas.config': JAAS,
    ...extra,
  })
  const seen: string[] = []
  tb.b.broker.context.handlers.register({ ...metadataHandler, handle: (req, ctx) => (seen.push(principalToString(ctx.principal)), metadataHandler.handle(req, ctx)) })
  return { ...tb, certs, seen, port: (l) => tb.b.broker.listeners.find((x) => x.name === l)!.port }
}

const kcat = (args: string[], input?: string) => runTool('kcat', args, { timeoutMs: 30_000, ...(input !== undefined ? { input } : {}) })

test('kcat over SSL and over SASL_SSL with PLAIN; kafkajs over TLS with SASL PLAIN', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await tlsBroker(t)
  const ssl = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${b.certs.caFile}`]
  const p = await kcat(['-P', '-b', `localhost:${b.port('SSL')}`, '-t', 'tls-t', ...ssl], 'over-tls\n')
  assert.equal(p.code, 0, p.stderr)
  const saslSsl = ['-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${b.certs.caFile}`, '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret']
  const c = await kcat(['-C', '-b', `127.0.0.1:${b.port('SASL_SSL')}`, '-t', 'tls-t', '-o', 'beginning', '-e', ...saslSsl])
  assert.equal(c.code, 0, c.stderr)
  assert.equal(c.stdout.trim(), 'over-tls')
  assert.ok(b.seen.includes('User:ANONYMOUS') && b.seen.includes('User:alice'), b.seen.join())

  const kafka = new Kafka({ brokers: [`localhost:${b.port('SASL_SSL')}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ssl: { ca: [readFileSync(b.certs.caFile, 'utf8')] }, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } })
  const admin = kafka.admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  assert.equal((await admin.fetchTopicOffsets('tls-t'))[0]!.high, '1')
})

test('mutual TLS: the principal is the client certificate subject, mapped by ssl.principal.mapping.rules; no or untrusted certificates are refused', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await tlsBroker(t, {
    'listener.name.ssl.ssl.client.auth': 'required',
    'listener.name.ssl.ssl.principal.mapping.rules': 'RULE:^CN=([a-z]+),OU=Ops,.*$/$1-ops/U,DEFAULT',
  })
  const base = ['-L', '-b', `localhost:${b.port('SSL')}`, '-m', '5', '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${b.certs.caFile}`]
  const withCert = (c: { certFile: string; keyFile: string }) => [...base, '-X', `ssl.certificate.location=${c.certFile}`, '-X', `ssl.key.location=${c.keyFile}`]
  const alice = b.certs.client('/C=US/O=Acme, Inc./OU=Eng/CN=alice')
  const bob = b.certs.client('/C=US/O=Acme/OU=Ops/CN=bob')
  assert.equal((await kcat(withCert(alice))).code, 0)
  assert.equal((await kcat(withCert(bob))).code, 0)
  assert.deepEqual([...new Set(b.seen)], ['User:CN=alice,OU=Eng,O=Acme\\, Inc.,C=US', 'User:BOB-OPS'])
  const served = b.seen.length

  const none = await kcat(base.map((a) => (a === '5' ? '3' : a)))
  assert.notEqual(none.code, 0, 'no client certificate on a required listener')
  const evil = await kcat(withCert(b.certs.untrustedClient()).map((a) => (a === '5' ? '3' : a)))
  assert.notEqual(evil.code, 0, 'an untrusted client certificate')
  assert.equal(b.seen.length, served, 'refused clients were never served')
  assert.ok(b.logs().some((l) => l.msg === 'closing connection: TLS handshake failed'))
})

test('a plaintext client on the TLS port, a TLS client on the plaintext port and garbage are refused; others keep working', async (t) => {
  const b = await tlsBroker(t)
  // ApiVersions v0 in plaintext to the TLS port.
  const plain = netConnect({ port: b.port('SSL'), host: '127.0.0.1' })
  plain.on('error', () => {})
  plain.write(Buffer.from('0000000e0012000000000001000474657374', 'hex'))
  await new Promise((r) => plain.once('close', r))
  const garbage = netConnect({ port: b.port('SASL_SSL'), host: '127.0.0.1' })
  garbage.on('error', () => {})
  garbage.write(Buffer.alloc(64, 0xab))
  await new Promise((r) => garbage.once('close', r))
  const tlsOnPlain = tlsConnect({ port: b.port('PLAINTEXT'), host: '127.0.0.1', ca: readFileSync(b.certs.caFile) })
  await new Promise<void>((resolve) => tlsOnPlain.once('error', () => resolve()))
  tlsOnPlain.destroy()
  const logs = b.logs().map((l) => l.msg)
  assert.equal(logs.filter((m) => m === 'closing connection: TLS handshake failed').length, 2, logs.join('\n'))
  assert.ok(logs.some((m) => /looks like a TLS handshake/.test(m)), logs.join('\n'))
  // A good TLS client is served all along.
  const ok = tlsConnect({ port: b.port('SSL'), host: '127.0.0.1', servername: 'localhost', ca: readFileSync(b.certs.caFile) })
  await new Promise<void>((resolve, reject) => ok.once('secureConnect', resolve).once('error', reject))
  ok.write(Buffer.from('0000000e0012000000000001000474657374', 'hex'))
  const reply = await new Promise<Buffer>((resolve) => ok.once('data', resolve))
  assert.equal(reply.readInt32BE(4), 1, 'the ApiVersions answer carries its correlation id')
  ok.destroy()
})

test('a changed keystore file is picked up without a restart', async (t) => {
  const b = await tlsBroker(t)
  const subject = async () => {
    const s = tlsConnect({ port: b.port('SSL'), host: '127.0.0.1', servername: 'localhost', ca: readFileSync(b.certs.caFile) })
    await new Promise<void>((resolve, reject) => s.once('secureConnect', resolve).once('error', reject).once('close', () => reject(new Error('closed before the handshake'))))
    const cn = s.getPeerCertificate().subject.CN
    s.destroy()
    return cn
  }
  assert.equal(await subject(), 'localhost')
  const next = join(b.certs.dir, 'next.pem')
  b.certs.newServerKeystore(next, 'reloaded')
  renameSync(next, b.certs.serverKeystore)
  const deadline = Date.now() + 15_000
  let cn = await subject()
  while (cn !== 'reloaded' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200))
    cn = await subject()
  }
  assert.equal(cn, 'reloaded')
})

test('TLS listeners without a key, with JKS stores or a wrong key password stop start-up, naming the key', async (t) => {
  const certs = makeCerts()
  t.after(() => certs.cleanup())
  await assert.rejects(embeddedBroker(t, { listeners: 'SSL://127.0.0.1:0' }), /ssl\.keystore\.location/)
  await assert.rejects(embeddedBroker(t, { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'JKS', 'ssl.keystore.location': certs.serverKeystore }), /JKS is Java-only/)
  await assert.rejects(embeddedBroker(t, { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': join(certs.dir, 'missing.pem') }), /cannot read ssl\.keystore\.location/)
  await assert.rejects(embeddedBroker(t, { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.serverKeystore, 'ssl.client.auth': 'required' }), /ssl\.truststore\.location/)
  await assert.rejects(embeddedBroker(t, { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.serverKeystore, 'ssl.principal.mapping.rules': 'RULE:oops' }), /invalid rule/)
})
