/** The broker a run talks to: the one given (--bootstrap-server), or a `samsa server start` process of its own. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeArgsFrom } from '../proc.js'

export interface Target {
  bootstrap: string
  pid?: number | undefined
  /** A line saying what the broker is. */
  describe: string
  close(): Promise<void>
}

export async function target(bootstrap: string | undefined, brokerPid: number | undefined): Promise<Target> {
  if (bootstrap) return { bootstrap, pid: brokerPid, describe: `broker at ${bootstrap}${brokerPid ? ` (pid ${brokerPid})` : ''}`, close: async () => undefined }
  const { startBrokerProcess } = await import('../../test/helpers/broker-process.js')
  const dir = await mkdtemp(join(process.env['SAMSA_BENCH_DIR'] ?? tmpdir(), 'samsa-omb-'))
  const broker = await startBrokerProcess({
    logDir: join(dir, 'log'),
    // A lone group member is not held 3 s; OMB's consumers join before the producers start anyway.
    overrides: { 'group.initial.rebalance.delay.ms': '0' },
    env: { SAMSA_LOG_LEVEL: 'warn' },
    // SAMSA_BENCH_BROKER_NODE_ARGS, as the broker benchmarks take it (e.g. --cpu-prof --cpu-prof-dir=DIR).
    nodeArgs: nodeArgsFrom('SAMSA_BENCH_BROKER_NODE_ARGS'),
    startTimeoutMs: 30_000,
  })
  return {
    bootstrap: broker.bootstrap,
    pid: broker.proc.pid,
    describe: `samsa broker process pid ${broker.proc.pid} at ${broker.bootstrap}, log in ${dir}`,
    async close() {
      await broker.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
