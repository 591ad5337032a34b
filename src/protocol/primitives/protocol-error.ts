/** The only error the codec throws for malformed or unencodable input. */
export class ProtocolError extends Error {
  override name = 'ProtocolError'
}
