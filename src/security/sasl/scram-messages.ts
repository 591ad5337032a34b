/**
 * The SCRAM messages a server reads and writes (RFC 5802 section 7), parsed strictly: attribute
 * order as the RFC gives it, names as `saslname` (`=2C` for a comma, `=3D` for `=`), nonces of
 * printable ASCII without commas, proofs and channel binding in base64. Anything else is a
 * ScramFormatError, never an exception of another kind, so a garbage message costs the client
 * its connection and nothing more. The "bare" texts the signatures cover are kept as received.
 */

/** Longest client message accepted (a name, a nonce, a proof and a few extensions fit many times over). */
export const MAX_SCRAM_MESSAGE_BYTES = 8192

export class ScramFormatError extends Error {
  override name = 'ScramFormatError'
}

export interface ClientFirstMessage {
  /** The gs2 header as sent ("n,," or "n,a=alice,"); the client-final's channel binding must be its base64. */
  gs2Header: string
  /** The authorization id ('' when none). */
  authzid: string
  username: string
  nonce: string
  extensions: ReadonlyMap<string, string>
  /** client-first-message-bare, as received (part of AuthMessage). */
  bare: string
}

export interface ClientFinalMessage {
  channelBinding: Buffer
  nonce: string
  proof: Buffer
  /** client-final-message-without-proof, as received (part of AuthMessage). */
  withoutProof: string
}

const PRINTABLE = /^[\x21-\x2B\x2D-\x7E]+$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)?$/
const ALPHA = /^[A-Za-z]+$/
const decoder = new TextDecoder('utf-8', { fatal: true })

function text(token: Buffer, what: string): string {
  if (token.length === 0) throw new ScramFormatError(`empty SCRAM ${what}`)
  if (token.length > MAX_SCRAM_MESSAGE_BYTES) throw new ScramFormatError(`SCRAM ${what} of ${token.length} bytes (at most ${MAX_SCRAM_MESSAGE_BYTES})`)
  let s: string
  try {
    s = decoder.decode(token)
  } catch {
    throw new ScramFormatError(`SCRAM ${what} is not UTF-8`)
  }
  if (s.includes('\u0000')) throw new ScramFormatError(`SCRAM ${what} holds a NUL`)
  return s
}

/** A saslname decoded: `=2C` is ',' and `=3D` is '='; any other '=' is malformed (RFC 5802 section 5.1). */
export function decodeSaslName(s: string): string {
  if (s === '') throw new ScramFormatError('empty SCRAM user name')
  if (/=(?!2C|3D)/.test(s)) throw new ScramFormatError('SCRAM user name holds a "=" not written as =2C or =3D')
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=')
}

export function encodeSaslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

function extensions(parts: readonly string[], what: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const p of parts) {
    const eq = p.indexOf('=')
    const key = p.slice(0, eq)
    if (eq <= 0 || !ALPHA.test(key) || p.length === eq + 1) throw new ScramFormatError(`malformed extension in the SCRAM ${what}`)
    out.set(key, p.slice(eq + 1))
  }
  return out
}

function base64(s: string, what: string): Buffer {
  if (!BASE64.test(s)) throw new ScramFormatError(`${what} is not base64`)
  return Buffer.from(s, 'base64')
}

export function parseClientFirst(token: Buffer): ClientFirstMessage {
  const s = text(token, 'client-first message')
  const parts = s.split(',')
  // gs2-cbind-flag: 'n' (no channel binding) or 'y' (the client could, but thinks we cannot:
  // true, Samsa offers no -PLUS mechanism). 'p=' asks for channel binding, which is not served.
  const [flag, authz] = parts
  if (flag !== 'n' && flag !== 'y') throw new ScramFormatError(flag?.startsWith('p=') ? 'SCRAM channel binding (p=) is not supported' : 'SCRAM client-first message does not start with a gs2 header (n,,)')
  if (authz === undefined || (authz !== '' && !authz.startsWith('a='))) throw new ScramFormatError('malformed authorization id in the SCRAM gs2 header')
  const authzid = authz === '' ? '' : decodeSaslName(authz.slice(2))
  let i = 2
  // reserved-mext: defined for future use; Kafka accepts and ignores it, so do we.
  if (parts[i]?.startsWith('m=')) i++
  const n = parts[i++]
  const r = parts[i++]
  if (!n?.startsWith('n=')) throw new ScramFormatError('SCRAM client-first message has no user name (n=)')
  if (!r?.startsWith('r=') || !PRINTABLE.test(r.slice(2))) throw new ScramFormatError('SCRAM client-first message has no valid nonce (r=)')
  const gs2Header = `${flag},${authz},`
  return { gs2Header, authzid, username: decodeSaslName(n.slice(2)), nonce: r.slice(2), extensions: extensions(parts.slice(i), 'client-first message'), bare: s.slice(gs2Header.length) }
}

export function parseClientFinal(token: Buffer): ClientFinalMessage {
  const s = text(token, 'client-final message')
  const parts = s.split(',')
  const c = parts[0]
  const r = parts[1]
  const p = parts[parts.length - 1]
  if (parts.length < 3 || !c?.startsWith('c=') || !r?.startsWith('r=') || !p?.startsWith('p=')) throw new ScramFormatError('SCRAM client-final message is not c=...,r=...,p=...')
  if (!PRINTABLE.test(r.slice(2))) throw new ScramFormatError('SCRAM client-final message has an invalid nonce')
  extensions(parts.slice(2, -1), 'client-final message')
  return { channelBinding: base64(c.slice(2), 'SCRAM channel binding'), nonce: r.slice(2), proof: base64(p.slice(2), 'SCRAM client proof'), withoutProof: s.slice(0, s.length - p.length - 1) }
}

export function serverFirst(nonce: string, salt: Buffer, iterations: number): string {
  return `r=${nonce},s=${salt.toString('base64')},i=${iterations}`
}

export function serverFinal(signature: Buffer): string {
  return `v=${signature.toString('base64')}`
}
