/** Every API this broker serves. ApiVersions advertises exactly this list. */
import { HandlerRegistry } from '../handler.js'
import { produceHandler } from './00-produce.js'
import { fetchHandler } from './01-fetch.js'
import { listOffsetsHandler } from './02-list-offsets.js'
import { metadataHandler } from './03-metadata.js'
import { apiVersionsHandler } from './18-api-versions.js'

export function defaultHandlers(): HandlerRegistry {
  return new HandlerRegistry()
    .register(produceHandler)
    .register(fetchHandler)
    .register(listOffsetsHandler)
    .register(metadataHandler)
    .register(apiVersionsHandler)
}
