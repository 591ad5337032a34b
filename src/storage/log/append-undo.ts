/**
 * What an append does when one of its steps fails: the steps done so far are undone, newest
 * first, and an undo that itself fails on disk becomes a repair that must succeed before the
 * log takes another write (see unified-log.ts). Kept apart from the log so the policy reads
 * in one place.
 */
import { StorageError, storageErrorOf } from '../errors.js'
import type { StorageLogger } from '../logger.js'

/** A step of an append, undone when a later step fails. An undo that fails on disk adds its repair first. */
export type Undo = () => void | Promise<void>

/** A file whose cut (the undo of a segment append) can be retried. */
export interface CuttableFile {
  readonly log: { readonly path: string }
  cutFile(length: number): Promise<void>
}

/**
 * A failed segment append whose rollback failed too: the segment's memory is restored, but
 * its file still holds bytes past `length` that a restart would find.
 */
export class RollbackError extends Error {
  readonly segment: CuttableFile
  readonly length: number
  constructor(args: { segment: CuttableFile; length: number; cause: unknown; rollbackError: unknown }) {
    super(`${messageOf(args.cause)}; cutting ${args.segment.log.path} back to ${args.length} bytes then failed: ${messageOf(args.rollbackError)}`, { cause: args.cause })
    this.name = 'RollbackError'
    this.segment = args.segment
    this.length = args.length
  }
}

/** Disk work failed undos left behind, retried in order before every write until it succeeds. */
export class Repairs {
  private readonly list: Array<{ what: string; run: () => Promise<void> }> = []

  constructor(
    private readonly name: string,
    private readonly logger: StorageLogger,
  ) {}

  get pending(): number {
    return this.list.length
  }

  add(what: string, run: () => Promise<void>): void {
    this.list.push({ what, run })
  }

  /** A repair that cuts `file` back to `length` bytes. */
  addCut(file: CuttableFile, length: number): void {
    this.add(`cut ${file.log.path} back to ${length} bytes`, () => file.cutFile(length))
  }

  /** Runs the pending repairs; throws KAFKA_STORAGE_ERROR while one still fails. */
  async run(): Promise<void> {
    while (this.list.length > 0) {
      const r = this.list[0]!
      try {
        await r.run()
      } catch (err) {
        throw new StorageError(
          'KAFKA_STORAGE_ERROR',
          `${this.name} refuses writes: a failed append could not be undone on disk and retrying (${r.what}) failed: ${messageOf(err)}; reads still work — check the disk`,
          { cause: err },
        )
      }
      this.list.shift()
      this.logger.info(`${this.name}: repaired after a failed append (${r.what}); writes resume`)
    }
  }

  /**
   * Undoes the steps of a failed append, newest first, and returns the error to throw: the
   * cause as KAFKA_STORAGE_ERROR when it came from the disk, or, if an undo failed on disk, an
   * error saying the log refuses writes until the repair succeeds.
   */
  async undo(steps: Undo[], err: unknown): Promise<unknown> {
    let cause = err
    if (err instanceof RollbackError) {
      this.addCut(err.segment, err.length)
      cause = err.cause
    }
    for (const step of steps.reverse()) {
      try {
        await step()
      } catch {
        // The step added its repair; the others still run.
      }
    }
    if (this.list.length === 0) return storageErrorOf(cause, `append to ${this.name}`, 'nothing was stored')
    const pending = this.list.map((r) => r.what).join('; ')
    this.logger.warn(`${this.name}: a failed append could not be undone on disk (${pending}); refusing writes until that succeeds`)
    return new StorageError(
      'KAFKA_STORAGE_ERROR',
      `append to ${this.name} failed: ${messageOf(cause)}; undoing it on disk failed too (${pending}), so ${this.name} refuses writes until that succeeds (retried before each write); reads are unaffected — check the disk`,
      { cause },
    )
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
