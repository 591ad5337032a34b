/**
 * The line protocol between the coordinator (run.ts) and its driver processes: one JSON
 * document per line, commands on the driver's stdin, reports on its stdout (stderr is the
 * driver's log). The Node worker (samsa-worker.ts) and the Python librdkafka driver
 * (drivers/librdkafka_driver.py) speak it alike, so the coordinator cannot tell them apart.
 *
 * The first line a driver reads is its WorkerConfig. It then connects and answers `ready`
 * (a consumer driver once every consumer of every subscription has its partitions). Commands:
 *   { cmd: 'start', rate }   producer: start the schedule at `rate` messages/s over all its producers
 *   { cmd: 'rate', rate }    producer: a new schedule at `rate` from now on (the max-rate controller);
                            messages the old schedule had not sent yet are dropped
 *   { cmd: 'pause' } / { cmd: 'resume' }   consumer: stop / restart delivering (build-and-drain)
 *   { cmd: 'flush' }         answer a stats line now (marked flush) — the coordinator does this at
 *                            phase boundaries so every count lands in the right phase
 *   { cmd: 'stop' }          producer: stop sending, wait up to 10 s for acknowledgements;
 *                            then both send a last stats line and `{ type: 'stopped' }` and exit.
 * Reports: `{ type: 'ready' }`, `StatsLine` about once a second, `{ type: 'error', message }`
 * (fatal: the coordinator stops the run), `{ type: 'stopped' }`.
 *
 * Times are microseconds on CLOCK_MONOTONIC, the one clock every process on the machine shares
 * to the microsecond (the wall clock as Node reads it is off by milliseconds between processes):
 * a payload's bytes 0-7 hold the intended send time and 8-15 the actual send time, both
 * unsigned 64-bit big-endian. So producer and consumer drivers must run on one machine (the
 * coordinator starts both); the broker may be elsewhere.
 */
import { monotonicMicros } from '../../src/util/trace.js'
import type { KeyDistributor } from './workload.js'

export interface ProducerConfig {
  role: 'producer'
  bootstrap: string
  topics: string[]
  producersPerTopic: number
  messageSize: number
  keyDistributor: KeyDistributor
}

export interface ConsumerConfig {
  role: 'consumer'
  bootstrap: string
  topics: string[]
  /** Subscription names; subscription s of topic t is the consumer group `${s}-${t}` (one group per topic, as OMB's Kafka driver). */
  subscriptions: string[]
  consumerPerSubscription: number
  /** Partitions per topic: ready once each subscription of each topic holds all of them. */
  partitionsPerTopic: number
}

export type WorkerConfig = ProducerConfig | ConsumerConfig

export type Command =
  | { cmd: 'start'; rate: number }
  | { cmd: 'rate'; rate: number }
  | { cmd: 'pause' }
  | { cmd: 'resume' }
  | { cmd: 'flush' }
  | { cmd: 'stop' }

/** Counts since the previous stats line; histograms as `{ bucket: count }` (see histogram.ts). */
export interface StatsLine {
  type: 'stats'
  flush?: boolean
  /** producer: records handed to the client, their payload bytes, acknowledged, failed. */
  sent?: number
  sentBytes?: number
  acked?: number
  errors?: number
  /** consumer: records delivered to the application and their payload bytes. */
  received?: number
  receivedBytes?: number
  /** ack time - intended send time (coordinated-omission-correct publish latency). */
  pub?: Record<string, number>
  /** ack time - actual send time (OMB's publish latency). */
  pubSend?: Record<string, number>
  /** actual send time - intended send time (OMB's publish delay). */
  delay?: Record<string, number>
  /** delivery time - intended send time. */
  e2e?: Record<string, number>
}

export type Report = StatsLine | { type: 'ready' } | { type: 'stopped' } | { type: 'error'; message: string }

/** Microseconds on CLOCK_MONOTONIC, comparable with every other process's on the machine (see monotonicMicros). */
export const nowUs = monotonicMicros
