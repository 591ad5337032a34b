/** Small helpers the generated codecs share. */
import { ProtocolError } from './protocol-error.js'

export { ZERO_UUID } from './uuid.js'

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0)

export function checkVersion(name: string, version: number, min: number, max: number): void {
  if (!Number.isInteger(version) || version < min || version > max) {
    throw new ProtocolError(`${name} has no version ${version} (valid: ${min}-${max})`)
  }
}

export function nullError(field: string, version: number): ProtocolError {
  return new ProtocolError(`${field} cannot be null in version ${version}`)
}
