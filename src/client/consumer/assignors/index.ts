/** The consumer's partition assignors, by Kafka protocol name. */
import type { Assignor } from './assignor.js'
import { CooperativeStickyAssignor } from './cooperative-sticky.js'
import { RangeAssignor } from './range.js'
import { RoundRobinAssignor } from './roundrobin.js'
import { StickyAssignor } from './sticky.js'

export type { Assignor, MemberSubscription, RebalanceProtocol, UserDataState } from './assignor.js'
export { compareMembers } from './assignor.js'
export { DEFAULT_GENERATION, stickyAssign, type MemberData, type StickyResult } from './abstract-sticky.js'
export { RangeAssignor } from './range.js'
export { RoundRobinAssignor } from './roundrobin.js'
export { StickyAssignor, encodeStickyUserData, decodeStickyUserData, stickyMemberData } from './sticky.js'
export { CooperativeStickyAssignor, cooperativeMemberData } from './cooperative-sticky.js'

/** Names of the built-in assignors, in Kafka's spelling. */
export const ASSIGNOR_NAMES = ['range', 'roundrobin', 'sticky', 'cooperative-sticky'] as const

/** A new instance of the built-in assignor with this protocol name, or undefined. */
export function assignorByName(name: string): Assignor | undefined {
  switch (name) {
    case 'range':
      return new RangeAssignor()
    case 'roundrobin':
      return new RoundRobinAssignor()
    case 'sticky':
      return new StickyAssignor()
    case 'cooperative-sticky':
      return new CooperativeStickyAssignor()
    default:
      return undefined
  }
}
