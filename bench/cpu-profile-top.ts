/**
 * Prints a flame graph as a list: the functions of a V8 `.cpuprofile` (from `node --cpu-prof`,
 * e.g. a broker started with SAMSA_BENCH_BROKER_NODE_ARGS) by self time and by inclusive time,
 * as a share of the busy (non-idle) samples.
 *
 *   node dist/bench/cpu-profile-top.js FILE.cpuprofile [N] [--under NAME] [--after NAME] [--window A,B]
 *
 * `--under NAME` counts only samples with a frame whose "function file:line" contains NAME
 * (one path through the program); `--after NAME` only samples after the last one with such a
 * frame (a later phase of a run, e.g. `--after appendAsLeader` for the fetches that follow the
 * produces); `--window A,B` only samples from A to B seconds after the profile's start (one
 * phase of a benchmark whose phases run the same functions; the first line gives the span).
 * The profile samples wall time on the main thread: a thread preempted in a system call is
 * counted there, so on a loaded machine native frames such as `writeBuffer` look
 * heavier than the CPU they cost (work on the libuv thread pool is not in the profile at all).
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function main(argv: string[]): void {
  const positional: string[] = []
  let under: string | undefined
  let after: string | undefined
  let window: [number, number] | undefined
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--under') under = argv[++i]
    else if (argv[i] === '--after') after = argv[++i]
    else if (argv[i] === '--window') {
      const w = (argv[++i] ?? '').split(',').map(Number)
      if (w.length !== 2 || !w.every((x) => x >= 0) || w[0]! >= w[1]!) throw new Error(`--window wants A,B: seconds from the profile's start, A < B; got ${argv[i]}`)
      window = [w[0]! * 1e6, w[1]! * 1e6]
    }
    else positional.push(argv[i]!)
  }
  const [file, n] = positional
  if (!file) throw new Error('usage: cpu-profile-top.js FILE.cpuprofile [N] [--under NAME] [--after NAME] [--window A,B]')
  const top = Number(n ?? 30)
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const nodes = new Map(prof.nodes.map((x) => [x.id, x]))
  const parent = new Map<number, number>()
  for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id)
  const name = (x: ProfileNode) => `${x.callFrame.functionName || '(anonymous)'} ${x.callFrame.url.replace(/.*\/dist\//, '').replace(/^node:/, '')}:${x.callFrame.lineNumber + 1}`
  const stack = (id: number) => {
    const out: string[] = []
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) out.push(name(nodes.get(x)!))
    return out
  }
  let from = 0
  if (after !== undefined) prof.samples.forEach((id, i) => stack(id).some((s) => s.includes(after!)) && (from = i))
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let busy = 0
  // Sample i was taken at the sum of timeDeltas[0..i] (microseconds since the profile started).
  let at = 0
  for (let i = 0; i < from; i++) at += prof.timeDeltas[i] ?? 0
  for (let i = from; i < prof.samples.length; i++) {
    const id = prof.samples[i]!
    at += prof.timeDeltas[i] ?? 0
    if (window && (at < window[0] || at > window[1])) continue
    if (nodes.get(id)!.callFrame.functionName === '(idle)') continue
    const frames = stack(id)
    if (under !== undefined && !frames.some((s) => s.includes(under!))) continue
    const dt = prof.timeDeltas[i] ?? 0
    busy += dt
    self.set(frames[0]!, (self.get(frames[0]!) ?? 0) + dt)
    for (const f of new Set(frames)) inclusive.set(f, (inclusive.get(f) ?? 0) + dt)
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(title)
    for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * t) / busy).toFixed(1).padStart(5)}%  ${k}`)
  }
  console.log(`busy ${(busy / 1000).toFixed(0)} ms of main-thread samples; the profile spans ${(at / 1e6).toFixed(1)} s`)
  print('--- self time', self)
  print('--- inclusive time', inclusive)
}

main(process.argv.slice(2))
