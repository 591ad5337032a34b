import { open } from 'node:fs/promises'

const EMPTY = Buffer.alloc(0)

/**
 * A file's bytes, as fs.promises.readFile gives them, without its cost for empty files: for a
 * file whose size is 0, readFile allocates a 64 KiB buffer before finding it empty. A broker
 * with 10,000 partitions opens 20,000 empty index files at start-up; through readFile that was
 * 1.3 GB of garbage and about 4 of the start's 20 CPU-s (allocation and GC).
 * Missing files reject with ENOENT, as readFile does.
 */
export async function readWholeFile(path: string): Promise<Buffer> {
  const fh = await open(path, 'r')
  try {
    const { size } = await fh.stat()
    if (size === 0) return EMPTY
    const buf = Buffer.allocUnsafe(size)
    let at = 0
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, size - at, at)
      if (bytesRead === 0) break
      at += bytesRead
    }
    // A file cut short while read: what was there.
    return at === size ? buf : buf.subarray(0, at)
  } finally {
    await fh.close()
  }
}
