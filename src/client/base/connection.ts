/**
 * One TCP connection to one broker: negotiates versions with ApiVersions on connect, then
 * pipelines requests and matches responses by correlation id.
 *
 * Version choice: each request goes at min(what the broker advertises, what our codec knows,
 * what the caller can build), and fails with UNSUPPORTED_VERSION when the ranges do not meet.
 * Callers that fill version-dependent fields ask `version(apiKey)` first.
 *
 * Failure: a socket error, an unexpected close or a request timeout rejects every pending
 * request with a ConnectionError / RequestTimeoutError naming the broker, and the connection
 * is dead for good (the cluster opens a new one). Kafka's clients also drop the connection on a
 * timeout: a late response could otherwise be matched to nothing while the broker still holds
 * the request's effects.
 *
 * Security: with `tls` the socket is TLS from the first byte; with `sasl` the connection runs
 * SaslHandshake and SaslAuthenticate right after ApiVersions, before `open` resolves, so no
 * other request ever goes out unauthenticated (after a v0 handshake, for brokers without
 * SaslAuthenticate, the tokens go raw, framed by size). A refusal is an AuthenticationError
 * with the broker's message. When SaslAuthenticate v1+ gives a session lifetime (KIP-368) the
 * connection re-authenticates at 85-95% of it, as Kafka's clients do: new requests are held,
 * the ones in flight are answered, the exchange runs again, then the held ones go out.
 */
import { connect, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { ApiKey, apiInfo, loadApi, loadedApi, type ApiKeyNumber, type ApiSpec, type RequestOf, type ResponseOf } from '../../protocol/generated/api-keys.js'
import { ApiVersionsRequest } from '../../protocol/generated/api-versions.js'
import { RequestHeader } from '../../protocol/generated/headers.js'
import { requestHeaderVersion, responseHeaderVersion } from '../../protocol/header.js'
import { Reader } from '../../protocol/primitives/reader.js'
import { Writer } from '../../protocol/primitives/writer.js'
import { ErrorCode } from '../../protocol/errors.js'
import { systemTime, type Time, type Timer } from '../../util/time.js'
import { AuthenticationError, ClientError, ConnectionError, KafkaError, RequestTimeoutError, abortReason, type BrokerAddress } from './errors.js'
import { FrameReceiver } from './frame-receiver.js'
import { SaslClientError, type SaslClient } from './sasl/mechanism.js'

export interface ConnectionOptions {
  host: string
  port: number
  /** -1 (or null) for a bootstrap address whose id is not known yet. */
  nodeId: number | null
  clientId: string
  /** socket.connection.setup.timeout.ms (Kafka default 10 s). */
  connectTimeoutMs: number
  /** request.timeout.ms (Kafka default 30 s); a request may ask for more. */
  requestTimeoutMs: number
  /** Largest response frame accepted; a broker sending more is treated as broken. */
  maxResponseSize?: number
  /** max.in.flight.requests.per.connection (default 5); further requests wait their turn. */
  maxInFlight?: number
  /** Sent in ApiVersions v3+ (KIP-511). */
  softwareName?: string
  softwareVersion?: string
  /** TLS (tls.connect options); plaintext when undefined. */
  tls?: TlsConnectionOptions
  /** A fresh SASL client for each (re-)authentication; no SASL when undefined. */
  sasl?: () => SaslClient
  /** The clock re-authentication is scheduled on (tests drive it). */
  time?: Time
}

export interface RequestOptions {
  /** Exact version; default: the highest both sides support. */
  version?: number
  /** Overrides requestTimeoutMs (Fetch adds its max wait to it). */
  timeoutMs?: number
  /** Produce with acks=0: the broker sends nothing back. Resolves once written. */
  noResponse?: boolean
  signal?: AbortSignal
}

interface Pending {
  api: ApiSpec
  version: number
  resolve(body: unknown): void
  reject(e: Error): void
  timer: NodeJS.Timeout | undefined
}

interface Queued {
  chunks: Buffer[]
  correlationId: number
  pending: Pending | undefined
}

const DEFAULT_MAX_RESPONSE = 1024 * 1024 * 1024

export class BrokerConnection {
  private readonly socket: Socket
  private readonly pending = new Map<number, Pending>()
  private readonly waiting: Queued[] = []
  private nextCorrelationId = 1
  private failure: Error | undefined
  /** Set while a request waits for its API's codecs to load (send). */
  private loadChain: Promise<void> | undefined
  private versions = new Map<number, { min: number; max: number }>()
  private readonly closeListeners: Array<(e: Error) => void> = []
  readonly address: BrokerAddress
  private readonly maxInFlight: number
  /** Requests written and awaiting responses (`pending` also holds queued ones). */
  private writtenInFlight = 0
  /** Where a raw SASL token's answer goes (after a v0 handshake), instead of a response. */
  private rawWaiter: { resolve(frame: Buffer): void; reject(e: Error): void } | undefined
  /** KIP-368: new requests wait (in `waiting`) while this is set; re-authentication runs once none is in flight. */
  private reauthDue = false
  private reauthRunning = false
  private reauthTimer: Timer | undefined
  /** How many times the connection authenticated (1 after open with SASL); for tests and logs. */
  authentications = 0

  private constructor(
    socket: Socket,
    frames: FrameReceiver,
    private readonly opts: ConnectionOptions,
  ) {
    this.socket = socket
    this.address = { nodeId: opts.nodeId, host: opts.host, port: opts.port }
    this.maxInFlight = opts.maxInFlight ?? 5
    socket.setNoDelay(true)
    socket.on('error', (e) => {
      // TLS 1.3 servers refuse a missing client certificate after the client's handshake is done.
      const tlsAlert = opts.tls && ((e as NodeJS.ErrnoException).code ?? '').startsWith('ERR_SSL_')
      this.fail(tlsAlert ? tlsFailure(this.address, e) : new ConnectionError(this.address, e.message, { cause: e }))
    })
    socket.on('close', () => this.fail(new ConnectionError(this.address, 'connection closed by the broker')))
    frames.attach({
      onFrame: (frame) => {
        this.onFrame(frame)
        // Requests held back by maxInFlight go out as responses free their slots.
        if (!this.failure) this.drainWaiting()
      },
      onBadSize: (size) => this.fail(new ConnectionError(this.address, `response frame of ${size} bytes is out of bounds`)),
      stopped: () => this.failure !== undefined,
    })
    if (socket.destroyed) this.fail(new ConnectionError(this.address, 'connection closed by the broker'))
  }

  /** Connects (TLS if configured), negotiates API versions, and authenticates (SASL if configured). */
  static async open(opts: ConnectionOptions, signal?: AbortSignal): Promise<BrokerConnection> {
    const address = { nodeId: opts.nodeId, host: opts.host, port: opts.port }
    const frames = new FrameReceiver(opts.maxResponseSize ?? DEFAULT_MAX_RESPONSE)
    const socket = await new Promise<Socket>((resolve, reject) => {
      // Reads go where the frame receiver says: large responses straight into their own buffer.
      const onread = { buffer: () => frames.nextBuffer(), callback: (n: number) => frames.onRead(n) }
      const s = opts.tls
        ? // Node's tls.connect takes onread like net.connect (its types leave it out).
          tlsConnect({ ...opts.tls, host: opts.host, port: opts.port, onread, ...(opts.tls.servername === undefined && isIp(opts.host) ? {} : { servername: opts.tls.servername ?? opts.host }) } as TlsConnectionOptions)
        : connect({ host: opts.host, port: opts.port, onread })
      const done = (e?: Error) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        s.off('error', onError)
        if (e) {
          s.destroy()
          reject(e)
        } else resolve(s)
      }
      const onError = (e: Error) => done(opts.tls ? tlsFailure(address, e) : new ConnectionError(address, `cannot connect: ${e.message}`, { cause: e }))
      const onAbort = () => done(abortReason(signal!))
      const timer = setTimeout(() => done(new ConnectionError(address, `no connection within ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs)
      s.once('error', onError)
      s.once(opts.tls ? 'secureConnect' : 'connect', () => done())
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    const conn = new BrokerConnection(socket, frames, opts)
    try {
      await conn.negotiate()
      if (opts.sasl) conn.scheduleReauth(await conn.authenticate())
    } catch (e) {
      conn.close()
      throw e
    }
    return conn
  }

  /**
   * ApiVersions at v3 first (flexible, KIP-511 client name). A broker that does not know v3
   * answers UNSUPPORTED_VERSION in the v0 layout with its own range; we retry at its maximum.
   */
  private async negotiate(): Promise<void> {
    const ours = Math.min(ApiVersionsRequest.maxVersion, 3)
    const body = { clientSoftwareName: this.opts.softwareName ?? 'samsa', clientSoftwareVersion: this.opts.softwareVersion ?? '0' }
    let resp = await this.send(ApiKey.ApiVersions, body, { version: ours })
    if (resp.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
      const theirs = resp.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions)?.maxVersion ?? 0
      resp = await this.send(ApiKey.ApiVersions, body, { version: Math.min(theirs, ours) })
    }
    if (resp.errorCode !== 0) throw new KafkaError(resp.errorCode, `${this.describe()}: ApiVersions failed`)
    for (const k of resp.apiKeys) this.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion })
  }

  /**
   * One SASL exchange (Kafka's SaslClientAuthenticator): SaslHandshake v1 then SaslAuthenticate
   * requests, or a v0 handshake and raw tokens when the broker has no SaslAuthenticate.
   * Resolves with the session lifetime the broker gave (0 = none).
   */
  private async authenticate(): Promise<number> {
    const client = this.opts.sasl!()
    const mech = client.mechanism
    const fail = (code: string, why: string, cause?: unknown) => new AuthenticationError(this.address, code, `SASL ${mech} authentication failed: ${why}`, { cause })
    if (!this.versions.has(ApiKey.SaslHandshake)) {
      throw fail('ILLEGAL_SASL_STATE', 'the broker does not offer SaslHandshake; is this a SASL listener (security.protocol SASL_PLAINTEXT / SASL_SSL)?')
    }
    const hsVersion = this.version(ApiKey.SaslHandshake, 1)
    const useAuthenticate = hsVersion >= 1 && this.versions.has(ApiKey.SaslAuthenticate)
    const hs = await this.send(ApiKey.SaslHandshake, { mechanism: mech }, { version: useAuthenticate ? hsVersion : 0, internal: true })
    if (hs.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
      throw new AuthenticationError(
        this.address,
        'UNSUPPORTED_SASL_MECHANISM',
        `the broker's listener does not enable SASL ${mech} (it offers ${hs.mechanisms.join(', ') || 'none'}); use one of those, or add ${mech} to sasl.enabled.mechanisms on the broker`,
      )
    }
    if (hs.errorCode !== 0) throw fail(new KafkaError(hs.errorCode).errorName, `SaslHandshake answered ${new KafkaError(hs.errorCode).errorName}`)
    let message: Buffer | null
    try {
      message = await client.initial()
    } catch (e) {
      throw fail('SASL_AUTHENTICATION_FAILED', (e as Error).message, e)
    }
    let lifetimeMs = 0
    while (message !== null) {
      let reply: Buffer
      if (useAuthenticate) {
        const r = await this.send(ApiKey.SaslAuthenticate, { authBytes: message }, { version: this.version(ApiKey.SaslAuthenticate, 2), internal: true })
        if (r.errorCode !== 0) {
          const name = new KafkaError(r.errorCode).errorName
          throw fail(name, r.errorMessage ?? name)
        }
        reply = r.authBytes
        lifetimeMs = Number(r.sessionLifetimeMs ?? 0n)
      } else {
        try {
          reply = await this.sendRaw(message)
        } catch (e) {
          // Kafka's brokers just close a v0 connection whose credentials they refuse.
          throw fail('SASL_AUTHENTICATION_FAILED', `the broker closed the connection (wrong credentials?): ${(e as Error).message}`, e)
        }
      }
      try {
        message = client.challenge(reply)
      } catch (e) {
        if (!(e instanceof SaslClientError)) throw e
        throw fail('SASL_AUTHENTICATION_FAILED', e.message, e)
      }
    }
    this.authentications++
    return lifetimeMs
  }

  /** A raw SASL token, size-framed, and the broker's size-framed answer (v0 handshake). */
  private sendRaw(token: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new ConnectionError(this.address, `no answer to a SASL token within ${this.opts.requestTimeoutMs} ms`)), this.opts.requestTimeoutMs)
      this.rawWaiter = {
        resolve: (f) => (clearTimeout(timer), resolve(f)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      }
      const size = Buffer.alloc(4)
      size.writeInt32BE(token.length)
      this.socket.write(Buffer.concat([size, token]))
    })
  }

  /** KIP-368: re-authenticate at 85-95% of the session lifetime (Kafka's client's window). */
  private scheduleReauth(lifetimeMs: number): void {
    if (!(lifetimeMs > 0) || this.failure) return
    const time = this.opts.time ?? systemTime
    const at = Math.floor(lifetimeMs * (0.85 + Math.random() * 0.1))
    this.reauthTimer = time.setTimeout(() => {
      this.reauthTimer = undefined
      this.reauthDue = true
      this.maybeReauth()
    }, at)
  }

  /** Starts the due re-authentication once nothing is in flight; requests meanwhile wait. */
  private maybeReauth(): void {
    if (!this.reauthDue || this.reauthRunning || this.failure || this.writtenInFlight > 0) return
    this.reauthRunning = true
    this.authenticate().then(
      (lifetimeMs) => {
        this.reauthRunning = false
        this.reauthDue = false
        this.scheduleReauth(lifetimeMs)
        this.drainWaiting()
      },
      (e: Error) => this.fail(e),
    )
  }

  describe(): string {
    const a = this.address
    return a.nodeId === null || a.nodeId < 0 ? `bootstrap server ${a.host}:${a.port}` : `broker ${a.nodeId} (${a.host}:${a.port})`
  }

  get isOpen(): boolean {
    return this.failure === undefined
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size
  }

  /** The broker's advertised range for an API, if it has one. */
  brokerVersions(apiKey: number): { min: number; max: number } | undefined {
    return this.versions.get(apiKey)
  }

  /**
   * The version to use: the highest in the overlap of the broker's range, our codec's and
   * [minOurs, maxOurs]. Throws UNSUPPORTED_VERSION when they do not overlap.
   */
  version(apiKey: number, maxOurs = Infinity, minOurs = 0): number {
    const api = apiInfo(apiKey)
    const theirs = this.versions.get(apiKey)
    if (!api || !theirs) throw new ClientError('UNSUPPORTED_VERSION', `${this.describe()} does not support ${api?.name ?? `API ${apiKey}`}`)
    const max = Math.min(theirs.max, api.request.maxVersion, maxOurs)
    const min = Math.max(theirs.min, api.request.minVersion, minOurs)
    if (max < min) {
      throw new ClientError(
        'UNSUPPORTED_VERSION',
        `${this.describe()} supports ${api.name} v${theirs.min}-${theirs.max}; this client needs v${Math.max(minOurs, api.request.minVersion)}-${Math.min(maxOurs, api.request.maxVersion)}`,
      )
    }
    return max
  }

  /**
   * Sends a request and resolves with the decoded response body; both are typed by the API
   * key, so a body with a field the API does not have fails to compile.
   */
  request<K extends ApiKeyNumber>(apiKey: K, body: RequestOf<K>, options: RequestOptions = {}): Promise<ResponseOf<K>> {
    if (this.failure) return Promise.reject(this.failure)
    const version = options.version ?? this.version(apiKey)
    return this.send(apiKey, body, { ...options, version })
  }

  /**
   * Codecs load on an API's first use (api-keys.ts). While one loads, later requests wait
   * behind it so that the socket still sees requests in call order: a producer's batches,
   * a group's JoinGroup then SyncGroup.
   */
  private send<K extends ApiKeyNumber>(apiKey: K, body: RequestOf<K>, options: RequestOptions & { version: number; internal?: boolean }): Promise<ResponseOf<K>> {
    if (this.failure) return Promise.reject(this.failure)
    const api = loadedApi(apiKey)
    if (api && this.loadChain === undefined) return this.encodeAndSend(api, apiKey, body, options)
    let response!: Promise<ResponseOf<K>>
    const step = (this.loadChain ?? Promise.resolve())
      .then(() => loadApi(apiKey))
      .then(
        (spec) => {
          try {
            response = spec ? this.encodeAndSend(spec, apiKey, body, options) : Promise.reject(new ClientError('UNSUPPORTED_VERSION', `no codec for API ${apiKey}`))
          } catch (e) {
            response = Promise.reject(e)
          }
        },
        (e: unknown) => {
          response = Promise.reject(e)
        },
      )
    this.loadChain = step
    void step.then(() => {
      if (this.loadChain === step) this.loadChain = undefined
    })
    return step.then(() => response)
  }

  private encodeAndSend<K extends ApiKeyNumber>(api: ApiSpec, apiKey: K, body: RequestOf<K>, options: RequestOptions & { version: number; internal?: boolean }): Promise<ResponseOf<K>> {
    if (this.failure) return Promise.reject(this.failure)
    const { version } = options
    const correlationId = this.nextCorrelationId
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff
    const w = new Writer(256)
    w.writeInt32(0)
    RequestHeader.write(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.opts.clientId }, requestHeaderVersion(apiKey, version))
    api.request.write(w, body, version)
    w.patchInt32(0, w.length - 4)
    const chunks = w.toChunks()
    if (options.noResponse) {
      // acks=0: fire and forget, as Kafka's clients do; a broken socket fails later requests.
      this.enqueue({ chunks, correlationId, pending: undefined })
      // There is no body to resolve with; callers of noResponse requests ignore the value.
      return Promise.resolve(undefined as unknown as ResponseOf<K>)
    }
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.opts.requestTimeoutMs
      const p: Pending = { api, version, resolve, reject, timer: undefined }
      p.timer = setTimeout(() => {
        this.pending.delete(correlationId)
        reject(new RequestTimeoutError(this.address, api.name, timeoutMs))
        this.fail(new ConnectionError(this.address, `closed after a ${api.name} request timed out`))
      }, timeoutMs)
      const signal = options.signal
      if (signal) {
        if (signal.aborted) {
          clearTimeout(p.timer)
          reject(abortReason(signal))
          return
        }
        // An aborted request's response is still read and dropped; the connection stays usable.
        const onAbort = () => {
          if (!this.pending.has(correlationId)) return
          this.pending.set(correlationId, { ...p, resolve: () => {}, reject: () => {} })
          clearTimeout(p.timer)
          reject(abortReason(signal))
        }
        signal.addEventListener('abort', onAbort, { once: true })
        const settle = <A>(f: (a: A) => void) => (a: A) => {
          signal.removeEventListener('abort', onAbort)
          f(a)
        }
        p.resolve = settle(resolve)
        p.reject = settle(reject)
      }
      this.enqueue({ chunks, correlationId, pending: p }, options.internal)
    })
  }

  /** `internal`: the connection's own SASL requests, which pass requests held for re-authentication. */
  private enqueue(q: Queued, internal = false): void {
    if (q.pending) this.pending.set(q.correlationId, q.pending)
    if (internal) {
      this.write(q)
      return
    }
    if (this.reauthDue || this.waiting.length > 0 || this.writtenInFlight >= this.maxInFlight) {
      this.waiting.push(q)
      return
    }
    this.write(q)
  }

  private write(q: Queued): void {
    if (q.pending) this.writtenInFlight++
    const s = this.socket
    if (q.chunks.length === 1) s.write(q.chunks[0]!)
    else {
      s.cork()
      for (const c of q.chunks) s.write(c)
      s.uncork()
    }
  }

  private drainWaiting(): void {
    if (this.reauthDue) {
      this.maybeReauth()
      return
    }
    while (this.waiting.length > 0 && this.writtenInFlight < this.maxInFlight) this.write(this.waiting.shift()!)
  }

  private onFrame(frame: Buffer): void {
    if (this.rawWaiter) {
      const w = this.rawWaiter
      this.rawWaiter = undefined
      w.resolve(frame)
      return
    }
    if (frame.length < 4) {
      this.fail(new ConnectionError(this.address, `response frame of ${frame.length} bytes has no header`))
      return
    }
    const correlationId = frame.readInt32BE(0)
    const p = this.pending.get(correlationId)
    if (!p) {
      this.fail(new ConnectionError(this.address, `response with unknown correlation id ${correlationId}`))
      return
    }
    this.pending.delete(correlationId)
    this.writtenInFlight--
    clearTimeout(p.timer)
    let body: unknown
    try {
      const r = new Reader(frame, 4)
      if (responseHeaderVersion(p.api.apiKey, p.version) >= 1) r.readTaggedFields(() => false)
      body = p.api.response.read(r, p.version)
      r.finish(`${p.api.response.name} v${p.version}`)
    } catch (e) {
      p.reject(new ConnectionError(this.address, (e as Error).message, { cause: e }))
      this.fail(new ConnectionError(this.address, 'closed after an undecodable response'))
      return
    }
    p.resolve(body)
  }

  /** True once the connection has failed or been closed (it never comes back). */
  get isClosed(): boolean {
    return this.failure !== undefined
  }

  /** Called when the connection fails or closes: fails everything pending, once. */
  onClose(listener: (e: Error) => void): void {
    if (this.failure) listener(this.failure)
    else this.closeListeners.push(listener)
  }

  private fail(e: Error): void {
    if (this.failure) return
    this.failure = e
    this.socket.destroy()
    ;(this.opts.time ?? systemTime).clearTimeout(this.reauthTimer)
    if (this.rawWaiter) {
      this.rawWaiter.reject(e)
      this.rawWaiter = undefined
    }
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(e)
    }
    this.pending.clear()
    this.waiting.length = 0
    for (const l of this.closeListeners.splice(0)) l(e)
  }

  close(): void {
    this.fail(new ConnectionError(this.address, 'connection closed by the client'))
  }
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':')
}

/**
 * A TLS connection that failed before the handshake completed. Certificate problems and TLS
 * alerts are AuthenticationErrors (retrying cannot fix them, as Kafka's SslAuthenticationException);
 * a refused or reset TCP connection stays a retriable ConnectionError.
 */
function tlsFailure(address: BrokerAddress, e: Error): Error {
  const code = (e as NodeJS.ErrnoException).code ?? ''
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return new AuthenticationError(address, 'SSL_AUTHENTICATION_FAILED', `TLS handshake failed (${code}): the listener does not speak TLS; use ssl only with SSL / SASL_SSL listeners`, { cause: e })
  }
  if (!code.startsWith('ERR_SSL_') && /CERT|SIGNATURE|ISSUER|ALTNAME/.test(code)) {
    return new AuthenticationError(address, 'SSL_AUTHENTICATION_FAILED', `TLS handshake failed: the broker's certificate is not trusted (${code}: ${e.message}); give the CA that signed it as ssl.ca (ssl.truststore.location)`, { cause: e })
  }
  if (code.startsWith('ERR_SSL_')) {
    return new AuthenticationError(address, 'SSL_AUTHENTICATION_FAILED', `the broker refused the TLS handshake (${code}); if it requires a client certificate, give ssl.cert and ssl.key (ssl.keystore.location)`, { cause: e })
  }
  if (code === 'ECONNRESET' && /before secure TLS connection/.test(e.message)) {
    return new ConnectionError(address, 'cannot connect: the broker closed the connection during the TLS handshake; is this a TLS listener (SSL / SASL_SSL)?', { cause: e })
  }
  return new ConnectionError(address, `cannot connect: ${e.message}`, { cause: e })
}
