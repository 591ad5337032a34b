/**
 * A broker's session with etcd: one lease, kept alive by the client, that the broker's
 * registration and its controller claim are bound to (the ZooKeeper era's ephemeral nodes).
 *
 * The session is lost when etcd says the lease is gone, when no keepalive has been answered for
 * a whole TTL (etcd has then expired the lease, or will before we could reach it), or when the
 * store sees the broker's own key vanish (someone revoked the lease). Whoever holds the session
 * learns of it once, through `onLost`; a later `grant()` starts a new lease.
 */
import type { Etcd3, Lease } from 'etcd3'

export interface EtcdSessionOptions {
  client: Etcd3
  ttlSeconds: number
  requestTimeoutMs: number
  onLost: (reason: string) => void
}

export class EtcdSession {
  private readonly opts: EtcdSessionOptions
  private lease: Lease | undefined
  private id: string | undefined
  /** The lease of the last session, kept after a loss so a rejoin can revoke it and recognise its keys. */
  private previousId: string | undefined
  private lastAnswer = 0
  private granting: Promise<string> | undefined
  private readonly watchdog: NodeJS.Timeout
  private closed = false

  constructor(opts: EtcdSessionOptions) {
    this.opts = opts
    // A third of the TTL, as the client sends keepalives: a loss is noticed within 4/3 TTL.
    this.watchdog = setInterval(() => this.check(), Math.max(50, (opts.ttlSeconds * 1000) / 3))
    this.watchdog.unref()
  }

  /** The lease id while the session is alive. */
  get leaseId(): string | undefined {
    return this.id
  }

  /** The lease id of the session before the current one (or the lost one), if any. */
  get staleLeaseId(): string | undefined {
    return this.previousId
  }

  /** The live lease's id, granting a new lease when there is none. */
  grant(): Promise<string> {
    if (this.closed) return Promise.reject(new Error('the etcd session is closed'))
    if (this.id !== undefined) return Promise.resolve(this.id)
    this.granting ??= this.newLease().finally(() => (this.granting = undefined))
    return this.granting
  }

  private async newLease(): Promise<string> {
    const lease = this.opts.client.lease(this.opts.ttlSeconds, { autoKeepAlive: true, deadline: Date.now() + this.opts.requestTimeoutMs })
    // A failed grant also fires 'lost'; it is not a session loss (there was no session yet).
    lease.on('lost', (err) => {
      if (this.lease === lease) this.lose(`etcd reports the lease lost: ${err.message}`)
    })
    lease.on('keepaliveSucceeded', () => {
      if (this.lease === lease) this.lastAnswer = Date.now()
    })
    let id: string
    try {
      id = await lease.grant()
    } catch (err) {
      lease.release()
      throw err
    }
    if (this.closed) {
      await lease.revoke().catch(() => undefined)
      throw new Error('the etcd session is closed')
    }
    this.lease = lease
    this.id = id
    this.lastAnswer = Date.now()
    return id
  }

  /** Ends the session because its keys are known to be gone (the store saw them deleted). */
  lose(reason: string): void {
    if (this.id === undefined || this.closed) return
    this.previousId = this.id
    this.id = undefined
    this.lease?.release()
    this.lease = undefined
    this.opts.onLost(reason)
  }

  /** Revokes a lease of an earlier session (its keys vanish at once); errors are the caller's to ignore. */
  async revokeStale(): Promise<void> {
    const id = this.previousId
    if (id === undefined) return
    await this.opts.client.leaseClient.leaseRevoke({ ID: id }, { deadline: Date.now() + this.opts.requestTimeoutMs })
    if (this.previousId === id) this.previousId = undefined
  }

  private check(): void {
    if (this.id === undefined || this.closed) return
    const silent = Date.now() - this.lastAnswer
    if (silent > this.opts.ttlSeconds * 1000) this.lose(`no keepalive answered for ${silent} ms (lease TTL ${this.opts.ttlSeconds} s): etcd unreachable or too slow`)
  }

  /** Revokes the lease (a clean shutdown: the broker's keys vanish at once) and stops. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.watchdog)
    const lease = this.lease
    this.lease = undefined
    this.id = undefined
    await this.granting?.catch(() => undefined)
    if (lease) await lease.revoke({ deadline: Date.now() + this.opts.requestTimeoutMs }).catch(() => lease.release())
  }
}
