/**
 * Who a connection acts as, in Kafka's form `<type>:<name>` (KafkaPrincipal). A connection
 * starts as User:ANONYMOUS, as Kafka's PLAINTEXT listeners do; TLS client certificates and SASL
 * replace it once they succeed. Authorization and quotas look only at this.
 */
export interface KafkaPrincipal {
  readonly type: string
  readonly name: string
}

export const ANONYMOUS: KafkaPrincipal = Object.freeze({ type: 'User', name: 'ANONYMOUS' })

export function principalToString(p: KafkaPrincipal): string {
  return `${p.type}:${p.name}`
}

/** Parses `User:alice` (the type is everything before the first colon, as Kafka's SecurityUtils). */
export function parsePrincipal(s: string): KafkaPrincipal {
  const i = s.indexOf(':')
  if (i <= 0) throw new Error(`principal '${s}' is not of the form <type>:<name> (for example User:alice)`)
  return { type: s.slice(0, i), name: s.slice(i + 1) }
}
