/**
 * A log cleaner worker thread (worker-pool.ts starts it): it runs the heavy steps of one pass at
 * a time (pass-work.ts) on the requests the main thread sends, and answers each with its result
 * or its error. Only paths, offsets and counts cross; the offset map lives here, kept between
 * passes of the same size so a busy cleaner does not allocate it each time.
 *
 * Its I/O budget is its share of log.cleaner.io.max.bytes.per.second (the pool splits it).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { OffsetMap } from './offset-map.js'
import { PassWork, type GroupRequest, type MapRequest, type RewriteRequest } from './pass-work.js'
import { Throttle } from './throttle.js'

export interface WorkerInit {
  bytesPerSecond: number
}

export type WorkerRequest =
  | { id: number; type: 'map'; req: MapRequest }
  | { id: number; type: 'rewrite'; req: RewriteRequest }
  | { id: number; type: 'group'; req: GroupRequest }
  | { id: number; type: 'end' }

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string }

const port = parentPort
if (!port) throw new Error('cleaner-worker.js runs as a worker thread (worker-pool.ts)')
const init = workerData as WorkerInit
const throttle = new Throttle(init.bytesPerSecond)
let cached: OffsetMap | undefined
const reuse = (bytes: number): OffsetMap => {
  if (!cached || cached.slots !== Math.floor(bytes / 24)) {
    cached = undefined // the old one goes before the new one is allocated
    cached = new OffsetMap(bytes)
  }
  return cached
}
let work: PassWork | undefined

// One request at a time: the pool sends the next only after this one's reply.
port.on('message', (msg: WorkerRequest) => {
  void handle(msg).then(
    (value) => port.postMessage({ id: msg.id, ok: true, value } satisfies WorkerReply),
    (err: unknown) => port.postMessage({ id: msg.id, ok: false, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  )
})

async function handle(msg: WorkerRequest): Promise<unknown> {
  switch (msg.type) {
    case 'map':
      work = new PassWork(throttle, reuse)
      return work.buildMap(msg.req)
    case 'rewrite':
      if (!work) throw new Error('cleaner worker: rewrite before the offset map')
      work.beginRewrite(msg.req)
      return undefined
    case 'group':
      if (!work) throw new Error('cleaner worker: group before the offset map')
      return work.cleanGroup(msg.req, (f) => {
        if (f.kind === 'exit') process.exit(1)
        throw new Error(f.message)
      })
    case 'end':
      work = undefined
      return undefined
  }
}
