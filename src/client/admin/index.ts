/** The admin client's public surface. */
export { Admin } from './admin.js'
export { AdminError, type AdminFailure } from './common.js'
export type { AdminOptions, CallOptions } from './options.js'
export type { DescribeConfigsOptions } from './configs.js'
export type { ListGroupsOptions } from './groups.js'
export type { ListGroupOffsetsOptions } from './group-offsets.js'
export type { IsolationLevel } from './offsets.js'
export type * from './types.js'
