/** Payload filler and message keys shared by the Node side (the Python driver makes its own alike). */

/** Filler for the bytes after a payload's two send times: printable, incompressible enough not to matter (nothing compresses). */
export const PAYLOAD_FILL: Buffer = (() => {
  const b = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < b.length; i++) b[i] = 0x61 + ((i * 7) % 26)
  return b
})()

/**
 * OMB's key distributors draw from a fixed set of random keys; 10,000 of 7 characters here
 * (KEY_ROUND_ROBIN walks them in order, RANDOM_NANO picks one at random per message).
 */
export function makeKeys(count = 10_000): string[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  let seed = 12345
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % alphabet.length)
  return Array.from({ length: count }, () => Array.from({ length: 7 }, () => alphabet[rand()]).join(''))
}
