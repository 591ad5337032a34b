import { promisify } from 'node:util'
import { gunzip, gunzipSync, gzip, gzipSync } from 'node:zlib'

const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

// The async forms run on libuv's thread pool, which keeps large batches off the event loop.
export const compress = (data: Buffer): Promise<Buffer> => gzipAsync(data)
export const decompress = (data: Buffer): Promise<Buffer> => gunzipAsync(data)
export const compressSync = (data: Buffer): Buffer => gzipSync(data)
export const decompressSync = (data: Buffer): Buffer => gunzipSync(data)
