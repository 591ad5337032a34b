/**
 * The ACLs one broker's authorizer consults: an in-memory set indexed by resource type and
 * literal name, rebuilt from the metadata store's ACL changes. Lookups touch only the
 * literal name, the wildcard and the prefixed patterns of the resource's type.
 */
import { bindingKey, WILDCARD_RESOURCE, type AclBinding, type AclBindingFilter, type ResourcePattern } from './acl.js'
import { filterMatches } from './matcher.js'

interface TypeIndex {
  literal: Map<string, Map<string, AclBinding>>
  prefixed: Map<string, Map<string, AclBinding>>
}

export class AclSet {
  private readonly byType = new Map<string, TypeIndex>()
  private readonly all = new Map<string, AclBinding>()

  get size(): number {
    return this.all.size
  }

  has(b: AclBinding): boolean {
    return this.all.has(bindingKey(b))
  }

  /** Adds a binding; false when it was there already (creating an existing ACL succeeds, as in Kafka). */
  add(b: AclBinding): boolean {
    const key = bindingKey(b)
    if (this.all.has(key)) return false
    this.all.set(key, b)
    const idx = this.index(b.pattern.resourceType)
    const byName = b.pattern.patternType === 'PREFIXED' ? idx.prefixed : idx.literal
    let m = byName.get(b.pattern.name)
    if (!m) byName.set(b.pattern.name, (m = new Map()))
    m.set(key, b)
    return true
  }

  remove(b: AclBinding): boolean {
    const key = bindingKey(b)
    if (!this.all.delete(key)) return false
    const idx = this.index(b.pattern.resourceType)
    const byName = b.pattern.patternType === 'PREFIXED' ? idx.prefixed : idx.literal
    const m = byName.get(b.pattern.name)
    m?.delete(key)
    if (m?.size === 0) byName.delete(b.pattern.name)
    return true
  }

  clear(): void {
    this.all.clear()
    this.byType.clear()
  }

  /** Every binding whose pattern applies to resource (type, name): literal, wildcard and prefixes of it. */
  *forResource(resourceType: ResourcePattern['resourceType'], name: string): Iterable<AclBinding> {
    const idx = this.byType.get(resourceType)
    if (!idx) return
    const exact = idx.literal.get(name)
    if (exact) yield* exact.values()
    if (name !== WILDCARD_RESOURCE) {
      const wild = idx.literal.get(WILDCARD_RESOURCE)
      if (wild) yield* wild.values()
    }
    // A linear scan of the type's prefixes (Kafka walks a sorted map); measured in the report.
    for (const [prefix, m] of idx.prefixed) if (name.startsWith(prefix)) yield* m.values()
  }

  /** The bindings a DescribeAcls / DeleteAcls filter selects. */
  matching(filter: AclBindingFilter): AclBinding[] {
    const out: AclBinding[] = []
    for (const b of this.all.values()) if (filterMatches(filter, b)) out.push(b)
    return out
  }

  values(): IterableIterator<AclBinding> {
    return this.all.values()
  }

  private index(type: string): TypeIndex {
    let idx = this.byType.get(type)
    if (!idx) this.byType.set(type, (idx = { literal: new Map(), prefixed: new Map() }))
    return idx
  }
}
