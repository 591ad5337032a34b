/**
 * The table layout of Kafka's group and offset tools, which print with Java format strings
 * such as `%-15s %-10s %s`: every column left-aligned in at least a fixed minimum width (wider
 * when a cell is longer), one space between columns, the last column unpadded. Scripts written
 * against kafka-consumer-groups.sh cut these columns by position or by whitespace, so Samsa
 * keeps the same minimum widths. Trailing spaces, invisible in a terminal, are dropped.
 */

export type Cell = string | number | bigint | null

/** A cell as printed: null (Kafka's "no value") is "-". */
export function cellText(c: Cell): string {
  return c === null ? '-' : String(c)
}

/** The width of a column: at least `min`, or its widest cell. */
export function widthOf(min: number, cells: Iterable<Cell>): number {
  let w = min
  for (const c of cells) w = Math.max(w, cellText(c).length)
  return w
}

/**
 * One line: `cells[i]` padded to `widths[i]`; cells past the end of `widths` (the last column,
 * usually) are not padded. No newline.
 */
export function line(widths: number[], cells: Cell[]): string {
  return cells
    .map((c, i) => (i < widths.length ? cellText(c).padEnd(widths[i]!) : cellText(c)))
    .join(' ')
    .trimEnd()
}
