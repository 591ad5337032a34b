/**
 * ApiVersions (key 18), versions 0-4.
 *
 * Behaviour:
 * - Lists exactly the handlers registered in this broker, with their version ranges.
 * - KIP-511: a request version newer than 4 is answered (by the connection, see
 *   connection.ts) with a v0 response carrying UNSUPPORTED_VERSION and the ranges, so the
 *   client retries with a version it finds there.
 * - v3+: client software name and version must match Kafka's pattern, else INVALID_REQUEST.
 *
 * Gaps: no supported/finalized features are reported (Samsa has no feature flags yet).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ApiVersionsRequest, ApiVersionsResponse } from '../../protocol/generated/api-versions.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Handler, HandlerRegistry } from '../handler.js'

const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

export function apiVersionsBody(registry: HandlerRegistry, errorCode: number): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: registry.versions().map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  }
}

export const apiVersionsHandler: Handler<typeof ApiKey.ApiVersions> = {
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  request: ApiVersionsRequest,
  response: ApiVersionsResponse,
  handle(req, ctx) {
    if (ctx.apiVersion >= 3) {
      const name = req.clientSoftwareName ?? ''
      const version = req.clientSoftwareVersion ?? ''
      if (!SOFTWARE_PATTERN.test(name) || !SOFTWARE_PATTERN.test(version)) {
        return apiVersionsBody(ctx.broker.handlers, ErrorCode.INVALID_REQUEST)
      }
    }
    return apiVersionsBody(ctx.broker.handlers, ErrorCode.NONE)
  },
}
