/**
 * Whether a Node version satisfies a package's `engines.node` range, for the part of npm's
 * semver range grammar packages use there: `||` alternatives of space-separated comparators
 * (>=, >, <=, <, =, ^, ~, partial versions and x-ranges such as `20`, `20.x`, `*`) and hyphen
 * ranges (`18 - 22`). Anything else (pre-release tags, unknown syntax) throws, so a package
 * with an unusual range fails the check by name instead of passing unchecked. Written here
 * rather than taken from the `semver` package, which is not in the dependency tree.
 */

type Version = readonly [number, number, number]
/** A partial version: `20` is [20], `20.1.x` is [20, 1]. */
type Partial = number[]

function partial(s: string, range: string): Partial {
  const m = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(s)
  if (!m) throw new Error(`engines range ${JSON.stringify(range)}: cannot read version ${JSON.stringify(s)}`)
  const out: Partial = []
  for (const part of m.slice(1)) {
    if (part === undefined || /^[xX*]$/.test(part)) break
    out.push(Number(part))
  }
  return out
}

function cmp(a: Version, b: Partial): number {
  for (let i = 0; i < 3; i++) {
    const d = a[i]! - (b[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

/** The smallest version above every version matching `p` (`20` -> 21.0.0, `20.1` -> 20.2.0). */
function next(p: Partial): Partial {
  if (p.length === 0) return [Infinity]
  const out = p.slice()
  out[out.length - 1]!++
  return out
}

function comparator(v: Version, c: string, range: string): boolean {
  const m = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(c)!
  const op = m[1] ?? '='
  const p = partial(m[2]!, range)
  const full = p.length === 3
  switch (op) {
    case '=':
      return cmp(v, p) >= 0 && cmp(v, next(p)) < 0
    case '>=':
      return cmp(v, p) >= 0
    case '>':
      return full ? cmp(v, p) > 0 : cmp(v, next(p)) >= 0
    case '<':
      return cmp(v, p) < 0
    case '<=':
      return full ? cmp(v, p) <= 0 : cmp(v, next(p)) < 0
    case '~':
      return cmp(v, p) >= 0 && cmp(v, next(p.slice(0, Math.max(1, Math.min(2, p.length))))) < 0
    default: {
      // ^: the left-most non-zero part may not change (^0.2.3 < 0.3.0, ^0.0 < 0.1.0).
      let keep = p.findIndex((x) => x !== 0)
      if (keep === -1) keep = p.length - 1
      return cmp(v, p) >= 0 && (p.length === 0 || cmp(v, next(p.slice(0, keep + 1))) < 0)
    }
  }
}

export function satisfiesNodeRange(version: string, range: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version)
  if (!m) throw new Error(`not a release version: ${version}`)
  const v: Version = [Number(m[1]), Number(m[2]), Number(m[3])]
  return range.split('||').some((alt) => {
    const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(alt)
    if (hyphen) return comparator(v, `>=${hyphen[1]}`, range) && comparator(v, `<=${hyphen[2]}`, range)
    const comparators = alt.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter((c) => c !== '')
    return comparators.length === 0 || comparators.every((c) => comparator(v, c, range))
  })
}
