/**
 * `--command-config file`: Kafka client properties for a tool's admin client. As in Kafka's
 * tools, --bootstrap-server wins over a `bootstrap.servers` line in the file.
 */
import type { AdminOptions } from '../client/admin/options.js'
import { adminOptions } from './client-properties.js'
import { readPropertiesFile } from './common.js'

export function commandConfigOptions(path: string | undefined): Partial<AdminOptions> {
  if (path === undefined) return {}
  const props = readPropertiesFile(path, '--command-config')
  props.delete('bootstrap.servers')
  return adminOptions(props)
}
