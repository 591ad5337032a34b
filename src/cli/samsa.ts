#!/usr/bin/env node
/**
 * The `samsa` command: Kafka's command-line tools as subcommands of one binary, with Kafka's
 * flag names (`samsa topics --bootstrap-server localhost:9092 --list` for kafka-topics.sh).
 * `samsa <tool> --help` lists each tool's flags.
 *
 * Every tool's action resolves when its work is done (the broker's when it has shut down);
 * then the process exits with 0, or prints one line and exits 1 (failure) or 2 (usage), as
 * common.ts describes.
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { describeError, EXIT_USAGE, exitCodeOf } from './common.js'

/**
 * Each tool's module, loaded only when that tool runs: a tool's start-up then costs its own
 * imports, not every tool's (the broker's, the log dumper's codecs...). Order is --help's.
 */
const TOOLS: Record<string, () => Promise<Command>> = {
  server: async () => (await import('./server.js')).serverCommand(),
  cluster: async () => (await import('./cluster.js')).clusterCommand(),
  topics: async () => (await import('./topics.js')).topicsCommand(),
  configs: async () => (await import('./configs.js')).configsCommand(),
  'client-quotas': async () => (await import('./configs-quotas.js')).clientQuotasCommand(),
  acls: async () => (await import('./acls.js')).aclsCommand(),
  'console-producer': async () => (await import('./console-producer.js')).consoleProducerCommand(),
  'console-consumer': async () => (await import('./console-consumer.js')).consoleConsumerCommand(),
  'consumer-groups': async () => (await import('./consumer-groups.js')).consumerGroupsCommand(),
  'get-offsets': async () => (await import('./get-offsets.js')).getOffsetsCommand(),
  'delete-records': async () => (await import('./delete-records.js')).deleteRecordsCommand(),
  'producer-perf-test': async () => (await import('./producer-perf-test.js')).producerPerfTestCommand(),
  'consumer-perf-test': async () => (await import('./consumer-perf-test.js')).consumerPerfTestCommand(),
  'dump-log': async () => (await import('./dump-log.js')).dumpLogCommand(),
  'reassign-partitions': async () => (await import('./reassign-partitions.js')).reassignPartitionsCommand(),
  'leader-election': async () => (await import('./leader-election.js')).leaderElectionCommand(),
  transactions: async () => (await import('./transactions.js')).transactionsCommand(),
}

/** The version in the nearest package.json above this file (tsc's dist/src/cli or the bundle's dist/bin). */
function packageVersion(): string {
  for (let dir = new URL('./', import.meta.url); ; ) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version: string }
      if (pkg.name === 'samsa') return pkg.version
    } catch {
      // None here: look one folder up.
    }
    const up = new URL('../', dir)
    if (up.href === dir.href) return 'unknown'
    dir = up
  }
}

/** The command tree: just the named tool when the arguments start with one, else all (help, suggestions). */
async function program(first: string | undefined): Promise<Command> {
  const p = new Command('samsa')
    .description("Samsa's tools, with the flags of Kafka's kafka-*.sh scripts")
    .version(packageVersion(), '-V, --version', 'print the version of Samsa')
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .addHelpText('after', `\nStart a broker: samsa server start [server.properties] [--override key=value ...]\nEach tool's flags: samsa <tool> --help`)
  const names = first !== undefined && Object.hasOwn(TOOLS, first) ? [first] : Object.keys(TOOLS)
  for (const cmd of await Promise.all(names.map((n) => TOOLS[n]!()))) p.addCommand(cmd)
  configure(p)
  return p
}

/** One error line per failure, naming the tool; usage errors exit 2. */
function configure(cmd: Command): void {
  cmd.exitOverride()
  cmd.configureOutput({
    outputError: (str, write) => write(`${fullName(cmd)}: ${str.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} (see ${fullName(cmd)} --help)\n`),
  })
  for (const sub of cmd.commands) configure(sub)
}

/** "samsa server start": the command's name with its parents'. */
function fullName(cmd: Command): string {
  const names: string[] = []
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

async function flushed(): Promise<void> {
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
}

async function main(argv: string[]): Promise<number> {
  // The version needs none of the tools (building them all costs about half a second).
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${packageVersion()}\n`)
    return 0
  }
  const p = await program(argv[0])
  // Name the tool in errors thrown from actions: the deepest command the arguments reach.
  let tool = 'samsa'
  p.hook('preAction', (_root, action) => {
    tool = fullName(action)
  })
  // Flags are parsed (and numeric ones checked, common.ts) before preAction: name the tool as
  // soon as the arguments reach it.
  const named = (cmd: Command) => {
    cmd.hook('preSubcommand', (_parent, sub) => {
      tool = fullName(sub)
    })
    for (const sub of cmd.commands) named(sub)
  }
  named(p)
  try {
    await p.parseAsync(argv, { from: 'user' })
    return 0
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version are "errors" to commander; the text is already printed.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0
      if (e.code === 'commander.executeSubCommandAsync') return 1
      return EXIT_USAGE
    }
    process.stderr.write(`${tool}: ${describeError(e)}\n`)
    if (process.env.SAMSA_LOG_LEVEL === 'debug' && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`)
    return exitCodeOf(e)
  }
}

// A reader that goes away (`samsa topics --list | head -1`) is not a failure of the tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0)
  throw e
})

main(process.argv.slice(2)).then(
  async (code) => {
    await flushed()
    process.exit(code)
  },
  (e) => {
    process.stderr.write(`samsa: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  },
)
