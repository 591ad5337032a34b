/**
 * `--zookeeper`, which Kafka's admin tools took before 3.0 and which still fills old scripts
 * and answers on the web. Kafka 4 removed ZooKeeper altogether and Samsa never used it, so the
 * flag is accepted only to answer it with what to use instead, rather than commander's bare
 * "unknown option".
 */
import type { Command } from 'commander'
import { usage } from './common.js'

export function zookeeperOption(cmd: Command): Command {
  return cmd.option('--zookeeper [host:port]', 'not supported: Kafka 4 removed ZooKeeper; use --bootstrap-server')
}

/** Throws the usage error (exit 2) when --zookeeper was given, whatever its value. */
export function rejectZookeeper(opts: { zookeeper?: string | boolean }): void {
  if (opts.zookeeper === undefined) return
  throw usage('--zookeeper is not supported (Kafka 4 removed ZooKeeper and Samsa never used it); connect to a broker with --bootstrap-server host:port instead')
}
