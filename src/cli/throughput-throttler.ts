/**
 * Paces a sender to about `target` things (records, bytes) per second, the way Kafka's
 * ThroughputThrottler paces kafka-producer-perf-test.sh, so `--throughput` means the same:
 *
 * - after each send the caller asks `shouldThrottle(sentSoFar, now)`: true while the average
 *   rate since the start is above the target;
 * - each throttled send adds 1/target seconds of "sleep owed"; the caller sleeps only once at
 *   least 2 ms are owed (`sleepMs()`), because timers cannot sleep much less than that and
 *   sleeping per record at high rates would cost more than it paces.
 *
 * Oversleeping is not paid back: the average then falls below the target, `shouldThrottle`
 * returns false, and the sender runs unpaced until it has caught up.
 *
 * A negative target disables throttling. A target of 0 would never finish (Kafka blocks for
 * ever); the tools refuse it.
 */

const MIN_SLEEP_MS = 2

export class ThroughputThrottler {
  private readonly perItemMs: number
  private owedMs = 0

  /** `startMs`: when the first item was sent, on the clock later calls use. */
  constructor(
    private readonly target: number,
    private readonly startMs: number,
  ) {
    this.perItemMs = target > 0 ? 1000 / target : Infinity
  }

  get enabled(): boolean {
    return this.target >= 0
  }

  /** Whether the rate so far is above the target (`amountSoFar` items sent by `nowMs`). */
  shouldThrottle(amountSoFar: number, nowMs: number): boolean {
    if (this.target < 0) return false
    const elapsedSec = (nowMs - this.startMs) / 1000
    return elapsedSec > 0 && amountSoFar / elapsedSec > this.target
  }

  /** Called when `shouldThrottle` said so: how long to sleep now (0: keep going, not enough owed yet). */
  sleepMs(): number {
    this.owedMs += this.perItemMs
    if (this.owedMs < MIN_SLEEP_MS) return 0
    const ms = this.owedMs
    this.owedMs = 0
    return ms
  }
}
