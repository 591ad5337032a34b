import { crc32c as nativeCrc32c } from '@node-rs/crc32'

/** CRC32C (Castagnoli) as Kafka uses for record batch v2; native SIMD implementation. */
export function crc32c(data: Uint8Array): number {
  // The native binding returns the unsigned 32-bit value.
  return nativeCrc32c(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength))
}
