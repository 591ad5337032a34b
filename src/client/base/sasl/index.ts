/**
 * The `sasl` client option, with kafkajs's names: `{ mechanism: 'plain' | 'scram-sha-256' |
 * 'scram-sha-512', username, password }` or `{ mechanism: 'oauthbearer', oauthBearerProvider }`,
 * checked once when the client is made and turned into a fresh SaslClient per connection.
 */
import { ClientError } from '../errors.js'
import type { SaslClient } from './mechanism.js'
import { oauthBearerClient, type OAuthBearerProvider } from './oauthbearer.js'
import { plainClient } from './plain.js'
import { scramClient } from './scram.js'

export interface SaslPasswordOptions {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'
  username: string
  password: string
}

export interface SaslOAuthBearerOptions {
  mechanism: 'oauthbearer'
  oauthBearerProvider: OAuthBearerProvider
}

export type SaslOptions = SaslPasswordOptions | SaslOAuthBearerOptions

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer']

/** Validates the option; returns a factory of per-connection SASL clients. */
export function saslClientFactory(o: SaslOptions | undefined): (() => SaslClient) | undefined {
  if (o === undefined) return undefined
  const mechanism = typeof o?.mechanism === 'string' ? o.mechanism.toLowerCase() : undefined
  if (mechanism === undefined || !MECHANISMS.includes(mechanism)) {
    throw new ClientError('INVALID_OPTION', `option sasl.mechanism must be one of ${MECHANISMS.join(', ')}, got ${JSON.stringify(o?.mechanism)}`)
  }
  if (mechanism === 'oauthbearer') {
    const provider = (o as SaslOAuthBearerOptions).oauthBearerProvider
    if (typeof provider !== 'function') throw new ClientError('INVALID_OPTION', 'option sasl with mechanism oauthbearer needs oauthBearerProvider: async () => ({ value: <token> })')
    return () => oauthBearerClient(provider)
  }
  const { username, password } = o as SaslPasswordOptions
  if (typeof username !== 'string' || username === '' || typeof password !== 'string') {
    throw new ClientError('INVALID_OPTION', `option sasl with mechanism ${mechanism} needs username and password strings`)
  }
  if (mechanism === 'plain') return () => plainClient(username, password)
  const m = mechanism === 'scram-sha-256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512'
  return () => scramClient({ mechanism: m, username, password })
}

export type { SaslClient } from './mechanism.js'
export type { OAuthBearerProvider, OAuthBearerTokenValue } from './oauthbearer.js'
