/**
 * A progress bar for the tools' long operations (perf tests, bulk reads and writes): one line
 * on stderr, redrawn in place, and only when stderr is a terminal, so pipes, files and test
 * harnesses never see control characters.
 *
 * ```ts
 * const bar = new Progress({ total: 1_000_000, unit: 'records', label: 'producing' })
 * bar.update(sent)      // cheap to call often: redraws at most every intervalMs
 * bar.clear()           // before writing a line of your own to the same terminal
 * bar.done()            // erases the bar; later updates draw nothing
 * ```
 *
 * Redraws are throttled (100 ms by default) because a terminal that is repainted on every
 * record costs more than the work being measured. The bar erases itself instead of leaving a
 * finished bar behind, so the tool's real output (Kafka's result lines) is all that remains.
 */

/** The slice of a tty.WriteStream the bar needs (tests pass a fake). */
export interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write(chunk: string): boolean
}

export interface ProgressOptions {
  /** The expected count; without it the line shows the count and the rate only. */
  total?: number
  /** What is counted, after the numbers ("records"). */
  unit?: string
  /** Text before the bar ("producing"). */
  label?: string
  /** Default process.stderr. */
  stream?: ProgressStream
  /** Least time between two redraws; default 100 ms. */
  intervalMs?: number
  /** Milliseconds clock; default performance.now (tests pass a fake). */
  now?: () => number
}

/** Carriage return, then erase to the end of the line. */
const ERASE = '\r\x1b[K'

export class Progress {
  /** Whether anything is ever drawn: stderr is a terminal. */
  readonly enabled: boolean
  private readonly stream: ProgressStream
  private readonly total: number | undefined
  private readonly unit: string
  private readonly label: string
  private readonly intervalMs: number
  private readonly now: () => number
  private readonly startedAt: number
  private lastDrawAt = -Infinity
  private drawn = false
  private finished = false

  constructor(opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr
    this.enabled = this.stream.isTTY === true
    this.total = opts.total !== undefined && opts.total > 0 ? opts.total : undefined
    this.unit = opts.unit ?? ''
    this.label = opts.label ?? ''
    this.intervalMs = opts.intervalMs ?? 100
    this.now = opts.now ?? (() => performance.now())
    this.startedAt = this.now()
  }

  /** Reports `count` done so far; redraws if the last redraw is at least intervalMs old. */
  update(count: number): void {
    if (!this.enabled || this.finished) return
    const now = this.now()
    if (now - this.lastDrawAt < this.intervalMs) return
    this.lastDrawAt = now
    this.drawn = true
    this.stream.write(ERASE + this.render(count, now))
  }

  /**
   * Erases the bar (if drawn) so the caller can write a line of its own; the next update
   * draws it again at once.
   */
  clear(): void {
    if (this.drawn) this.stream.write(ERASE)
    this.drawn = false
    this.lastDrawAt = -Infinity
  }

  /** Erases the bar for good. */
  done(): void {
    this.clear()
    this.finished = true
  }

  /** The line for `count` at time `now`, fitted to the terminal's width. */
  render(count: number, now: number): string {
    // A terminal of unknown width (0 under some pseudo-terminals) is taken as 80 columns.
    const columns = this.stream.columns !== undefined && this.stream.columns > 0 ? this.stream.columns : 80
    const width = Math.max(20, columns - 1)
    const elapsedSec = (now - this.startedAt) / 1000
    const rate = elapsedSec > 0 ? count / elapsedSec : 0
    const unit = this.unit ? ` ${this.unit}` : ''
    const parts: string[] = []
    let bar = ''
    if (this.total !== undefined) {
      const fraction = Math.min(1, Math.max(0, count / this.total))
      parts.push(`${Math.floor(fraction * 100)}%`, `${grouped(count)}/${grouped(this.total)}${unit}`)
      const rateText = rate > 0 ? `${grouped(rate)}/s` : ''
      if (rateText) parts.push(rateText)
      if (rate > 0 && count < this.total) parts.push(`${duration((this.total - count) / rate)} left`)
      const label = this.label ? `${this.label} ` : ''
      const rest = ` ${parts.join(' ')}`
      // Sized for the widest the numbers usually get (a rate of up to `total` a second), so the
      // bar does not jump about as they grow.
      const widest = ` 100% ${grouped(this.total)}/${grouped(this.total)}${unit} ${rateText.padStart(grouped(this.total).length + 2)} 59m59s left`
      const room = width - label.length - Math.max(rest.length, widest.length) - 2
      if (room >= 10) {
        const cells = Math.min(40, room)
        const full = Math.floor(fraction * cells)
        bar = `${label}[${'#'.repeat(full)}${'-'.repeat(cells - full)}]`
      } else {
        bar = label.trimEnd()
      }
      return fit(`${bar}${rest}`, width)
    }
    parts.push(`${grouped(count)}${unit}`)
    if (rate > 0) parts.push(`${grouped(rate)}/s`)
    return fit(`${this.label ? `${this.label} ` : ''}${parts.join(' ')}`, width)
  }
}

function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** 75 -> "1m15s", 3 -> "3s". */
function duration(sec: number): string {
  const s = Math.ceil(sec)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}

/** A line longer than the terminal would wrap, and `\r` would then redraw only its tail. */
function fit(line: string, width: number): string {
  return line.length <= width ? line : line.slice(0, width)
}
