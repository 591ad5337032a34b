/** Every API this broker serves. ApiVersions advertises exactly this list. */
import { HandlerRegistry } from '../handler.js'
import { metadataHandler } from './03-metadata.js'
import { apiVersionsHandler } from './18-api-versions.js'

export function defaultHandlers(): HandlerRegistry {
  return new HandlerRegistry().register(metadataHandler).register(apiVersionsHandler)
}
