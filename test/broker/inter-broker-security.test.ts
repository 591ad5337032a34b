/**
 * What brokers use to reach each other, from the inter-broker listener's config: TLS with the
 * listener's own stores, SASL with sasl.mechanism.inter.broker.protocol and the username /
 * password of its login module; the start-up errors when that cannot work.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, loadBrokerConfig } from '../../src/broker/config.js'
import { interBrokerSecurity } from '../../src/broker/inter-broker-security.js'
import { makeCerts } from '../helpers/certs.js'

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="b-secret" user_broker="b-secret";'
const etcd = { 'metadata.store': 'etcd', 'etcd.endpoints': 'http://127.0.0.1:1' }

test('SASL_SSL inter-broker listener: TLS with its stores, PLAIN with its login module credentials', async () => {
  const certs = makeCerts()
  try {
    const cfg = loadBrokerConfig({
      overrides: {
        ...etcd,
        listeners: 'PLAINTEXT://:9092,INTERNAL://:9093',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL',
        'inter.broker.listener.name': 'INTERNAL',
        'listener.name.internal.ssl.keystore.location': certs.serverKeystore,
        'listener.name.internal.ssl.truststore.location': certs.caFile,
        'listener.name.internal.sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.internal.plain.sasl.jaas.config': JAAS,
      },
    })
    const s = interBrokerSecurity(cfg)()
    assert.match(String(s.tls!.ca), /BEGIN CERTIFICATE/)
    assert.match(String(s.tls!.key), /PRIVATE KEY/)
    assert.equal(s.tls!.checkServerIdentity, undefined, 'host names are checked by default')
    const client = s.sasl!()
    assert.equal(client.mechanism, 'PLAIN')
    assert.deepEqual(await client.initial(), Buffer.from('\u0000broker\u0000b-secret'))
  } finally {
    certs.cleanup()
  }
})

test('a PLAINTEXT inter-broker listener adds nothing', () => {
  assert.deepEqual(interBrokerSecurity(loadBrokerConfig({ overrides: { ...etcd, listeners: 'PLAINTEXT://:9092,SASL_PLAINTEXT://:9093', 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': JAAS } }))(), {})
})

test('start-up errors: no credentials, a mechanism the listener does not enable, GSSAPI', () => {
  const base = { ...etcd, listeners: 'SASL_PLAINTEXT://:9093', 'sasl.enabled.mechanisms': 'PLAIN' }
  const noCreds = loadBrokerConfig({ overrides: { ...base, 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a";' } })
  assert.throws(() => interBrokerSecurity(noCreds), (e: unknown) => e instanceof ConfigError && /no username\/password: add username="<broker user>"/.test(e.message) && !/"a"/.test(e.message))
  const scram = loadBrokerConfig({ overrides: { ...base, 'sasl.jaas.config': JAAS, 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512' } })
  assert.throws(() => interBrokerSecurity(scram), /SCRAM-SHA-512 is not enabled on the inter-broker listener SASL_PLAINTEXT/)
  const gssapi = loadBrokerConfig({ overrides: { ...base, 'sasl.jaas.config': JAAS, 'sasl.mechanism.inter.broker.protocol': 'GSSAPI' } })
  assert.throws(() => interBrokerSecurity(gssapi), /GSSAPI cannot be used between Samsa brokers/)
  // A single broker on the local store has no peers: no error until something would connect.
  const single = loadBrokerConfig({ overrides: { listeners: 'SASL_PLAINTEXT://:9093', 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a";' } })
  const lazy = interBrokerSecurity(single)
  assert.throws(() => lazy(), /no username\/password/)
})
