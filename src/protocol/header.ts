/**
 * Request/response header versions (Kafka's rules): flexible API versions use request header
 * v2 and response header v1, others v1/v0. ControlledShutdown v0 alone uses request header v0,
 * and ApiVersions responses always use header v0 so a client that does not yet know which
 * versions the broker speaks can always read the answer.
 */
import { apiInfo, ApiKey } from './generated/api-keys.js'
import { RequestHeader } from './generated/headers.js'
import { Reader } from './primitives/reader.js'
import { ProtocolError } from './primitives/protocol-error.js'

export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const api = apiInfo(apiKey)
  return api !== undefined && api.request.flexibleMin >= 0 && apiVersion >= api.request.flexibleMin
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0
  return isFlexible(apiKey, apiVersion) ? 2 : 1
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0
  return isFlexible(apiKey, apiVersion) ? 1 : 0
}

export interface DecodedRequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
  /** Where the request body starts in the frame. */
  bodyOffset: number
}

/**
 * Decodes a request header. For an API version newer than the codec knows (a client probing
 * with a future ApiVersions) the header is read as v1/v2 by the same rule, so the correlation
 * id is still recovered and KIP-511's fallback answer can be sent.
 */
export function decodeRequestHeader(frame: Buffer): DecodedRequestHeader {
  if (frame.length < 8) throw new ProtocolError(`request header needs 8 bytes, frame has ${frame.length}`)
  const apiKey = frame.readInt16BE(0)
  const apiVersion = frame.readInt16BE(2)
  const api = apiInfo(apiKey)
  const flexible = api !== undefined && api.request.flexibleMin >= 0 && apiVersion >= api.request.flexibleMin
  const hv = apiKey === ApiKey.ControlledShutdown && apiVersion === 0 ? 0 : flexible ? 2 : 1
  const r = new Reader(frame)
  const h = RequestHeader.read(r, hv)
  r.finish(`request header v${hv}`)
  return { apiKey, apiVersion, correlationId: h.correlationId, clientId: h.clientId ?? null, bodyOffset: r.pos }
}
