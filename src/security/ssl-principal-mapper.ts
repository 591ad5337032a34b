/**
 * `ssl.principal.mapping.rules` as Kafka's SslPrincipalMapper: a comma-separated list of
 * `RULE:pattern/replacement/[LU]` and `DEFAULT`, tried in order on the client certificate's
 * subject in RFC 2253 form (`CN=alice,OU=eng,O=acme`). A rule applies when its pattern matches
 * the whole name; L or U lower- or upper-cases the result; DEFAULT keeps the name as it is.
 * No rule matching refuses the client, as Kafka.
 */
import { X509Certificate } from 'node:crypto'

type Rule = { kind: 'default' } | { kind: 'rule'; pattern: RegExp; replacement: string; toCase: '' | 'L' | 'U' }

const RULE = /^RULE:((?:\\\/|[^/])*)\/((?:\\\/|[^/])*)\/([LU]?)$/

/** Parses the rules; throws with the offending rule named. */
export function parseMappingRules(value: string): Rule[] {
  const out: Rule[] = []
  // Commas inside a rule's pattern are allowed: split only before DEFAULT or RULE:.
  const parts = value.trim() === '' ? ['DEFAULT'] : value.split(/,(?=\s*(?:DEFAULT|RULE:))/).map((s) => s.trim())
  for (const p of parts) {
    if (p === 'DEFAULT') {
      out.push({ kind: 'default' })
      continue
    }
    const m = RULE.exec(p)
    if (!m) throw new Error(`ssl.principal.mapping.rules: invalid rule '${p}' (expected RULE:pattern/replacement/[LU] or DEFAULT)`)
    let pattern: RegExp
    try {
      pattern = new RegExp(`^(?:${m[1]!.replace(/\\\//g, '/')})$`)
    } catch (e) {
      throw new Error(`ssl.principal.mapping.rules: invalid pattern in '${p}': ${(e as Error).message}`)
    }
    out.push({ kind: 'rule', pattern, replacement: m[2]!.replace(/\\\//g, '/'), toCase: m[3] as '' | 'L' | 'U' })
  }
  return out
}

/** The principal name for `dn`, or undefined when no rule matches. */
export function mapPrincipal(rules: readonly Rule[], dn: string): string | undefined {
  for (const r of rules) {
    if (r.kind === 'default') return dn
    if (!r.pattern.test(dn)) continue
    const s = dn.replace(r.pattern, r.replacement)
    return r.toCase === 'L' ? s.toLowerCase() : r.toCase === 'U' ? s.toUpperCase() : s
  }
  return undefined
}

/**
 * A certificate's subject in RFC 2253 order (most specific first), as Java's
 * X500Principal.getName(): Node gives the RDNs in certificate order, one a line, with the
 * RFC 2253 escapes (`\,`) already applied.
 */
export function subjectRfc2253(der: Buffer): string {
  const subject = new X509Certificate(der).subject
  return subject
    .split('\n')
    .filter((l) => l !== '')
    .reverse()
    .join(',')
}
