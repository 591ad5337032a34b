/**
 * The cleaner's worker threads (log.cleaner.threads of them): started when a pass first needs
 * one, unref'd while idle (an idle cleaner never keeps the process up), terminated by close() when the
 * broker stops. A pass holds one worker from its offset map to its last group (the map lives
 * there); a worker that dies fails the pass it was running and is replaced by the next pass.
 *
 * log.cleaner.io.max.bytes.per.second is split evenly between the workers, each enforcing its
 * share as it reads and writes, so together they stay within it.
 */
import { Worker } from 'node:worker_threads'
import type { WorkerInit, WorkerReply, WorkerRequest } from './cleaner-worker.js'
import type { GroupReply, GroupRequest, MapReply, MapRequest, RewriteRequest } from './pass-work.js'

const WORKER_FILE = new URL('./cleaner-worker.js', import.meta.url)

/**
 * The node options a worker starts with: the parent's, less --input-type (a worker loads a
 * file; the flag refuses that) and less V8's flags, which a Worker refuses
 * (ERR_WORKER_INVALID_EXEC_ARGV) and which are the whole process's anyway. Node has no list of
 * which of process.execArgv are V8's, so the first refusal names them and later workers start
 * without them. A broker started with --single-threaded-gc (npm start) or
 * --max-semi-space-size otherwise had a cleaner whose every pass failed to get a worker.
 */
let workerExecArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'))

function startWorker(init: WorkerInit): Worker {
  try {
    return new Worker(WORKER_FILE, { workerData: init, execArgv: workerExecArgv })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e
    // "Initiated Worker with invalid execArgv flags: --a, --b=1"
    const listed = (e as Error).message.split(': ').slice(1).join(': ')
    const refused = new Set(listed.split(',').map((f) => f.trim()))
    const kept = workerExecArgv.filter((a) => !refused.has(a))
    // A message in another shape names nothing we passed: start with no options at all rather than fail every pass.
    workerExecArgv = kept.length < workerExecArgv.length ? kept : []
    return new Worker(WORKER_FILE, { workerData: init, execArgv: workerExecArgv })
  }
}

/** The heavy steps of one pass, wherever they run (a worker, or in process for tests). */
export interface PassRunner {
  buildMap(req: MapRequest): Promise<MapReply>
  beginRewrite(req: RewriteRequest): Promise<void>
  cleanGroup(req: GroupRequest): Promise<GroupReply>
  /** Frees the runner (the worker goes back to the pool). */
  release(): void
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

class PooledWorker {
  private readonly worker: Worker
  private nextId = 0
  private pending: { id: number; resolve: (v: unknown) => void; reject: (e: Error) => void } | undefined
  dead = false
  private terminating = false

  constructor(init: WorkerInit, onDeath: (w: PooledWorker, why: string) => void) {
    this.worker = startWorker(init)
    this.worker.unref()
    this.worker.on('message', (reply: WorkerReply) => {
      const p = this.pending
      if (!p || p.id !== reply.id) return
      this.pending = undefined
      // A reply that comes in while terminate() waits must not let go of the worker it holds.
      if (!this.terminating) this.worker.unref()
      if (reply.ok) p.resolve(reply.value)
      else p.reject(new Error(reply.message))
    })
    const die = (why: string): void => {
      if (this.dead) return
      this.dead = true
      this.pending?.reject(new Error(`cleaner worker ${why}`))
      this.pending = undefined
      onDeath(this, why)
    }
    this.worker.on('error', (err) => die(`failed: ${err.message}`))
    this.worker.on('exit', (code) => die(`exited (code ${code})`))
  }

  request<T>(msg: DistributiveOmit<WorkerRequest, 'id'>): Promise<T> {
    if (this.dead) return Promise.reject(new Error('cleaner worker is gone'))
    if (this.pending) return Promise.reject(new Error('cleaner worker busy: one request at a time'))
    const id = ++this.nextId
    return new Promise<T>((resolve, reject) => {
      this.pending = { id, resolve: resolve as (v: unknown) => void, reject }
      // Referenced while it works, like any I/O in flight: a caller awaiting only this still sees it end (or die).
      this.worker.ref()
      this.worker.postMessage({ ...msg, id })
    })
  }

  terminate(): Promise<number> {
    // Held until it has exited: an unref'd worker let a process with nothing else left exit
    // before close() settled (exit code 13 under a top-level await).
    this.terminating = true
    this.worker.ref()
    return this.worker.terminate()
  }
}

export interface CleanerPoolOptions {
  threads: number
  /** Infinity: no limit. */
  ioMaxBytesPerSecond: number
  /** Told when a worker dies (it is replaced when next needed). */
  onWorkerDeath?: (why: string) => void
}

export class CleanerPool {
  private readonly idle: PooledWorker[] = []
  private readonly all = new Set<PooledWorker>()
  private readonly waiting: Array<{ resolve: (w: PooledWorker) => void; reject: (e: Error) => void }> = []
  private closed = false
  /** Workers started so far (a replaced one counts again): tests see a dead worker replaced. */
  started = 0

  constructor(private readonly options: CleanerPoolOptions) {}

  /** Workers alive now (0 once closed). */
  get running(): number {
    return this.all.size
  }

  get threads(): number {
    return Math.max(1, this.options.threads)
  }

  /** A runner on a worker of its own, waiting for one if all are busy. */
  async acquire(): Promise<PassRunner> {
    if (this.closed) throw new Error('the cleaner is stopping')
    const worker = await this.take()
    let released = false
    return {
      buildMap: (req) => worker.request<MapReply>({ type: 'map', req }),
      beginRewrite: (req) => worker.request<void>({ type: 'rewrite', req }),
      cleanGroup: (req) => worker.request<GroupReply>({ type: 'group', req }),
      release: () => {
        if (released) return
        released = true
        if (worker.dead || this.closed) return
        // The pass's state goes; the worker is free once that is answered.
        void worker.request({ type: 'end' }).then(
          () => this.give(worker),
          () => {},
        )
      },
    }
  }

  /** Stops every worker; a pass running fails (it leaves no trace: its log keeps its segments). */
  async close(): Promise<void> {
    this.closed = true
    // A pass waiting for a worker fails too: the broker's stop waits for the passes to end.
    for (const w of this.waiting.splice(0)) w.reject(new Error('the cleaner is stopping'))
    const workers = [...this.all]
    this.all.clear()
    this.idle.length = 0
    await Promise.all(workers.map((w) => w.terminate()))
  }

  private take(): Promise<PooledWorker> {
    const w = this.idle.pop()
    if (w) return Promise.resolve(w)
    if (this.all.size < this.threads) return Promise.resolve(this.start())
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }))
  }

  private give(w: PooledWorker): void {
    if (this.closed || w.dead) return
    const next = this.waiting.shift()
    if (next) next.resolve(w)
    else this.idle.push(w)
  }

  private start(): PooledWorker {
    const bytesPerSecond = Number.isFinite(this.options.ioMaxBytesPerSecond) ? this.options.ioMaxBytesPerSecond / this.threads : Number.POSITIVE_INFINITY
    const w = new PooledWorker({ bytesPerSecond }, (dead, why) => {
      if (!this.all.delete(dead)) return // terminated by close()
      const i = this.idle.indexOf(dead)
      if (i >= 0) this.idle.splice(i, 1)
      this.options.onWorkerDeath?.(why)
      // A pass waiting for a worker gets a new one in the dead one's place.
      const next = this.waiting.shift()
      if (next && !this.closed) next.resolve(this.start())
    })
    this.all.add(w)
    this.started++
    return w
  }
}
