/**
 * A deliberately dumb Kafka client for broker tests: frames requests with the generated codecs
 * (or sends whatever bytes a test wants), and hands back response frames as they arrive. It
 * never retries or negotiates, so tests see exactly what the broker does.
 */
import { connect, type Socket } from 'node:net'
import type { ApiKeyNumber, RequestOf, ResponseOf } from '../../src/protocol/generated/api-keys.js'
import { apiByKey } from '../../src/protocol/generated/api-codecs.js'
import { RequestHeader } from '../../src/protocol/generated/headers.js'
import { requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/header.js'
import { Reader } from '../../src/protocol/primitives/reader.js'
import { Writer } from '../../src/protocol/primitives/writer.js'

/** Header + body of a request, without the size prefix. */
export function encodeRequestPayload(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: unknown,
  clientId: string | null = 'samsa-test',
): Buffer {
  const api = apiByKey(apiKey)
  if (!api) throw new Error(`no codec for API key ${apiKey}`)
  const w = new Writer()
  RequestHeader.write(w, { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId }, requestHeaderVersion(apiKey, apiVersion))
  api.request.write(w, body, apiVersion)
  return w.toBuffer()
}

/** Prefixes a payload with its int32 size. */
export function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(payload.length)
  return Buffer.concat([size, payload])
}

/** A complete request frame (size + header + body). */
export function encodeRequest<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: RequestOf<K>,
  clientId: string | null = 'samsa-test',
): Buffer {
  return frame(encodeRequestPayload(apiKey, apiVersion, correlationId, body, clientId))
}

export interface DecodedResponse<T = any> {
  correlationId: number
  body: T
}

/**
 * Decodes a response frame (without size prefix) as `apiKey` at `bodyVersion`, using the
 * response header version Kafka's rules give for (apiKey, headerVersionOf). The whole frame
 * must be consumed, so a wrong header or body version fails loudly.
 */
export function decodeResponse<T = any>(payload: Buffer, apiKey: number, bodyVersion: number, headerVersionOf = bodyVersion): DecodedResponse<T> {
  const api = apiByKey(apiKey)
  if (!api) throw new Error(`no codec for API key ${apiKey}`)
  const r = new Reader(payload)
  const correlationId = r.readInt32()
  if (responseHeaderVersion(apiKey, headerVersionOf) >= 1) r.readTaggedFields(() => false)
  const body = api.response.read(r, bodyVersion) as T
  r.finish(`${api.response.name} v${bodyVersion}`)
  if (r.remaining !== 0) throw new Error(`${r.remaining} trailing bytes after ${api.response.name} v${bodyVersion}`)
  return { correlationId, body }
}

/** Splits concatenated frames; returns the frames and any incomplete tail. */
export function splitFrames(buf: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = []
  let at = 0
  while (buf.length - at >= 4) {
    const size = buf.readInt32BE(at)
    if (size < 0) throw new Error(`negative frame size ${size}`)
    if (buf.length - at - 4 < size) break
    frames.push(buf.subarray(at + 4, at + 4 + size))
    at += 4 + size
  }
  return { frames, rest: buf.subarray(at) }
}

export class RawClient {
  readonly socket: Socket
  /** Resolves when the socket is closed (by either side). */
  readonly closed: Promise<void>
  private buffered: Buffer = Buffer.alloc(0)
  private readonly frames: Buffer[] = []
  private waiters: Array<() => void> = []
  private isClosed = false
  private nextCorrelationId = 1
  /** Local "host:port" as the broker sees it (kept after the socket closes). */
  readonly localAddress: string

  private constructor(socket: Socket) {
    this.socket = socket
    this.localAddress = `${socket.localAddress}:${socket.localPort}`
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.isClosed = true
        this.wake()
        resolve()
      })
    })
    socket.on('error', () => {
      // ECONNRESET when the broker drops us is expected in these tests; 'close' follows.
    })
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
      const { frames, rest } = splitFrames(this.buffered)
      this.buffered = rest
      if (frames.length > 0) {
        this.frames.push(...frames)
        this.wake()
      }
    })
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host })
      s.once('error', reject)
      s.once('connect', () => {
        s.off('error', reject)
        s.setNoDelay(true)
        resolve(new RawClient(s))
      })
    })
  }

  get isOpen(): boolean {
    return !this.isClosed
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())))
  }

  /** Number of complete response frames received and not yet taken. */
  get pending(): number {
    return this.frames.length
  }

  /** The next response frame (without size prefix). Rejects if the socket closes first or on timeout. */
  async nextFrame(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const f = this.frames.shift()
      if (f) return f
      if (this.isClosed) throw new Error('connection closed before a response arrived')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Sends one request and decodes its response (checking the correlation id). */
  async request<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, body: RequestOf<K>, clientId: string | null = 'samsa-test'): Promise<ResponseOf<K>> {
    const correlationId = this.nextCorrelationId++
    await this.write(encodeRequest(apiKey, apiVersion, correlationId, body, clientId))
    const resp = decodeResponse<ResponseOf<K>>(await this.nextFrame(), apiKey, apiVersion)
    if (resp.correlationId !== correlationId) throw new Error(`correlation id ${resp.correlationId}, expected ${correlationId}`)
    return resp.body
  }

  /** Waits for the broker to close this connection; rejects after timeoutMs. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        this.closed,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs)
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  close(): void {
    this.socket.destroy()
  }
}
