/**
 * Kafka shows UUIDs (topic ids, directory ids) as URL-safe base64 without padding, 22 chars,
 * e.g. `kafka-topics --describe` prints "TopicId: 1kxCqUwGQTGMXJXb3Ptx9g". That string is our
 * in-memory form, so ids can be compared, used as map keys and printed as Kafka does.
 */
import { randomBytes } from 'node:crypto'
import { ProtocolError } from './protocol-error.js'

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export function uuidFromBytes(buf: Buffer, offset = 0): string {
  return buf.toString('base64url', offset, offset + 16)
}

export function uuidToBytes(uuid: string, out: Buffer, offset: number): void {
  if (uuid.length !== 22 || out.write(uuid, offset, 16, 'base64url') !== 16) {
    throw new ProtocolError(`invalid uuid ${JSON.stringify(uuid)}`)
  }
}

/** A random (v4) uuid, never the zero uuid nor one starting with '-' (Kafka avoids both). */
export function randomUuid(): string {
  for (;;) {
    const b = randomBytes(16)
    b[6] = (b[6]! & 0x0f) | 0x40
    b[8] = (b[8]! & 0x3f) | 0x80
    const s = uuidFromBytes(b)
    if (s !== ZERO_UUID && !s.startsWith('-')) return s
  }
}
