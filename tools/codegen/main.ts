/**
 * Code generator entry: reads ../shared/kafka-protocol and writes src/protocol/generated.
 *   node dist/tools/codegen/main.js [--check] [--specs DIR] [--out DIR]
 * --check writes nothing and exits 1 when the committed files differ from what would be generated.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { buildMessage, readSpec, type Message } from './model.js'
import { emitModule, HEADER } from './emit.js'

function kebab(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}

const root = resolve(dirname(new URL(import.meta.url).pathname), '../../..')
const specs = resolve(arg('--specs', join(root, '../shared/kafka-protocol')))
const outDir = resolve(arg('--out', join(root, 'src/protocol/generated')))
const check = process.argv.includes('--check')

const files = new Map<string, string>() // path relative to outDir -> content

function addModule(rel: string, msgs: Message[]): void {
  const depth = rel.split('/').length - 1
  const up = '../'.repeat(depth + 1)
  files.set(rel, emitModule(msgs).replaceAll("'../primitives/", `'${up}primitives/`))
}

// API messages, headers and "data" messages.
const msgDir = join(specs, 'messages')
if (!existsSync(msgDir)) {
  // A bare clone has no ../shared; say where the specs are looked for instead of an ENOENT trace.
  console.error(`codegen: Kafka's protocol specs are not at ${specs} (expected ${msgDir}); put the shared folder beside the repository or pass --specs DIR`)
  process.exit(2)
}
const apis = new Map<number, { base: string; request?: Message; response?: Message }>()
const groups = new Map<string, Message[]>()
for (const f of readdirSync(msgDir).filter((x) => x.endsWith('.json')).sort()) {
  const m = buildMessage(readSpec(join(msgDir, f)))
  let rel: string
  if (m.type === 'request' || m.type === 'response') {
    const base = m.name.replace(/(Request|Response)$/, '')
    rel = `${kebab(base)}.ts`
    const e = apis.get(m.apiKey!) ?? { base }
    e[m.type] = m
    apis.set(m.apiKey!, e)
  } else if (m.type === 'header') {
    rel = 'headers.ts'
  } else {
    rel = `data/${kebab(m.name)}.ts`
  }
  groups.set(rel, [...(groups.get(rel) ?? []), m])
}

// Coordinator records (__consumer_offsets, __transaction_state): key and value share a file.
const recDir = join(specs, 'coordinator-records')
for (const sub of readdirSync(recDir).sort()) {
  for (const f of readdirSync(join(recDir, sub)).filter((x) => x.endsWith('.json')).sort()) {
    const m = buildMessage(readSpec(join(recDir, sub, f)))
    const rel = `coordinator/${sub}/${kebab(m.name.replace(/(Key|Value)$/, ''))}.ts`
    groups.set(rel, [...(groups.get(rel) ?? []), m])
  }
}

for (const [rel, msgs] of groups) {
  // Requests before responses, keys before values: stable and readable.
  msgs.sort((a, b) => order(a) - order(b))
  addModule(rel, msgs)
}
function order(m: Message): number {
  return /Request$|Key$/.test(m.name) ? 0 : 1
}

// The API registry, in two files. api-keys.ts has each API's key, name and version ranges and
// loads its codecs on first use, so a process that speaks a few APIs (a `samsa` tool, a client)
// does not parse all ninety codec modules at start-up (about 0.1 s of CPU per process).
// api-codecs.ts imports every codec at once, for the broker and the tests.
{
  const keys = [...apis.keys()].sort((a, b) => a - b)
  const typeImports: string[] = []
  const valueImports: string[] = []
  const infoRows: string[] = []
  const specRows: string[] = []
  const loaders: string[] = []
  const names: string[] = []
  const types: string[] = []
  const info = (m: Message) => `{ name: '${m.name}', minVersion: ${m.valid.min}, maxVersion: ${m.valid.max}, flexibleMin: ${m.flexible ? m.flexible.min : -1} }`
  for (const k of keys) {
    const e = apis.get(k)!
    if (!e.request || !e.response) throw new Error(`API ${k} lacks a request or response spec`)
    const file = kebab(e.base)
    typeImports.push(`import type { ${e.request.name}, ${e.response.name} } from './${file}.js'`)
    valueImports.push(`import { ${e.request.name}, ${e.response.name} } from './${file}.js'`)
    const listeners = JSON.stringify((e.request.spec as unknown as { listeners?: string[] }).listeners ?? [])
    infoRows.push(`  { apiKey: ${k}, name: '${e.base}', request: ${info(e.request)}, response: ${info(e.response)}, listeners: ${listeners} },`)
    specRows.push(`  { ...apiInfo(${k})!, request: ${e.request.name}, response: ${e.response.name} },`)
    loaders.push(`  ${k}: async () => {
    const m = await import('./${file}.js')
    return { ...apiInfo(${k})!, request: m.${e.request.name}, response: m.${e.response.name} }
  },`)
    names.push(`  ${e.base}: ${k},`)
    types.push(`  ${k}: { request: ${e.request.name}; response: ${e.response.name} }`)
  }
  files.set(
    'api-keys.ts',
    `${HEADER}
/* eslint-disable */
import type { Reader } from '../primitives/reader.js'
import type { Writer } from '../primitives/writer.js'
${typeImports.join('\n')}

export const ApiKey = {
${names.join('\n')}
} as const
export type ApiName = keyof typeof ApiKey

/**
 * Request and response body types by API key, so that a request sent or handled for a key
 * must have that API's shape: \`RequestOf<typeof ApiKey.Produce>\` is ProduceRequest.
 */
export interface ApiTypes {
${types.join('\n')}
}
export type ApiKeyNumber = keyof ApiTypes
export type RequestOf<K extends ApiKeyNumber> = ApiTypes[K]['request']
export type ResponseOf<K extends ApiKeyNumber> = ApiTypes[K]['response']

/** A message's name and versions, known without loading its codec. */
export interface MessageInfo {
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  /** First flexible version, or -1. */
  readonly flexibleMin: number
}

export interface MessageCodec<T = any> extends MessageInfo {
  write(w: Writer, value: T, version: number): void
  encode(value: T, version: number): Buffer
  read(r: Reader, version: number): T
  decode(buf: Buffer, version: number): T
}

export interface ApiInfo {
  readonly apiKey: number
  readonly name: ApiName
  readonly request: MessageInfo
  readonly response: MessageInfo
  /** Which Kafka listeners serve it: "broker", "controller", "zkBroker". */
  readonly listeners: readonly string[]
}

export interface ApiSpec extends ApiInfo {
  readonly request: MessageCodec
  readonly response: MessageCodec
}

export const API_INFO: readonly ApiInfo[] = [
${infoRows.join('\n')}
]

const infoByKey = new Map<number, ApiInfo>(API_INFO.map((a) => [a.apiKey, a]))
export function apiInfo(key: number): ApiInfo | undefined {
  return infoByKey.get(key)
}

const loaders: Record<number, () => Promise<ApiSpec>> = {
${loaders.join('\n')}
}
const loaded = new Map<number, ApiSpec>()
const loading = new Map<number, Promise<ApiSpec | undefined>>()

/** The API's codecs if they are loaded already (by loadApi or by importing api-codecs.js). */
export function loadedApi(key: number): ApiSpec | undefined {
  return loaded.get(key)
}

/** Loads the API's codecs (once); undefined for a key Samsa has no spec for. */
export function loadApi(key: number): Promise<ApiSpec | undefined> {
  const done = loaded.get(key)
  if (done) return Promise.resolve(done)
  let p = loading.get(key)
  if (!p) {
    const load = Object.hasOwn(loaders, key) ? loaders[key]! : undefined
    p = load
      ? load().then((spec) => {
          loaded.set(key, spec)
          return spec
        })
      : Promise.resolve(undefined)
    loading.set(key, p)
  }
  return p
}

/** Marks codecs loaded that a module imported statically (api-codecs.ts). */
export function registerLoadedApis(specs: readonly ApiSpec[]): void {
  for (const s of specs) loaded.set(s.apiKey, s)
}
`,
  )
  files.set(
    'api-codecs.ts',
    `${HEADER}
/* eslint-disable */
// Every API's codecs at once, for the broker (which serves them all) and the tests; a client
// loads only the APIs it uses through api-keys.ts's loadApi.
import { apiInfo, registerLoadedApis, type ApiSpec } from './api-keys.js'
${valueImports.join('\n')}

export const APIS: readonly ApiSpec[] = [
${specRows.join('\n')}
]
registerLoadedApis(APIS)

const byKey = new Map<number, ApiSpec>(APIS.map((a) => [a.apiKey, a]))
export function apiByKey(key: number): ApiSpec | undefined {
  return byKey.get(key)
}
`,
  )
}

const generated = [...files.keys()].sort()
if (check) {
  const stale: string[] = []
  for (const rel of generated) {
    const p = join(outDir, rel)
    if (!existsSync(p) || readFileSync(p, 'utf8') !== files.get(rel)) stale.push(rel)
  }
  for (const rel of listTs(outDir)) if (!files.has(rel)) stale.push(`${rel} (not generated any more)`)
  if (stale.length) {
    console.error(`generated code is out of date; run \`npm run generate\` and commit. Differs:\n  ${stale.join('\n  ')}`)
    process.exit(1)
  }
  console.log(`generated code is up to date (${generated.length} files)`)
} else {
  if (existsSync(outDir)) rmSync(outDir, { recursive: true })
  for (const rel of generated) {
    const p = join(outDir, rel)
    mkdirSync(dirname(p), { recursive: true })
    writeFileSync(p, files.get(rel)!)
  }
  console.log(`wrote ${generated.length} files to ${relative(process.cwd(), outDir) || '.'}`)
}

function listTs(dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.ts')) out.push(relative(dir, p))
    }
  }
  walk(dir)
  return out
}
