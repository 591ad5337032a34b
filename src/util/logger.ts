/**
 * Structured logging: one JSON object per line on stderr. Quiet by default (warnings and
 * errors, plus the start-up line at info when asked); `SAMSA_LOG_LEVEL=debug|info|warn|error|silent`
 * or `log.level` in server.properties changes it.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent'
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  child(fields: Record<string, unknown>): Logger
  readonly level: Level
}

/** Every level a user may set, quietest last. */
export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error', 'silent']

export function isLevel(s: string): s is Level {
  return (LEVELS as readonly string[]).includes(s.toLowerCase())
}

/**
 * The level named by `s`, or `fallback` when unset. A name that is not a level also gives the
 * fallback: the tools use this; the broker refuses unknown levels first (log.level's check).
 */
export function parseLevel(s: string | undefined, fallback: Level): Level {
  const l = s?.toLowerCase()
  return l !== undefined && l in RANK ? (l as Level) : fallback
}

export function createLogger(
  opts: { level?: Level; base?: Record<string, unknown>; write?: (line: string) => void } = {},
): Logger {
  const level = opts.level ?? parseLevel(process.env.SAMSA_LOG_LEVEL, 'warn')
  const base = opts.base ?? {}
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < RANK[level]) return
    const rec = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }
    write(JSON.stringify(rec, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Error ? v.message : v)))
  }
  return {
    level,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger({ level, base: { ...base, ...f }, write }),
  }
}
