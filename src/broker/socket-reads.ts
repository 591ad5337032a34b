/**
 * Socket reads into buffers the connection chooses (Node's `onread` user buffers), so the body
 * of a large request (a Produce of a megabyte) is read by the kernel straight into its own
 * buffer instead of arriving as 64 KiB chunks that are then copied into one. On this path the
 * broker copied every produced byte once more than it wrote it, and the chunks, one ArrayBuffer
 * per read, drove V8's external-memory garbage collections (profiles: about a third of the
 * broker's time producing 1 KiB records).
 *
 * Node offers `onread` only to sockets it is asked to construct (`new net.Socket({ onread })`),
 * not to the ones a server accepts. The constructor keeps the option in three internal fields
 * (`kBuffer`, `kBufferGen`, `kBufferCb`, null on every socket) and hands the first buffer to the
 * handle; this does the same on an accepted socket that has not started reading
 * (`pauseOnConnect`). From then on Node calls `callback(nread, buffer)` for each read instead of
 * emitting 'data', then `next()` for where the following read goes; 'end', 'close', pause() and
 * resume() work as before. Where the fields or the handle's `useUserBuffer` are not found (another
 * Node version, a TLS socket, which decrypts into its own buffers) nothing is changed and the
 * caller reads 'data' as before.
 */
import { Socket } from 'node:net'

export interface UserBufferReads {
  /** Where the next read goes; called once before the first read and after every read. */
  next(): Buffer
  /** `n` bytes were read into `buffer` (the one next() returned last). */
  callback(n: number, buffer: Buffer): void
}

function field(socket: Socket, name: string): symbol | undefined {
  return Object.getOwnPropertySymbols(socket).find((s) => s.description === name)
}

/**
 * Switches a paused, accepted plain-TCP socket to user-buffer reads. Returns a function that
 * asks next() again for where the next read goes (between reads: after a pause, when what
 * the next read should fill has changed), or undefined (socket untouched) when this Node does
 * not allow it. The caller resumes the socket either way.
 */
export function readIntoUserBuffers(socket: Socket, reads: UserBufferReads): (() => void) | undefined {
  if (Object.getPrototypeOf(socket) !== Socket.prototype) return undefined
  const kBuffer = field(socket, 'kBuffer')
  const kBufferGen = field(socket, 'kBufferGen')
  const kBufferCb = field(socket, 'kBufferCb')
  const s = socket as unknown as Record<symbol, unknown> & { _handle?: { useUserBuffer?: (b: Uint8Array) => void; reading?: boolean } }
  const handle = s._handle
  if (!kBuffer || !kBufferGen || !kBufferCb || s[kBuffer] !== null || s[kBufferGen] !== null || s[kBufferCb] !== null) return undefined
  if (!handle || typeof handle.useUserBuffer !== 'function' || handle.reading) return undefined
  const first = reads.next()
  s[kBuffer] = first
  s[kBufferGen] = () => reads.next()
  s[kBufferCb] = (n: number, buffer: Buffer) => {
    reads.callback(n, buffer)
  }
  handle.useUserBuffer(first)
  return () => {
    const h = s._handle
    if (!h || typeof h.useUserBuffer !== 'function') return
    const next = reads.next()
    s[kBuffer] = next
    h.useUserBuffer(next)
  }
}
