/**
 * Reads Kafka's JSON message specs into a model the emitter walks. The specs are JSON with
 * `//` comments (parsed with json5). Version strings: "none", "N", "N-M", "N+".
 */
import { readFileSync } from 'node:fs'
import JSON5 from 'json5'

export interface Range {
  min: number
  max: number // Infinity for "N+"
}

export const NONE: Range | null = null

export function parseRange(s: string | undefined): Range | null {
  if (s === undefined || s === 'none' || s === '') return null
  const plus = /^(\d+)\+$/.exec(s)
  if (plus) return { min: Number(plus[1]), max: Infinity }
  const span = /^(\d+)-(\d+)$/.exec(s)
  if (span) return { min: Number(span[1]), max: Number(span[2]) }
  if (/^\d+$/.test(s)) return { min: Number(s), max: Number(s) }
  throw new Error(`bad version range ${JSON.stringify(s)}`)
}

export function intersect(a: Range | null, b: Range | null): Range | null {
  if (!a || !b) return null
  const min = Math.max(a.min, b.min)
  const max = Math.min(a.max, b.max)
  return min <= max ? { min, max } : null
}

export const PRIMITIVES = new Set([
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records',
])

export interface RawField {
  name: string
  type: string
  versions?: string
  nullableVersions?: string
  taggedVersions?: string
  flexibleVersions?: string
  tag?: number
  default?: string | number | boolean
  ignorable?: boolean
  about?: string
  fields?: RawField[]
}

export interface RawSpec {
  apiKey?: number
  type: 'request' | 'response' | 'header' | 'data'
  name: string
  validVersions: string
  flexibleVersions?: string
  fields: RawField[]
  commonStructs?: Array<{ name: string; versions: string; fields: RawField[] }>
}

export type FieldType =
  | { kind: 'primitive'; name: string }
  | { kind: 'struct'; struct: Struct }
  | { kind: 'array'; element: FieldType }

export interface Field {
  name: string // spec name, e.g. MaxWaitMs
  prop: string // camelCase property
  type: FieldType
  versions: Range | null // clipped to the message's valid versions
  nullable: Range | null
  tagged: Range | null
  tag: number | undefined
  /** false when the field's own flexibleVersions says "none" (RequestHeader.ClientId). */
  flexibleAllowed: Range | null
  default: string | number | boolean | undefined
  about: string | undefined
}

export interface Struct {
  name: string // spec struct name
  tsName: string // exported TypeScript name
  fields: Field[]
  versions: Range | null
}

export interface Message {
  spec: RawSpec
  name: string
  type: RawSpec['type']
  apiKey: number | undefined
  valid: Range
  flexible: Range | null
  root: Struct
  structs: Struct[] // nested, in definition order (root excluded)
}

export function camel(name: string): string {
  // ClusterId -> clusterId, ISR -> isr, TopicID -> topicID (Kafka names are PascalCase)
  const m = /^[A-Z]+(?=[A-Z][a-z]|$|\d)/.exec(name)
  if (m && m[0].length > 1) return m[0].toLowerCase() + name.slice(m[0].length)
  return name.charAt(0).toLowerCase() + name.slice(1)
}

export function readSpec(path: string): RawSpec {
  return JSON5.parse(readFileSync(path, 'utf8')) as RawSpec
}

export function buildMessage(spec: RawSpec): Message {
  const valid = parseRange(spec.validVersions)
  if (!valid) throw new Error(`${spec.name}: no valid versions`)
  const flexible = intersect(parseRange(spec.flexibleVersions), valid)
  const structs = new Map<string, Struct>()
  const order: Struct[] = []
  const tsNameOf = (structName: string) => (structName.startsWith(spec.name) ? structName : spec.name + structName)

  // Common structs first, so references without inline fields resolve to them.
  const pendingCommon: Array<[Struct, RawField[]]> = []
  for (const cs of spec.commonStructs ?? []) {
    const s: Struct = { name: cs.name, tsName: tsNameOf(cs.name), fields: [], versions: intersect(parseRange(cs.versions), valid) }
    structs.set(cs.name, s)
    order.push(s)
    pendingCommon.push([s, cs.fields])
  }

  const resolveType = (f: RawField, versions: Range | null): FieldType => {
    let t = f.type
    if (t.startsWith('[]')) {
      t = t.slice(2)
      return { kind: 'array', element: resolveElement(t, f, versions) }
    }
    return resolveElement(t, f, versions)
  }
  const resolveElement = (t: string, f: RawField, versions: Range | null): FieldType => {
    if (PRIMITIVES.has(t)) {
      if (f.fields) throw new Error(`${spec.name}.${f.name}: primitive with fields`)
      return { kind: 'primitive', name: t }
    }
    if (f.fields) {
      if (structs.has(t)) throw new Error(`${spec.name}: struct ${t} defined twice`)
      const s: Struct = { name: t, tsName: tsNameOf(t), fields: [], versions }
      structs.set(t, s)
      order.push(s)
      s.fields = f.fields.map((x) => buildField(x, versions))
      return { kind: 'struct', struct: s }
    }
    const s = structs.get(t)
    if (!s) throw new Error(`${spec.name}.${f.name}: unknown struct ${t}`)
    return { kind: 'struct', struct: s }
  }
  const buildField = (f: RawField, parent: Range | null): Field => {
    // A tagged field may leave out "versions": it then exists exactly in its taggedVersions (as Kafka's generator reads it).
    const versions = intersect(parseRange(f.versions ?? f.taggedVersions), parent)
    const tagged = intersect(parseRange(f.taggedVersions), versions)
    if (tagged && f.tag === undefined) throw new Error(`${spec.name}.${f.name}: tagged without tag`)
    const ownFlex = f.flexibleVersions !== undefined ? parseRange(f.flexibleVersions) : flexible
    return {
      name: f.name,
      prop: camel(f.name),
      type: resolveType(f, versions),
      versions,
      nullable: intersect(parseRange(f.nullableVersions), versions),
      tagged,
      tag: f.tag === undefined ? undefined : Number(f.tag),
      flexibleAllowed: intersect(ownFlex, flexible),
      default: f.default,
      about: f.about,
    }
  }

  for (const [s, fields] of pendingCommon) s.fields = fields.map((x) => buildField(x, s.versions))
  const root: Struct = { name: spec.name, tsName: spec.name, fields: [], versions: valid }
  root.fields = spec.fields.map((f) => buildField(f, valid))
  return { spec, name: spec.name, type: spec.type, apiKey: spec.apiKey, valid, flexible, root, structs: order }
}
