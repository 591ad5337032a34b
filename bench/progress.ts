/** Shared bits of the benchmarks' console output. */

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** One line of progress: rewritten in place on a terminal, every few seconds otherwise. */
export function progress(): { update(text: string): void; done(): void } {
  let lastPrint = 0
  return {
    update(text) {
      if (process.stderr.isTTY) process.stderr.write(`\r${text}\x1b[K`)
      else if (Date.now() - lastPrint >= 3000) {
        process.stderr.write(`${text}\n`)
        lastPrint = Date.now()
      }
    },
    done() {
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K')
    },
  }
}
