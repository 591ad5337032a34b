/**
 * One client connection: frames in, responses out in request order (Kafka's rule), with
 * pipelining. Reading pauses while too many requests are in flight, while the socket's write
 * buffer is full (a client that never reads cannot grow our memory), and while the broker-wide
 * request memory (queued.max.request.bytes) is used up: a frame's size is reserved as soon as
 * its 4 size bytes arrive, before its body is read, and freed when its answer is ready.
 *
 * Time limits (checked by the broker's sweep, `checkTimeouts`): a frame started must arrive
 * whole within samsa.request.read.timeout.ms of reading time (time paused by the broker does
 * not count), and a connection with no request being handled and no bytes moved for
 * connections.max.idle.ms is closed.
 *
 * On a SASL listener the connection starts unauthenticated: only ApiVersions, SaslHandshake and
 * SaslAuthenticate are served until src/security/sasl/server-authenticator.ts says otherwise
 * (after a v0 handshake the next frames are raw SASL tokens); anything else closes it.
 *
 * Anything malformed — an oversize or negative frame size, a header or body that does not
 * decode, an unknown API key or an unsupported version — closes this connection with one log
 * line; other connections are untouched.
 */
import type { Socket } from 'node:net'
import { ApiKey, type ApiKeyNumber, type RequestOf, type ResponseOf } from '../protocol/generated/api-keys.js'
import { ApiVersionsResponse } from '../protocol/generated/api-versions.js'
import { ErrorCode } from '../protocol/errors.js'
import { decodeRequestHeader, responseHeaderVersion, type DecodedRequestHeader } from '../protocol/header.js'
import { Reader } from '../protocol/primitives/reader.js'
import { Writer } from '../protocol/primitives/writer.js'
import { FrameReader } from '../protocol/frame-reader.js'
import type { Clock } from '../storage/clock.js'
import { NO_RESPONSE, type BrokerContext, type Handler, type RequestContext } from './handler.js'
import { apiVersionsBody } from './handlers/18-api-versions.js'
import type { RequestMemory } from './request-memory.js'
import type { AppendTurn } from './replica-append.js'
import { ANONYMOUS, type KafkaPrincipal } from '../security/principal.js'
import { trace } from '../util/trace.js'
import { SaslServerAuthenticator, type SaslListenerConfig } from '../security/sasl/server-authenticator.js'
import { systemTime, type Time, type Timer } from '../util/time.js'
import { applyQuotas, type RequestUse } from './quotas/throttle.js'
import { readIntoUserBuffers } from './socket-reads.js'
import type { BufferPool } from './buffer-pool.js'

/**
 * Where plain-TCP reads go while no large frame is being read in place. One for every
 * connection: a read's bytes are copied out before the next read anywhere, and Node reads one
 * socket at a time on this thread.
 */
const READ_SCRATCH = Buffer.allocUnsafe(64 * 1024)
/**
 * The first read after a frame read in place: the next frame is likely large too, and what
 * arrives before its size is known is copied twice (out of the scratch, then into its body).
 */
const READ_SCRATCH_HEAD = READ_SCRATCH.subarray(0, 4096)
/**
 * A frame that still misses this many bytes is read straight into its own body buffer
 * (FrameReader.directTarget); smaller ones arrive through READ_SCRATCH and are copied.
 */
const IN_PLACE_MIN_BYTES = 16 * 1024
const NO_BYTES = Buffer.alloc(0)

/**
 * Handlers running at once per connection. Beyond this, frames wait unparsed: a client that
 * pipelines hundreds of requests and never reads cannot make us compute (and hold) hundreds of
 * responses. Kafka itself runs one request per connection at a time; a few dozen keeps
 * pipelining producers fast.
 */
const MAX_RUNNING = 32

interface Slot {
  chunks: Buffer[] | undefined
  done: boolean
  /** Bytes of RequestMemory this request holds until its answer is ready. */
  reserved: number
  /** Pooled buffers the response carries, given back once the socket has written it. */
  lent?: Buffer[]
}

/** Fetched records smaller than this get a buffer of their own (Node's small-buffer pool serves them cheaply). */
const POOLED_READ_MIN_BYTES = 64 * 1024

export interface ConnectionOptions {
  maxRequestSize: number
  maxInFlight: number
  memory: RequestMemory
  /** Reused buffers for Produce bodies read in place and for fetched records; without it each gets a new buffer. */
  buffers?: BufferPool
  clock: Clock
  /** connections.max.idle.ms; <= 0 never. */
  idleMs: number
  /** samsa.request.read.timeout.ms; <= 0 never. */
  readTimeoutMs: number
  /** The listener's name (upper case) and, on SASL listeners, its SASL set-up. */
  listener?: { name: string; sasl?: SaslListenerConfig }
  /** Timers (the failed-authentication delay); system time by default. */
  time?: Time
}

export class Connection {
  private readonly frames: FrameReader
  private readonly queue: Slot[] = []
  private closed = false
  private paused = false
  private waitingForMemory = false
  private inputEnded = false
  /** RequestMemory reserved for the frame being read (its size is known, its body is not all here). */
  private reserved = 0
  /** When the frame being read began to arrive, while the broker is reading; undefined otherwise. */
  private frameStartedAt: number | undefined
  /** Last byte read, response written or write buffer drained. */
  private lastActivity: number
  private readonly onMemory = () => {
    this.waitingForMemory = false
    this.maybeResume()
  }
  /** Handlers started and not yet finished. */
  private running = 0
  /** Resolves once the last Produce request dispatched has appended (its AppendTurn). */
  private appendTail: Promise<void> = Promise.resolve()
  private readonly aborter = new AbortController()
  private readonly signal: AbortSignal
  readonly remote: string
  /** Set while client quotas hold reading back (KIP-219: muted after a throttled response). */
  private muteTimer: Timer | undefined
  /**
   * A client under a quota has one request handled at a time, as Kafka handles every
   * connection: pipelined requests read before a throttle could be applied would pass it by.
   */
  private oneAtATime = false
  /** Who this connection acts as; authentication replaces it. */
  principal: KafkaPrincipal = ANONYMOUS
  /** SASL listeners: the authentication state; undefined on others. */
  private readonly sasl: SaslServerAuthenticator | undefined
  /** Answer what is queued, read nothing more, then close (a refused authentication). */
  private ending = false
  /** The buffer the socket reads into next (user-buffer reads). */
  private readTarget: Buffer = READ_SCRATCH
  /** Where the socket reads next is asked again (user-buffer reads; undefined on 'data' reads). */
  private readonly retarget: (() => void) | undefined
  /** The last read went into a frame read in place (the next read is a short one, READ_SCRATCH_HEAD). */
  private afterInPlace = false
  /** The body of the frame being read in place, when it came from the body pool. */
  private pooledBody: Buffer | undefined

  constructor(
    private readonly socket: Socket,
    private readonly broker: BrokerContext,
    private readonly opts: ConnectionOptions,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`
    this.frames = new FrameReader(opts.maxRequestSize)
    this.lastActivity = opts.clock.now()
    this.signal = AbortSignal.any([this.aborter.signal, broker.shutdown])
    const saslCfg = opts.listener?.sasl
    this.sasl = saslCfg
      ? new SaslServerAuthenticator(saslCfg, {
          remote: this.remote,
          authenticated: (p) => (this.principal = p),
          closeAfterResponses: () => this.endAfterResponses(),
        }, broker.logger, opts.time ?? systemTime)
      : undefined
    socket.setNoDelay(true)
    this.retarget = readIntoUserBuffers(socket, { next: () => this.nextReadBuffer(), callback: (n, buffer) => this.onUserRead(n, buffer) })
    if (!this.retarget) socket.on('data', (chunk) => this.onData(chunk))
    // Plain listeners accept sockets paused (pauseOnConnect) so reads can be set up first.
    socket.resume()
    socket.on('drain', () => {
      this.lastActivity = this.opts.clock.now()
      this.maybeResume()
    })
    socket.on('end', () => {
      this.inputEnded = true
      this.maybeFinish()
    })
    socket.on('error', (err) => this.broker.logger.debug('connection error', { client: this.remote, error: err.message }))
    socket.on('close', () => {
      this.closed = true
      this.releaseAll()
      this.aborter.abort()
      this.onClose(this)
    })
  }

  /** Request body bytes copied between read buffers so far (see READ_SCRATCH, IN_PLACE_MIN_BYTES). */
  get copiedRequestBytes(): number {
    return this.frames.copiedBytes
  }

  close(): void {
    if (!this.closed) this.socket.destroy()
    this.closed = true
    this.broker.quotas?.time.clearTimeout(this.muteTimer)
    this.releaseAll()
    this.aborter.abort()
  }

  /** Gives back every byte of RequestMemory this connection holds; idempotent. */
  private releaseAll(): void {
    this.opts.memory.cancel(this.onMemory)
    let bytes = this.reserved
    this.reserved = 0
    for (const slot of this.queue) {
      bytes += slot.reserved
      slot.reserved = 0
    }
    this.opts.memory.release(bytes)
  }

  /**
   * Closes the connection if a frame has been arriving for too long or it has been idle too
   * long. The broker calls this from its sweep; tests call it after moving their clock.
   */
  checkTimeouts(now: number): void {
    if (this.closed) return
    const { readTimeoutMs, idleMs } = this.opts
    if (readTimeoutMs > 0 && this.frameStartedAt !== undefined && now - this.frameStartedAt >= readTimeoutMs) {
      const size = this.frames.nextSize()
      this.reject(`request not received in full within samsa.request.read.timeout.ms (${readTimeoutMs} ms)`, {
        received: this.frames.buffered,
        ...(size !== undefined ? { expected: size + 4 } : {}),
      })
      return
    }
    // Idle as Kafka counts it: no bytes moved either way. A request being handled (a long
    // poll, a join) is not idleness, nor is waiting for request memory (the broker's doing);
    // a client that stopped reading its responses is.
    if (idleMs > 0 && this.running === 0 && !this.waitingForMemory && now - this.lastActivity >= idleMs) {
      // Kafka closes idle connections quietly too: clients reconnect on their next request.
      this.broker.logger.debug('closing idle connection (connections.max.idle.ms)', { client: this.remote, idleMs })
      this.close()
    }
  }

  private reject(reason: string, fields: Record<string, unknown> = {}): void {
    this.broker.logger.warn(`closing connection: ${reason}`, { client: this.remote, ...fields })
    this.close()
  }

  private endAfterResponses(): void {
    if (this.ending) return
    this.ending = true
    this.socket.pause()
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.ending) return
    if (chunk.length > 0) {
      this.frames.push(chunk)
      this.lastActivity = this.opts.clock.now()
    }
    for (;;) {
      // Frames already buffered wait while paused (too many in flight, the client is not
      // reading its responses, or no request memory); maybeResume parses them later.
      if (this.closed || this.paused || this.ending) return
      const size = this.frames.nextSize()
      if (size === undefined) break
      if (size < 0 || size > this.opts.maxRequestSize) {
        // 0x16 0x03: a TLS ClientHello, a TLS client on a listener without TLS.
        const hint = size >>> 16 === 0x1603 ? ' (this looks like a TLS handshake: the client uses SSL on a listener without TLS)' : ''
        this.reject(`request size ${size} is outside 0..socket.request.max.bytes (${this.opts.maxRequestSize})${hint}`)
        return
      }
      if (this.reserved === 0 && size > 0) {
        if (!this.opts.memory.tryReserve(size)) {
          this.waitForMemory()
          return
        }
        this.reserved = size
      }
      const r = this.frames.next()
      if (r === undefined) break
      if ('tooLarge' in r) {
        this.reject(`request size ${r.tooLarge} is outside 0..socket.request.max.bytes (${this.opts.maxRequestSize})`)
        return
      }
      this.frameStartedAt = undefined
      this.onFrame(r.frame)
      // A frame that did not become a request (rejected above) gives its reservation back here.
      this.opts.memory.release(this.reserved)
      this.reserved = 0
      if (this.queue.length >= this.opts.maxInFlight || this.running >= MAX_RUNNING || (this.oneAtATime && this.queue.length > 0)) this.pause()
    }
    // The rest of a frame is on its way: its time to arrive starts now.
    if (this.frames.buffered > 0) this.frameStartedAt ??= this.opts.clock.now()
    else this.frameStartedAt = undefined
    this.maybeFinish()
  }

  /**
   * Where the next socket read goes (user-buffer reads): the rest of a large frame whose size is
   * known and whose memory is reserved, in place; anything else to the shared scratch buffer.
   */
  private nextReadBuffer(): Buffer {
    if (!this.closed && (this.frames.readingInPlace || this.reserved > 0)) {
      const target = this.frames.directTarget(IN_PLACE_MIN_BYTES, this.allocBody)
      if (target) {
        this.readTarget = target
        return target
      }
    }
    this.readTarget = this.afterInPlace ? READ_SCRATCH_HEAD : READ_SCRATCH
    return this.readTarget
  }

  /** A Produce body comes from the broker's pool (given back in onFrame once answered); others are new. */
  private readonly allocBody = (size: number, apiKey: number): Buffer => {
    const pool = this.opts.buffers
    if (!pool || apiKey !== ApiKey.Produce || this.sasl?.rawTokens) return Buffer.allocUnsafe(size)
    this.pooledBody = pool.take(size)
    return this.pooledBody
  }

  private onUserRead(n: number, buffer: Buffer): void {
    if (this.closed) return
    if ((buffer === READ_SCRATCH || buffer === READ_SCRATCH_HEAD) && buffer === this.readTarget && !this.frames.readingInPlace) {
      this.afterInPlace = false
      // Copied out: the next read, on any connection, overwrites the scratch buffer.
      const chunk = Buffer.allocUnsafe(n)
      buffer.copy(chunk, 0, 0, n)
      this.onData(chunk)
    } else if (buffer === this.readTarget && this.frames.readingInPlace) {
      this.frames.directWrote(n)
      this.afterInPlace = true
      this.lastActivity = this.opts.clock.now()
      this.onData(NO_BYTES)
    } else {
      // Cannot happen (reads go where nextReadBuffer said); refuse rather than misplace bytes.
      this.broker.logger.error('closing connection: a socket read landed outside the buffer it was given', { client: this.remote, bytes: n })
      this.close()
    }
  }

  private waitForMemory(): void {
    this.waitingForMemory = true
    this.pause()
    this.opts.memory.wait(this.onMemory)
  }

  /**
   * The client half-closed its side (allowHalfOpen): answer everything it sent, then end ours.
   */
  private maybeFinish(): void {
    if (this.ending && !this.closed && this.queue.length === 0) {
      // allowHalfOpen would keep the socket until the client ends too: destroy once written.
      this.socket.end(() => this.socket.destroy())
      this.closed = true
      this.releaseAll()
      this.aborter.abort()
      return
    }
    if (this.inputEnded && !this.closed && !this.paused && this.queue.length === 0) this.socket.end()
  }

  private pause(): void {
    if (!this.paused) {
      this.paused = true
      this.socket.pause()
    }
    // While the broker holds the client back, its frame's clock does not run.
    this.frameStartedAt = undefined
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return
    if (this.muteTimer || (this.oneAtATime && this.queue.length > 0) || this.waitingForMemory || this.queue.length >= this.opts.maxInFlight || this.running >= MAX_RUNNING || this.socket.writableNeedDrain) return
    this.paused = false
    this.socket.resume()
    // Frames that arrived before the pause are still buffered.
    this.onData(Buffer.alloc(0))
    // A frame that got its memory just now is read in place from the next read on.
    if (this.retarget && !this.closed && !this.frames.readingInPlace && this.reserved > 0) this.retarget()
  }

  private onFrame(frame: Buffer): void {
    const frameUs = trace?.now()
    // A pooled body is given back only once a Produce handler has answered (below); on any
    // other path it is left to the garbage collector.
    const pooled = frame === this.pooledBody
    if (pooled) this.pooledBody = undefined
    if (this.sasl?.rawTokens) {
      this.onRawSaslToken(frame)
      return
    }
    let header: DecodedRequestHeader
    try {
      header = decodeRequestHeader(frame)
    } catch (e) {
      this.reject('malformed request header', { error: (e as Error).message })
      return
    }
    const handler = this.broker.handlers.get(header.apiKey)
    if (!handler) {
      this.reject(`unknown or unsupported API key ${header.apiKey}`, { correlationId: header.correlationId })
      return
    }
    const refused = this.sasl?.refusal(header.apiKey)
    if (refused !== undefined) {
      this.reject(`not authenticated: ${refused}`, { apiKey: header.apiKey, correlationId: header.correlationId })
      return
    }
    if (header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      if (header.apiKey === ApiKey.ApiVersions) {
        // KIP-511: answer in v0 so any client can read it, then let it retry lower.
        const slot = this.enqueue()
        this.complete(slot, header, ApiVersionsResponse, apiVersionsBody(this.broker.handlers, ErrorCode.UNSUPPORTED_VERSION), 0)
        return
      }
      this.reject(`unsupported version ${header.apiVersion} of API key ${header.apiKey} (supported ${handler.minVersion}-${handler.maxVersion})`)
      return
    }
    let request: RequestOf<ApiKeyNumber>
    try {
      const r = new Reader(frame, header.bodyOffset)
      request = handler.request.read(r, header.apiVersion)
      r.finish(`${handler.request.name} v${header.apiVersion}`)
    } catch (e) {
      this.reject('malformed request body', { apiKey: header.apiKey, apiVersion: header.apiVersion, error: (e as Error).message })
      return
    }
    this.oneAtATime = this.broker.quotas?.limits(this.principal.name, header.clientId ?? '') ?? false
    const slot = this.enqueue()
    // Produce requests append in the order they arrived (see AppendTurn); the turn is taken
    // here, in frame order, and given up at the latest when the handler is done.
    let release: (() => void) | undefined
    let appendTurn: AppendTurn | undefined
    if (header.apiKey === ApiKey.Produce) {
      const before = this.appendTail
      const mine = new Promise<void>((r) => (release = r))
      this.appendTail = mine
      appendTurn = { wait: () => before, done: release! }
    }
    let responseBuffer: ((size: number) => Buffer) | undefined
    if (header.apiKey === ApiKey.Fetch && this.opts.buffers) {
      const pool = this.opts.buffers
      const lent: Buffer[] = []
      slot.lent = lent
      responseBuffer = (size: number) => {
        if (size < POOLED_READ_MIN_BYTES) return Buffer.allocUnsafe(size)
        const b = pool.take(size)
        lent.push(b)
        return b
      }
    }
    const ctx: RequestContext = {
      apiKey: header.apiKey,
      apiVersion: header.apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId,
      clientAddress: this.remote,
      principal: this.principal,
      listenerName: this.opts.listener?.name ?? 'PLAINTEXT',
      ...(this.sasl ? { sasl: this.sasl } : {}),
      broker: this.broker,
      signal: this.signal,
      ...(appendTurn ? { appendTurn } : {}),
      ...(responseBuffer ? { responseBuffer } : {}),
    }
    if (trace) trace.mark(ctx, `broker.read.${header.apiKey}`, frameUs)
    let result: ReturnType<Handler['handle']>
    const started = performance.now()
    try {
      result = handler.handle(request, ctx)
    } catch (e) {
      release?.()
      this.handlerFailed(handler, header, e)
      return
    }
    const use: RequestUse = { apiKey: header.apiKey, principal: this.principal, clientId: header.clientId, request, requestBytes: frame.length, handlerMs: performance.now() - started }
    if (result instanceof Promise) {
      this.running++
      result.then(
        (resp) => {
          this.running--
          release?.()
          this.complete(slot, header, handler.response, resp, header.apiVersion, use)
          trace?.release(ctx, 'broker.responseWritten')
          if (pooled && header.apiKey === ApiKey.Produce) this.opts.buffers!.give(frame)
        },
        (e) => {
          this.running--
          release?.()
          this.handlerFailed(handler, header, e)
        },
      )
    } else {
      release?.()
      this.complete(slot, header, handler.response, result, header.apiVersion, use)
    }
  }

  /** A SASL token after a v0 handshake: answered with a size-framed token, no response header. */
  private onRawSaslToken(frame: Buffer): void {
    const slot = this.enqueue()
    this.running++
    this.sasl!.rawToken(frame).then(
      (reply) => {
        this.running--
        this.opts.memory.release(slot.reserved)
        slot.reserved = 0
        if (reply) {
          const size = Buffer.alloc(4)
          size.writeInt32BE(reply.length)
          slot.chunks = [size, reply]
        }
        slot.done = true
        if (!this.closed) this.flush()
      },
      (e) => {
        this.running--
        this.broker.logger.error('SASL token handling failed', { client: this.remote, error: (e as Error).message })
        this.close()
      },
    )
  }

  private handlerFailed(handler: Handler, header: DecodedRequestHeader, e: unknown): void {
    // A handler bug must not take the broker down; the client sees a closed connection and retries.
    this.broker.logger.error('request handler failed', {
      api: handler.request.name,
      apiVersion: header.apiVersion,
      client: this.remote,
      error: e instanceof Error ? (e.stack ?? e.message) : String(e),
    })
    this.close()
  }

  /** Queues a response slot; the frame's memory reservation moves to it. */
  private enqueue(): Slot {
    const slot: Slot = { chunks: undefined, done: false, reserved: this.reserved }
    this.reserved = 0
    this.queue.push(slot)
    return slot
  }

  private complete(
    slot: Slot,
    header: DecodedRequestHeader,
    codec: Handler['response'],
    body: ResponseOf<ApiKeyNumber> | typeof NO_RESPONSE,
    version: number,
    use?: RequestUse,
  ): void {
    // Kafka frees a request's buffer once the handler is done with it, before the response
    // is sent; the response's own bytes are bounded by the socket's backpressure.
    this.opts.memory.release(slot.reserved)
    slot.reserved = 0
    if (this.closed) return
    try {
      this.broker.faults?.check('response.send', codec.name)
    } catch {
      // A test's lost response: the request took effect, the client sees the connection drop.
      this.close()
      return
    }
    let throttleMs = 0
    const quotas = this.broker.quotas
    if (body !== NO_RESPONSE) {
      const encodeStarted = performance.now()
      let chunks = this.encode(header, codec, body, version)
      if (!chunks) return
      if (use && quotas) {
        use.handlerMs += performance.now() - encodeStarted
        const t = applyQuotas(quotas, use, chunks.reduce((n, c) => n + c.length, 0), body)
        throttleMs = t.throttleMs
        if (throttleMs > 0) {
          const throttled = { ...((t.replace ?? body) as { throttleTimeMs?: number }) }
          throttled.throttleTimeMs = Math.max(throttled.throttleTimeMs ?? 0, throttleMs)
          chunks = this.encode(header, codec, throttled as ResponseOf<ApiKeyNumber>, version)
          if (!chunks) return
        }
      }
      slot.chunks = chunks
    } else if (use && quotas) {
      throttleMs = applyQuotas(quotas, use, 0, body).throttleMs
    }
    slot.done = true
    this.flush()
    if (throttleMs > 0) this.mute(throttleMs)
  }

  private encode(header: DecodedRequestHeader, codec: Handler['response'], body: ResponseOf<ApiKeyNumber>, version: number): Buffer[] | undefined {
    const w = new Writer(512)
    w.writeInt32(0) // size, patched below
    w.writeInt32(header.correlationId)
    if (responseHeaderVersion(header.apiKey, version) >= 1) w.writeUnsignedVarint(0)
    try {
      codec.write(w, body, version)
    } catch (e) {
      this.broker.logger.error('cannot encode response', { api: codec.name, apiVersion: version, error: (e as Error).message })
      this.close()
      return undefined
    }
    w.patchInt32(0, w.length - 4)
    return w.toChunks()
  }

  /** Stops reading for `ms` (or longer, if already muted for longer): the client's throttle. */
  private mute(ms: number): void {
    const time = this.broker.quotas!.time
    if (this.closed || (this.muteTimer && this.muteTimer.dueAt >= time.now() + ms)) return
    time.clearTimeout(this.muteTimer)
    this.muteTimer = time.setTimeout(() => {
      this.muteTimer = undefined
      this.maybeResume()
    }, ms)
    this.pause()
  }

  private flush(): void {
    let wrote = false
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const slot = this.queue.shift()!
      if (slot.chunks) {
        if (!wrote) this.socket.cork()
        wrote = true
        const last = slot.chunks.length - 1
        const lent = slot.lent
        slot.chunks.forEach((c, i) => {
          if (i === last && lent && lent.length > 0) {
            // Written (or failed and dropped by the socket): nothing refers to them any more.
            this.socket.write(c, (err) => {
              if (!err) for (const b of lent) this.opts.buffers!.give(b)
            })
          } else this.socket.write(c)
        })
      }
    }
    if (wrote) {
      this.socket.uncork()
      this.lastActivity = this.opts.clock.now()
    }
    if (this.socket.writableNeedDrain) this.pause()
    else this.maybeResume()
    this.maybeFinish()
  }
}
