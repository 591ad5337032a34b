/** Samsa's public API. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Broker } from './broker/broker.js'
import { loadBrokerConfig } from './broker/config.js'
import type { Time } from './util/time.js'
import type { Logger } from './util/logger.js'

export { Broker } from './broker/broker.js'
export { loadBrokerConfig, BROKER_CONFIG, ConfigError } from './broker/config.js'
export { KafkaError, ErrorCode, errorByCode, errorByName } from './protocol/errors.js'
export * from './client/producer/index.js'
export * from './client/admin/index.js'
export {
  Consumer,
  assignorByName,
  ASSIGNOR_NAMES,
  type ConsumerOptions,
  type AutoOffsetReset,
  type ConsumerRecord,
  type ConsumerRecordHeader,
  type ConsumerBatch,
  type CommitOffset,
  type OffsetAndMetadata,
  type RebalanceListener,
  type PollOptions,
  type IterateOptions,
  type ConsumerGroupMetadata,
  type Assignor,
} from './client/consumer/index.js'
export { AuthenticationError, ClientError, ConnectionError, RequestTimeoutError, isRetriable } from './client/base/errors.js'
export type { BaseOptions } from './client/base/options.js'
export type { SaslOptions, SaslPasswordOptions, SaslOAuthBearerOptions, OAuthBearerProvider, OAuthBearerTokenValue } from './client/base/sasl/index.js'
export type { TopicPartition, Headers, HeaderValue } from './client/base/types.js'

export interface StartBrokerOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  host?: string
  /** Log directories; default: a fresh temp dir removed on close(). */
  logDirs?: string[]
  /** Any other broker property, by Kafka name. */
  config?: Record<string, string>
  logger?: Logger
  /** The broker's clock and timers (a ManualTime in tests: coordinator timeouts, ISR lag); default the system clock. */
  time?: Time
}

export interface StartedBroker {
  broker: Broker
  /** "host:port" for bootstrap.servers. */
  bootstrap: string
  host: string
  port: number
  close(): Promise<void>
}

/** Starts a real broker in this process, for tests and embedding. */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<StartedBroker> {
  const host = opts.host ?? '127.0.0.1'
  const temp = opts.logDirs ? undefined : mkdtempSync(join(tmpdir(), 'samsa-'))
  const config = loadBrokerConfig({
    overrides: {
      listeners: `PLAINTEXT://${host}:${opts.port ?? 0}`,
      'log.dirs': (opts.logDirs ?? [temp!]).join(','),
      // Quick start, as Kafka's shipped config/server.properties: a group's first consumer gets
      // its assignment at once. Kafka's built-in default (3000) stays for `samsa server start`.
      'group.initial.rebalance.delay.ms': '0',
      ...opts.config,
    },
  })
  const broker = new Broker({ config, ...(opts.logger ? { logger: opts.logger } : {}), ...(opts.time ? { time: opts.time } : {}) })
  await broker.start()
  const l = broker.listeners[0]!
  return {
    broker,
    bootstrap: `${l.advertisedHost}:${l.advertisedPort}`,
    host: l.advertisedHost,
    port: l.advertisedPort,
    async close() {
      await broker.close()
      if (temp) rmSync(temp, { recursive: true, force: true })
    },
  }
}
