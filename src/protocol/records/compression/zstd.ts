/**
 * Zstandard frames. @mongodb-js/zstd is async only, and Node 20's zlib has no zstd, so there
 * is no synchronous form: callers that need one must handle the other codecs only.
 */
import * as zstd from '@mongodb-js/zstd'

// Level 3 is zstd's and Kafka's default.
export const compress = (data: Buffer): Promise<Buffer> => zstd.compress(data, 3)
export const decompress = (data: Buffer): Promise<Buffer> => zstd.decompress(data)
