/**
 * Kafka's `sasl.jaas.config` value: one JAAS login module entry,
 * `<LoginModuleClass> <flag> key=value key="quoted value";`. Parsed as Java's JAAS
 * ConfigFile tokenizer reads it (Kafka's JaasConfig): words, double-quoted strings with
 * backslash escapes, `=` and a closing `;`; `//` and `/* *\/` comments are skipped.
 */

export interface JaasEntry {
  loginModule: string
  flag: 'required' | 'requisite' | 'sufficient' | 'optional'
  options: Map<string, string>
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional'])

type Token = { kind: 'word' | 'string'; text: string } | { kind: 'punct'; text: '=' | ';' }

function tokenize(s: string, key: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < s.length) {
    const c = s[i]!
    if (/\s/.test(c)) {
      i++
    } else if (s.startsWith('//', i)) {
      while (i < s.length && s[i] !== '\n') i++
    } else if (s.startsWith('/*', i)) {
      const end = s.indexOf('*/', i + 2)
      if (end < 0) throw new Error(`${key}: unterminated comment`)
      i = end + 2
    } else if (c === '=' || c === ';') {
      out.push({ kind: 'punct', text: c })
      i++
    } else if (c === '"' || c === "'") {
      let text = ''
      i++
      for (;;) {
        if (i >= s.length) throw new Error(`${key}: unterminated quoted value`)
        const d = s[i]!
        if (d === c) break
        if (d === '\\') {
          const e = s[i + 1]
          if (e === undefined) throw new Error(`${key}: unterminated quoted value`)
          text += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e
          i += 2
          continue
        }
        text += d
        i++
      }
      i++
      out.push({ kind: 'string', text })
    } else {
      let j = i
      while (j < s.length && !/[\s=;"']/.test(s[j]!)) j++
      out.push({ kind: 'word', text: s.slice(i, j) })
      i = j
    }
  }
  return out
}

/**
 * Parses a sasl.jaas.config value; Kafka requires exactly one login module in it. Errors name
 * `key` and never repeat option values (they hold passwords).
 */
export function parseJaasConfig(value: string, key = 'sasl.jaas.config'): JaasEntry {
  const toks = tokenize(value, key)
  let i = 0
  const next = () => toks[i++]
  const module = next()
  if (!module || module.kind !== 'word') throw new Error(`${key}: expected a login module class name, as in 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="<password>";'`)
  const flag = next()
  if (!flag || flag.kind !== 'word' || !FLAGS.has(flag.text.toLowerCase())) {
    throw new Error(`${key}: login module ${module.text} needs a control flag (required, requisite, sufficient or optional)`)
  }
  const options = new Map<string, string>()
  for (;;) {
    const t = next()
    if (!t) throw new Error(`${key}: the login module entry must end with ';'`)
    if (t.kind === 'punct' && t.text === ';') break
    if (t.kind !== 'word') throw new Error(`${key}: expected an option name, found a quoted value`)
    const eq = next()
    if (!eq || eq.kind !== 'punct' || eq.text !== '=') throw new Error(`${key}: option ${t.text} needs '=value'`)
    const v = next()
    if (!v || v.kind === 'punct') throw new Error(`${key}: option ${t.text} has no value`)
    options.set(t.text, v.text)
  }
  if (i < toks.length) throw new Error(`${key}: must contain exactly one login module (found more after the first ';')`)
  return { loginModule: module.text, flag: flag.text.toLowerCase() as JaasEntry['flag'], options }
}
