/**
 * Broker config reads are typed by key: BrokerConfig.get('log.dirs') is a string[] and
 * get('num.partitions') a number, so call sites need no casts and a misspelt key does not
 * compile. The `@ts-expect-error` lines are the test — the build (tsc) fails if any of them
 * stops being an error — and the runtime part checks that every parsed value has the type its
 * kind promises, so the types cannot drift from what parsing produces.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BROKER_CONFIG, BROKER_CONFIG_KEYS, loadBrokerConfig, type BrokerConfig, type ConfigValue, type Def } from '../../src/broker/config.js'

// Never called: only compiled.
export function typeChecks(cfg: BrokerConfig): void {
  const dirs: string[] = cfg.get('log.dirs')
  const partitions: number = cfg.get('num.partitions')
  const ratio: number = cfg.get('log.cleaner.min.cleanable.ratio')
  const autoCreate: boolean = cfg.get('auto.create.topics.enable')
  const rack: string = cfg.get('broker.rack')
  const fromRequest: ConfigValue | undefined = cfg.getRaw('any.name.a.client.sends')
  // @ts-expect-error a misspelt key
  cfg.get('num.partition')
  // @ts-expect-error a list value used as a number
  const n: number = cfg.get('log.dirs')
  // @ts-expect-error arithmetic on a list value
  void (cfg.get('listeners') * 2)
  // @ts-expect-error a number is not a string
  const id: string = cfg.get('broker.id')
  // @ts-expect-error set takes the key's own type
  cfg.set('num.partitions', '3')
  // @ts-expect-error a name from a request may be no property at all
  const raw: ConfigValue = cfg.getRaw('num.partitions')
  // @ts-expect-error a list property's check sees string[], not a number
  const def = { kind: 'list', default: '', doc: '', check: (v: number) => (v > 0 ? undefined : 'no') } satisfies Def
  void [dirs, partitions, ratio, autoCreate, rack, fromRequest, n, id, raw, def]
}

test('every parsed default has the runtime type of its kind', () => {
  const cfg = loadBrokerConfig()
  const expected = { int: 'number', long: 'number', double: 'number', bool: 'boolean', string: 'string' } as const
  for (const key of BROKER_CONFIG_KEYS) {
    const { kind } = BROKER_CONFIG[key]
    const v = cfg.get(key)
    if (kind === 'list') assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), `${key} is a string[]`)
    else assert.equal(typeof v, expected[kind], `${key} (${kind})`)
  }
  assert.deepEqual([...BROKER_CONFIG_KEYS].sort(), Object.keys(BROKER_CONFIG).sort())
})
