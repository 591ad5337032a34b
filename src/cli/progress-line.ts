/**
 * One line of progress on a terminal (stderr), rewritten in place at most every `everyMs` and
 * erased when done. Writes nothing when the stream is not a terminal, so pipes, files and
 * tests see only the tool's real output.
 */
export interface ProgressStream {
  isTTY?: boolean
  write(s: string): boolean
}

export class ProgressLine {
  private last = 0
  private shown = false

  constructor(
    private readonly stream: ProgressStream = process.stderr,
    private readonly everyMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  get active(): boolean {
    return this.stream.isTTY === true
  }

  /** `text` is only called when the line is due for a redraw. */
  update(text: () => string): void {
    if (!this.active) return
    const t = this.now()
    if (t - this.last < this.everyMs) return
    this.last = t
    this.shown = true
    this.stream.write(`\r${text()}\x1b[K`)
  }

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K')
    this.shown = false
  }
}
