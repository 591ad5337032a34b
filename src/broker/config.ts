/**
 * Broker configuration with Kafka's property names and defaults. Sources, lowest first:
 * defaults, server.properties, environment (`SAMSA_LOG_DIRS` -> `log.dirs`, i.e. upper case
 * with `_` for `.`; as Kafka's container images do with KAFKA_), `--override key=value`.
 * Unknown keys warn; an invalid value stops start-up with a message that names the key.
 */
import { readFileSync } from 'node:fs'
import { isLevel, LEVELS } from '../util/logger.js'
import { parseProperties } from '../util/properties.js'
import { COMPRESSION_TYPES, type CompressionType } from '../storage/config.js'
import { checkAuthorizerClassName, checkSuperUsers } from '../security/authorizer/standard-authorizer.js'

/** The parsed value of each kind of property. */
interface KindValue {
  int: number
  long: number
  double: number
  bool: boolean
  string: string
  list: string[]
}

type Kind = keyof KindValue

interface DefOf<K extends Kind> {
  kind: K
  default: string
  doc: string
  /** Extra validation of the parsed value; returns an error message or undefined. */
  check?: (v: KindValue[K]) => string | undefined
  /** A Kafka 3.x key that Kafka 4 removed: accepted, and this warning is logged when it is set. */
  deprecated?: string
  /** A secret (passwords): DescribeConfigs answers null for it, and it is never logged. */
  sensitive?: boolean
}

/** One property's definition; its `check` sees the value typed as its kind parses it. */
export type Def = { [K in Kind]: DefOf<K> }[Kind]

export type ConfigValue = KindValue[Kind]

const atLeast = (min: number) => (v: number) => (v < min ? `must be >= ${min}` : undefined)

/** What queued.max.request.bytes=-1 means here; see effectiveQueuedMaxRequestBytes. */
const EFFECTIVE_QUEUED_BYTES_DOC = 'twice socket.request.max.bytes, at least 256 MiB'

/** Every broker property Samsa reads. docs/configuration.md lists the same table. */
export const BROKER_CONFIG = {
  'broker.id': { kind: 'int', default: '0', doc: 'This broker\'s id.', check: atLeast(-1) },
  'node.id': { kind: 'int', default: '-1', doc: 'Alias of broker.id (KRaft name); used when set.', check: atLeast(-1) },
  listeners: { kind: 'list', default: 'PLAINTEXT://localhost:9092', doc: 'Where to listen: NAME://host:port, comma separated. Port 0 picks a free port.' },
  'advertised.listeners': { kind: 'list', default: '', doc: 'Addresses given to clients in Metadata; defaults to listeners.' },
  'log.dirs': { kind: 'list', default: './data', doc: 'Directories holding partition logs (log.dir is an alias).' },
  'log.dir': { kind: 'string', default: '', doc: 'Single log directory, used when log.dirs is not set.' },
  'cluster.id': { kind: 'string', default: '', doc: 'Cluster id; generated on first start and kept in meta.properties when empty.' },
  'broker.rack': { kind: 'string', default: '', doc: 'Rack of this broker, reported in Metadata.' },
  'num.partitions': { kind: 'int', default: '1', doc: 'Partitions of auto-created topics.', check: atLeast(1) },
  'default.replication.factor': { kind: 'int', default: '1', doc: 'Replication factor of auto-created topics.', check: atLeast(1) },
  'auto.create.topics.enable': { kind: 'bool', default: 'true', doc: 'Create a topic when a client asks for metadata of or produces to an unknown one.' },
  'delete.topic.enable': { kind: 'bool', default: 'true', doc: 'Whether DeleteTopics is allowed.' },
  'log.retention.hours': { kind: 'int', default: '168', doc: 'Retention time in hours (lowest priority of the three).' },
  'log.retention.minutes': { kind: 'int', default: '-1', doc: 'Retention time in minutes; overrides hours when set.' },
  'log.retention.ms': { kind: 'long', default: '-2', doc: 'Retention time in ms; overrides minutes/hours when set. -1 keeps forever.' },
  'log.retention.bytes': { kind: 'long', default: '-1', doc: 'Maximum partition size before old segments are deleted; -1 unlimited.' },
  'log.retention.check.interval.ms': { kind: 'long', default: '300000', doc: 'How often retention runs.', check: atLeast(1) },
  'log.segment.bytes': { kind: 'int', default: '1073741824', doc: 'Segment size before rolling.', check: atLeast(14) },
  'log.roll.hours': { kind: 'int', default: '168', doc: 'Segment age before rolling.' },
  'log.roll.ms': { kind: 'long', default: '-1', doc: 'Segment age before rolling, ms; overrides hours when set.' },
  'log.index.interval.bytes': { kind: 'int', default: '4096', doc: 'Bytes between offset index entries.', check: atLeast(0) },
  'log.index.size.max.bytes': { kind: 'int', default: '10485760', doc: 'Maximum size of an index file.', check: atLeast(4) },
  'log.flush.interval.messages': { kind: 'long', default: '9223372036854775807', doc: 'fsync after this many messages.', check: atLeast(1) },
  'log.flush.interval.ms': { kind: 'long', default: '-1', doc: 'fsync at least this often; -1 leaves it to the OS.' },
  'log.message.timestamp.type': { kind: 'string', default: 'CreateTime', doc: 'CreateTime or LogAppendTime.', check: (v) => (v === 'CreateTime' || v === 'LogAppendTime' ? undefined : 'must be CreateTime or LogAppendTime') },
  'message.max.bytes': { kind: 'int', default: '1048588', doc: 'Largest record batch accepted.', check: atLeast(0) },
  'socket.request.max.bytes': { kind: 'int', default: '104857600', doc: 'Largest request frame; larger ones close the connection.', check: atLeast(1) },
  'queued.max.requests': { kind: 'int', default: '500', doc: 'Requests in flight per connection before reading that connection pauses (Kafka counts this broker-wide; Samsa bounds memory broker-wide with queued.max.request.bytes instead).', check: atLeast(1) },
  'queued.max.request.bytes': { kind: 'long', default: '-1', doc: `Bytes of requests read but not yet answered, broker-wide; when used up, the broker stops reading sockets until answers free some. -1 (Kafka's default, unbounded there) means ${EFFECTIVE_QUEUED_BYTES_DOC}. Must be at least socket.request.max.bytes when set.`, check: (v) => (v === -1 || v > 0 ? undefined : 'must be -1 or positive') },
  'max.connections': { kind: 'int', default: '2147483647', doc: 'Connections the broker accepts at once; more are closed at accept.', check: atLeast(0) },
  'max.connections.per.ip': { kind: 'int', default: '2147483647', doc: 'Connections one client IP may hold at once; more are closed at accept.', check: atLeast(0) },
  'max.connections.per.ip.overrides': { kind: 'string', default: '', doc: 'Per-IP or per-host exceptions to max.connections.per.ip: host:count, comma separated (host names are resolved at start-up).' },
  'quota.window.num': { kind: 'int', default: '11', doc: 'Samples client quota rates are measured over (Kafka\'s quota.window.num).', check: atLeast(1) },
  'quota.window.size.seconds': { kind: 'int', default: '1', doc: 'Length of each client quota sample in seconds; rates are measured over quota.window.num of them.', check: atLeast(1) },
  'connections.max.idle.ms': { kind: 'long', default: '600000', doc: 'A connection with no request being handled and no bytes read or written for this long is closed (one that stopped reading its responses counts as idle); -1 never.', check: (v) => (v === -1 || v > 0 ? undefined : 'must be -1 or positive') },
  'samsa.request.read.timeout.ms': { kind: 'long', default: '60000', doc: 'Samsa only (Kafka has no such bound): a request whose first bytes arrived must arrive whole within this long while the broker is reading, or the connection is closed (slow senders holding memory); -1 never.', check: (v) => (v === -1 || v > 0 ? undefined : 'must be -1 or positive') },
  'listener.security.protocol.map': { kind: 'list', default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', doc: 'Security protocol of each listener name, NAME:PROTOCOL. All four are served (SSL and SASL_SSL need ssl.keystore.location).' },
  'inter.broker.listener.name': { kind: 'string', default: '', doc: 'The listener other brokers (replica fetchers) use; its address is the one registered as the broker\'s host and port. Defaults to the first listener. Brokers connect to each other with its security protocol: TLS with its truststore and keystore, SASL with sasl.mechanism.inter.broker.protocol and the username/password of its login module.' },
  'sasl.mechanism.inter.broker.protocol': { kind: 'string', default: 'PLAIN', doc: 'SASL mechanism brokers authenticate to each other with on a SASL inter-broker listener: PLAIN (Samsa\'s default; Kafka\'s is GSSAPI, which Samsa does not serve), SCRAM-SHA-256 or SCRAM-SHA-512. The credentials are the username and password options of the listener\'s login module for that mechanism.' },
  'ssl.endpoint.identification.algorithm': { kind: 'string', default: 'https', doc: 'Between brokers on a TLS inter-broker listener: https checks that the peer\'s certificate names its registered host; empty skips that check (the chain is still verified).' },
  'sasl.enabled.mechanisms': { kind: 'list', default: 'GSSAPI', doc: 'SASL mechanisms served on SASL listeners (listener.name.<listener>.sasl.enabled.mechanisms overrides it per listener). Samsa serves PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (users from AlterUserScramCredentials / samsa configs --entity-type users, kept in the metadata store) and OAUTHBEARER; GSSAPI (Kerberos, Kafka\'s default) is not supported, so set this when a SASL listener exists.' },
  'sasl.jaas.config': { kind: 'string', default: '', sensitive: true, doc: 'JAAS login module entry for SASL mechanisms, as Kafka\'s: for PLAIN, org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret"; (one user_<name>=<password> per user). listener.name.<listener>.<mechanism>.sasl.jaas.config overrides it (mechanism in lower case, e.g. listener.name.sasl_plaintext.plain.sasl.jaas.config).' },
  'connections.max.reauth.ms': { kind: 'long', default: '0', doc: 'KIP-368: how long a SASL session lasts before the client must re-authenticate on the same connection (SaslAuthenticate v1+ tells it); a request other than a re-authentication after that closes the connection. 0: sessions do not expire (an OAUTHBEARER token\'s exp still ends its session). Per mechanism: listener.name.<listener>.<mechanism>.connections.max.reauth.ms.', check: atLeast(0) },
  'sasl.server.callback.handler.class': { kind: 'string', default: '', doc: 'Who validates SASL logins, as Kafka\'s class names: for OAUTHBEARER, org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler checks signed JWTs against sasl.oauthbearer.jwks.endpoint.url; unset, OAUTHBEARER accepts Kafka\'s unsecured (alg none) tokens, for tests only. Usually set per listener: listener.name.<listener>.oauthbearer.sasl.server.callback.handler.class.' },
  'sasl.oauthbearer.jwks.endpoint.url': { kind: 'string', default: '', doc: 'Where the OAUTHBEARER validator reads the identity provider\'s signing keys (a JWKS): https:, http: or file: URL. Fetched on first use, after sasl.oauthbearer.jwks.endpoint.refresh.ms, and when a token names an unknown key id.' },
  'sasl.oauthbearer.jwks.endpoint.refresh.ms': { kind: 'long', default: '3600000', doc: 'How long a fetched JWKS is used before it is fetched again.', check: atLeast(0) },
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms': { kind: 'long', default: '100', doc: 'Least time between two JWKS fetches, so tokens naming unknown key ids cannot make the broker hammer the provider.', check: atLeast(0) },
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms': { kind: 'long', default: '10000', doc: 'Accepted for Kafka configs; Samsa refetches on demand instead of retrying with backoff.', check: atLeast(0) },
  'sasl.oauthbearer.clock.skew.seconds': { kind: 'int', default: '30', doc: 'Clock difference allowed when checking a token\'s exp, nbf and iat.', check: atLeast(0) },
  'sasl.oauthbearer.expected.audience': { kind: 'list', default: '', doc: 'When set, a token\'s aud claim must hold one of these.' },
  'sasl.oauthbearer.expected.issuer': { kind: 'string', default: '', doc: 'When set, a token\'s iss claim must equal it.' },
  'sasl.oauthbearer.sub.claim.name': { kind: 'string', default: 'sub', doc: 'The claim that names the principal (User:<value>).' },
  'sasl.oauthbearer.scope.claim.name': { kind: 'string', default: 'scope', doc: 'The claim holding the token\'s scope.' },
  'ssl.keystore.type': { kind: 'string', default: 'PEM', doc: 'Format of the key store of TLS listeners: PEM only (Kafka\'s default JKS is Java-only; convert JKS or PKCS12 stores to PEM). listener.name.<listener>.ssl.* overrides every ssl.* key per listener.' },
  'ssl.keystore.location': { kind: 'string', default: '', doc: 'PEM file with the private key and its certificate chain of TLS listeners. Re-read when it changes (new connections use the new certificate).' },
  'ssl.keystore.key': { kind: 'string', default: '', sensitive: true, doc: 'The private key in PEM, inline (instead of ssl.keystore.location).' },
  'ssl.keystore.certificate.chain': { kind: 'string', default: '', doc: 'The certificate chain in PEM, inline (with ssl.keystore.key).' },
  'ssl.keystore.password': { kind: 'string', default: '', sensitive: true, doc: 'Accepted for Kafka configs; used as the key passphrase when ssl.key.password is not set.' },
  'ssl.key.password': { kind: 'string', default: '', sensitive: true, doc: 'Passphrase of an encrypted private key.' },
  'ssl.truststore.type': { kind: 'string', default: 'PEM', doc: 'Format of the trust store: PEM only.' },
  'ssl.truststore.location': { kind: 'string', default: '', doc: 'PEM file with the CA certificates client certificates must chain to (ssl.client.auth). Re-read when it changes.' },
  'ssl.truststore.certificates': { kind: 'string', default: '', doc: 'The trusted CA certificates in PEM, inline (instead of ssl.truststore.location).' },
  'ssl.client.auth': { kind: 'string', default: 'none', doc: 'Client certificates on TLS listeners: required (the handshake fails without a valid one), requested (checked when sent), none.', check: (v) => (['required', 'requested', 'none'].includes(v.toLowerCase()) ? undefined : 'must be required, requested or none') },
  'ssl.enabled.protocols': { kind: 'list', default: 'TLSv1.2,TLSv1.3', doc: 'TLS versions served: TLSv1.2 and/or TLSv1.3.' },
  'ssl.principal.mapping.rules': { kind: 'string', default: 'DEFAULT', doc: 'How an SSL client certificate subject (RFC 2253, e.g. CN=alice,OU=eng,O=acme) becomes the principal name: Kafka\'s RULE:pattern/replacement/[LU] rules and DEFAULT (the whole subject), comma separated, first match wins; a subject no rule matches is refused.' },
  'connection.failed.authentication.delay.ms': { kind: 'int', default: '100', doc: 'How long a refused authentication waits before its answer and the close (slows password guessing). Must be lower than connections.max.idle.ms.', check: atLeast(0) },
  'offsets.topic.num.partitions': { kind: 'int', default: '50', doc: 'Partitions of __consumer_offsets.', check: atLeast(1) },
  'offsets.topic.replication.factor': { kind: 'int', default: '3', doc: 'Replication factor of __consumer_offsets (capped at the live brokers).', check: atLeast(1) },
  'group.min.session.timeout.ms': { kind: 'int', default: '6000', doc: 'Smallest session timeout a consumer may ask for.', check: atLeast(0) },
  'group.max.session.timeout.ms': { kind: 'int', default: '1800000', doc: 'Largest session timeout a consumer may ask for.', check: atLeast(0) },
  'group.max.size': { kind: 'int', default: '2147483647', doc: 'Most members a consumer group may have.', check: atLeast(1) },
  'offsets.topic.segment.bytes': { kind: 'int', default: '104857600', doc: 'segment.bytes of __consumer_offsets when the broker creates it (small segments keep compaction and loading quick).', check: atLeast(1) },
  'offset.metadata.max.bytes': { kind: 'int', default: '4096', doc: 'Longest metadata string an offset commit may carry; longer ones get OFFSET_METADATA_TOO_LARGE.' },
  'offsets.retention.minutes': { kind: 'int', default: '10080', doc: 'How long committed offsets outlive a group: counted from when the group became empty, or from the last commit for groups without members (manual assignment).', check: atLeast(1) },
  'offsets.retention.check.interval.ms': { kind: 'long', default: '600000', doc: 'How often expired committed offsets are looked for.', check: atLeast(1) },
  'group.initial.rebalance.delay.ms': { kind: 'int', default: '3000', doc: 'Delay of the first rebalance of an empty group.', check: atLeast(0) },
  'log.cleanup.policy': { kind: 'list', default: 'delete', doc: 'Default cleanup.policy of topics: delete and/or compact.', check: (v) => (v.every((p) => p === 'delete' || p === 'compact') ? undefined : 'must be delete, compact or both') },
  'log.cleaner.enable': { kind: 'bool', default: 'true', doc: 'Run the log cleaner for topics with cleanup.policy compact, __consumer_offsets and __transaction_state included; false: no topic is compacted, as in Kafka.' },
  'log.cleaner.threads': { kind: 'int', default: '1', doc: 'Cleaner worker threads: logs cleaned at once, each pass reading, filtering and writing in its own worker off the event loop (started with the first pass, stopped with the broker).', check: atLeast(1) },
  'log.cleaner.dedupe.buffer.size': { kind: 'long', default: '134217728', doc: 'Memory of the cleaner offset maps (24 bytes per key), split evenly between the worker threads; each worker holds its share.', check: atLeast(1024) },
  'log.cleaner.io.max.bytes.per.second': { kind: 'double', default: '1.7976931348623157E308', doc: 'I/O budget of the cleaner: bytes read and written per second, split evenly between the worker threads, each enforcing its share.', check: (v) => (v <= 0 ? 'must be positive' : undefined) },
  'log.cleaner.backoff.ms': { kind: 'long', default: '15000', doc: 'How often the cleaner looks for logs to clean.', check: atLeast(1) },
  'log.cleaner.delete.retention.ms': { kind: 'long', default: '86400000', doc: 'Default delete.retention.ms: how long tombstones, and transaction markers once their data is gone, stay in compacted topics.', check: atLeast(0) },
  'log.cleaner.min.compaction.lag.ms': { kind: 'long', default: '0', doc: 'Default min.compaction.lag.ms.', check: atLeast(0) },
  'log.cleaner.max.compaction.lag.ms': { kind: 'long', default: '9223372036854775807', doc: 'Default max.compaction.lag.ms. On a compacted log it also caps segment.ms (KIP-354 forced roll).', check: atLeast(1) },
  'log.cleaner.min.cleanable.ratio': { kind: 'double', default: '0.5', doc: 'Default min.cleanable.dirty.ratio.', check: (v) => (v < 0 || v > 1 ? 'must be between 0 and 1' : undefined) },
  'log.segment.delete.delay.ms': { kind: 'long', default: '60000', doc: 'Default file.delete.delay.ms: how long deleted segments linger before removal.', check: atLeast(0) },
  'log.roll.jitter.hours': { kind: 'int', default: '0', doc: 'Default segment.jitter.ms, in hours.', check: atLeast(0) },
  'log.roll.jitter.ms': { kind: 'long', default: '-1', doc: 'Default segment.jitter.ms; overrides hours when set.' },
  'log.preallocate': { kind: 'bool', default: 'false', doc: 'Default preallocate (accepted, segments are not preallocated).' },
  'log.message.timestamp.before.max.ms': { kind: 'long', default: '9223372036854775807', doc: 'Default message.timestamp.before.max.ms: how far in the past a CreateTime timestamp may be.', check: atLeast(0) },
  'log.message.timestamp.after.max.ms': { kind: 'long', default: '9223372036854775807', doc: 'Default message.timestamp.after.max.ms: how far in the future a CreateTime timestamp may be.', check: atLeast(0) },
  'log.message.downconversion.enable': { kind: 'bool', default: 'true', doc: 'Default message.downconversion.enable: whether Fetch v0-3 (clients before Kafka 0.11) get stored batches converted to their message format.' },
  'log.message.timestamp.difference.max.ms': { kind: 'long', default: '9223372036854775807', doc: 'Kafka 3.x key (KIP-937): the default of log.message.timestamp.before.max.ms and log.message.timestamp.after.max.ms when those are not set.', check: atLeast(0), deprecated: 'log.message.timestamp.difference.max.ms is deprecated (KIP-937, removed in Kafka 4): use log.message.timestamp.before.max.ms and log.message.timestamp.after.max.ms; it applies to whichever of them is not set' },
  'log.message.format.version': { kind: 'string', default: '3.0-IV1', doc: 'Kafka 3.x key, ignored: batches are always stored in message format v2.', deprecated: 'log.message.format.version is ignored (deprecated in Kafka 3.0, removed in Kafka 4): batches are always stored in message format v2' },
  'compression.type': { kind: 'string', default: 'producer', doc: 'Default compression.type of topics: uncompressed, gzip, snappy, lz4 or zstd makes the leader store batches in that codec (recompressing the others); producer stores them as sent.', check: (v) => (COMPRESSION_TYPES.includes(v as CompressionType) ? undefined : `must be one of ${COMPRESSION_TYPES.join(', ')}`) },
  'compression.gzip.level': { kind: 'int', default: '-1', doc: 'Default compression.gzip.level (KIP-390): 1-9, or -1 for the default (6).', check: (v) => (v === -1 || (v >= 1 && v <= 9) ? undefined : 'must be 1-9 or -1') },
  'compression.lz4.level': { kind: 'int', default: '9', doc: 'Default compression.lz4.level (KIP-390): 1-17; accepted, not applied (the lz4 library has one level).', check: (v) => (v >= 1 && v <= 17 ? undefined : 'must be 1-17') },
  'compression.zstd.level': { kind: 'int', default: '3', doc: 'Default compression.zstd.level (KIP-390): -131072 to 22.', check: (v) => (v >= -131072 && v <= 22 ? undefined : 'must be in [-131072, 22]') },
  'min.insync.replicas': { kind: 'int', default: '1', doc: 'Default min.insync.replicas of topics.', check: atLeast(1) },
  'unclean.leader.election.enable': { kind: 'bool', default: 'false', doc: 'Default unclean.leader.election.enable of topics.' },
  'controlled.shutdown.enable': { kind: 'bool', default: 'true', doc: 'On a clean stop (SIGTERM), hand each partition this broker leads to another in-sync replica first, so clients only retry.' },
  'auto.leader.rebalance.enable': { kind: 'bool', default: 'true', doc: 'The controller moves leaderships back to preferred replicas (the first of each replica list) when leader.imbalance.per.broker.percentage is passed, checking every leader.imbalance.check.interval.seconds (metadata.store=etcd; one broker has nothing to balance).' },
  'leader.imbalance.check.interval.seconds': { kind: 'long', default: '300', doc: 'How often the controller checks whether leaderships are imbalanced (auto.leader.rebalance.enable).', check: atLeast(1) },
  'leader.imbalance.per.broker.percentage': { kind: 'int', default: '10', doc: "The share (%) of a broker's preferred partitions that other brokers may lead before the controller elects the preferred replicas again.", check: atLeast(0) },
  'replica.lag.time.max.ms': { kind: 'long', default: '30000', doc: 'A follower that has not caught up with its leader for this long leaves the ISR (and rejoins once it has).', check: atLeast(1) },
  'replica.fetch.wait.max.ms': { kind: 'int', default: '500', doc: "Longest a follower's fetch waits at the leader for data; keep it below replica.lag.time.max.ms.", check: atLeast(0) },
  'replica.fetch.min.bytes': { kind: 'int', default: '1', doc: "Bytes a follower's fetch waits for at the leader.", check: atLeast(0) },
  'replica.fetch.max.bytes': { kind: 'int', default: '1048576', doc: 'Bytes a follower asks for per partition (the first batch comes whole even if larger).', check: atLeast(0) },
  'replica.fetch.response.max.bytes': { kind: 'int', default: '10485760', doc: "Bytes a follower asks for per fetch, over all partitions.", check: atLeast(0) },
  'replica.fetch.backoff.ms': { kind: 'int', default: '1000', doc: 'How long a follower waits after a failed fetch before trying again.', check: atLeast(0) },
  'replica.socket.timeout.ms': { kind: 'int', default: '30000', doc: "Connect and request timeout of a follower's fetches.", check: atLeast(1) },
  'replica.selector.class': {
    kind: 'string',
    default: '',
    doc: 'How consumers that name their rack (client.rack) choose a replica to read from (KIP-392): empty reads from leaders; org.apache.kafka.common.replica.RackAwareReplicaSelector sends them to an in-sync replica in their rack.',
    check: (v) => (v === '' || v === 'org.apache.kafka.common.replica.RackAwareReplicaSelector' || v === 'RackAwareReplicaSelector' ? undefined : 'Samsa has the rack-aware selector only: use org.apache.kafka.common.replica.RackAwareReplicaSelector, or leave it empty to read from leaders'),
  },
  'num.replica.fetchers': { kind: 'int', default: '1', doc: 'Fetch loops (each its own connection) per leader this broker follows.', check: atLeast(1) },
  'metadata.store': { kind: 'string', default: 'local', doc: 'Where cluster metadata lives: local (one broker, a file in the first log dir) or etcd (a cluster of brokers coordinated through etcd; see etcd.endpoints, etcd.prefix).', check: (v) => (v === 'local' || v === 'etcd' ? undefined : 'must be local or etcd') },
  'etcd.endpoints': { kind: 'list', default: 'http://127.0.0.1:2379', doc: 'etcd client URLs, comma separated (metadata.store=etcd). Plain http only so far.', check: (v) => v.map(checkEtcdEndpoint).find((e) => e !== undefined) },
  'etcd.prefix': { kind: 'string', default: '/samsa', doc: 'Key prefix of this cluster in etcd, e.g. /samsa/prod: several clusters may share one etcd, each under its own prefix.', check: (v) => (/^\/[^\s]*[^/\s]$/.test(v) ? undefined : 'must be an absolute key path like /samsa/prod (starting with /, no spaces, no trailing /)') },
  'broker.session.timeout.ms': { kind: 'int', default: '9000', doc: 'How long a broker that stopped answering stays registered (metadata.store=etcd): its etcd lease TTL, rounded up to whole seconds (at least 1 s). A dead broker\'s partitions move to other brokers after about this long.', check: atLeast(1) },
  'transaction.max.timeout.ms': { kind: 'int', default: '900000', doc: 'Largest transaction timeout a transactional producer may ask for (InitProducerId); more is INVALID_TRANSACTION_TIMEOUT.', check: atLeast(1) },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': { kind: 'int', default: '10000', doc: 'How often the transaction coordinator aborts transactions open longer than their timeout (fencing their producer) and removes expired transactional ids.', check: atLeast(1) },
  'transactional.id.expiration.ms': { kind: 'int', default: '604800000', doc: 'How long the transaction coordinator keeps a transactional id with no transaction in progress after its last update.', check: atLeast(1) },
  'transaction.partition.verification.enable': { kind: 'bool', default: 'true', doc: 'Whether a partition leader asks the transaction coordinator, before the first transactional write of a transaction to the partition (and the group coordinator before a TxnOffsetCommit), that the partition was added to the producer\'s transaction (KIP-890 part 1); a write to a partition never added is refused with INVALID_TXN_STATE.' },
  'transaction.state.log.num.partitions': { kind: 'int', default: '50', doc: 'Partitions of __transaction_state.', check: atLeast(1) },
  'transaction.state.log.replication.factor': { kind: 'int', default: '3', doc: 'Replication factor of __transaction_state (capped at the live brokers).', check: atLeast(1) },
  'transaction.state.log.segment.bytes': { kind: 'int', default: '104857600', doc: 'segment.bytes of __transaction_state when the broker creates it.', check: atLeast(1) },
  'transaction.state.log.min.isr': { kind: 'int', default: '2', doc: 'min.insync.replicas of __transaction_state when the broker creates it (capped at its replication factor).', check: atLeast(1) },
  'producer.id.expiration.ms': { kind: 'int', default: '86400000', doc: 'How long a partition keeps an idle idempotent producer\'s state (epoch, last sequences) after its last write; a producer with an open transaction is kept. A producer idle for longer starts afresh at any sequence.', check: atLeast(1) },
  'producer.id.expiration.check.interval.ms': { kind: 'int', default: '600000', doc: 'How often idle producers are looked for (producer.id.expiration.ms).', check: atLeast(1) },
  'authorizer.class.name': { kind: 'string', default: '', doc: 'Authorization: org.apache.kafka.metadata.authorizer.StandardAuthorizer (or samsa; kafka.security.authorizer.AclAuthorizer is accepted as an alias) turns on ACLs with Kafka\'s StandardAuthorizer rules; empty allows every request (no authorization).', check: checkAuthorizerClassName },
  'super.users': { kind: 'string', default: '', doc: 'Principals allowed everything whatever the ACLs say, separated by semicolons: User:admin;User:broker. Brokers reach each other as their inter-broker principal, so list it here when ACLs are on.', check: checkSuperUsers },
  'allow.everyone.if.no.acl.found': { kind: 'bool', default: 'false', doc: 'With an authorizer: allow a request on a resource no ACL names (for any principal). False, as Kafka: such requests are denied.' },
  'log.level': { kind: 'string', default: 'warn', doc: `Samsa log level: ${LEVELS.join(', ')} (SAMSA_LOG_LEVEL sets it too). Anything else stops start-up.`, check: (v) => (isLevel(v) ? undefined : `must be one of: ${LEVELS.join(', ')}`) },
} satisfies Record<string, Def>

export type BrokerConfigKey = keyof typeof BROKER_CONFIG

function checkEtcdEndpoint(url: string): string | undefined {
  if (/^https:\/\//i.test(url)) return `${url}: TLS to etcd is not supported yet; use http://`
  return /^http:\/\/[^/\s]+:\d+\/?$/i.test(url) ? undefined : `${url} is not an etcd client URL like http://127.0.0.1:2379`
}

/** The etcd lease TTL for broker.session.timeout.ms: etcd leases are whole seconds, so rounded up, at least 1. */
export function leaseTtlSeconds(cfg: BrokerConfig): number {
  return Math.max(1, Math.ceil(cfg.get('broker.session.timeout.ms') / 1000))
}

/** The parsed type of property K, by its kind: number, boolean, string or string[]. */
export type BrokerConfigValue<K extends BrokerConfigKey> = KindValue[(typeof BROKER_CONFIG)[K]['kind']]

export const BROKER_CONFIG_KEYS = Object.keys(BROKER_CONFIG) as BrokerConfigKey[]

/**
 * Whether `name` (from a request, a file, the environment) is a broker property. Own keys
 * only: `constructor` or `toString` must not find Object.prototype's members.
 */
export function isBrokerConfigKey(name: string): name is BrokerConfigKey {
  return Object.hasOwn(BROKER_CONFIG, name)
}

/** The definition of broker property `name`, or undefined when there is no such property. */
export function brokerConfigDef(name: string): Def | undefined {
  return isBrokerConfigKey(name) ? BROKER_CONFIG[name] : undefined
}

/**
 * Parsed broker config: every known key with its value, the default until set; `explicit`
 * holds the raw strings that were set. get() is typed by key, so a misspelt key or a value
 * used as the wrong type fails to compile; getRaw() serves names that arrive as strings.
 */
export class BrokerConfig {
  /** Keys set by the file, the environment or an override (not defaults), with their raw text. */
  readonly explicit = new Map<string, string>()
  private readonly values = new Map<BrokerConfigKey, ConfigValue>()
  /**
   * Per-listener settings, Kafka's `listener.name.<listener>.<key>` (listener in lower case):
   * the raw text keyed by the whole property name. Secrets among them are never logged.
   */
  readonly listenerProps = new Map<string, string>()

  constructor() {
    for (const key of BROKER_CONFIG_KEYS) this.values.set(key, parseBrokerConfigValue(key, BROKER_CONFIG[key].default))
  }

  get<K extends BrokerConfigKey>(key: K): BrokerConfigValue<K> {
    // The constructor gives every key a value and set() stores only K's own type.
    return this.values.get(key) as BrokerConfigValue<K>
  }

  set<K extends BrokerConfigKey>(key: K, value: BrokerConfigValue<K>): void {
    this.values.set(key, value)
  }

  /**
   * The raw value of `key` for `listener`: `listener.name.<listener>.<mechanism>.<key>` (when
   * a mechanism is given), then `listener.name.<listener>.<key>`, then the broker-wide key
   * when it was set; undefined when none is.
   */
  listenerRaw(listener: string, key: BrokerConfigKey, mechanism?: string): string | undefined {
    const prefix = `listener.name.${listener.toLowerCase()}.`
    if (mechanism !== undefined) {
      const v = this.listenerProps.get(`${prefix}${mechanism.toLowerCase()}.${key}`)
      if (v !== undefined) return v
    }
    return this.listenerProps.get(prefix + key) ?? this.explicit.get(key)
  }

  /** The value of `name` when it is a broker property, else undefined. */
  getRaw(name: string): ConfigValue | undefined {
    return isBrokerConfigKey(name) ? this.values.get(name) : undefined
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

function parseValue(key: string, def: Def, raw: string): ConfigValue {
  const s = raw.trim()
  let v: ConfigValue
  switch (def.kind) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(s)) throw new ConfigError(`invalid value ${JSON.stringify(raw)} for ${key}: expected an integer`)
      v = Number(s)
      if (def.kind === 'int' && (v > 2147483647 || v < -2147483648)) throw new ConfigError(`invalid value ${raw} for ${key}: out of int range`)
      if (!Number.isSafeInteger(v)) v = v > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER
      break
    }
    case 'double':
      v = Number(s)
      if (s === '' || Number.isNaN(v)) throw new ConfigError(`invalid value ${JSON.stringify(raw)} for ${key}: expected a number`)
      break
    case 'bool':
      if (!/^(true|false)$/i.test(s)) throw new ConfigError(`invalid value ${JSON.stringify(raw)} for ${key}: expected true or false`)
      v = s.toLowerCase() === 'true'
      break
    case 'list':
      v = s === '' ? [] : s.split(',').map((x) => x.trim()).filter((x) => x !== '')
      break
    default:
      v = s
  }
  // v was parsed by def.kind, so it has the type def.check takes.
  const err = (def.check as ((v: ConfigValue) => string | undefined) | undefined)?.(v)
  if (err) throw new ConfigError(`invalid value ${JSON.stringify(raw)} for ${key}: ${err}`)
  return v
}

/** Parses one value of a known property as start-up would (for dynamic updates); throws ConfigError. */
export function parseBrokerConfigValue<K extends BrokerConfigKey>(key: K, raw: string): BrokerConfigValue<K>
export function parseBrokerConfigValue(key: string, raw: string): ConfigValue
export function parseBrokerConfigValue(key: string, raw: string): ConfigValue {
  const def = brokerConfigDef(key)
  if (!def) throw new ConfigError(`unknown broker property ${key}`)
  return parseValue(key, def, raw)
}

/** `listener.name.<listener>.`: Kafka's prefix of per-listener settings. */
const LISTENER_PREFIXED = /^listener\.name\.([A-Za-z0-9_]+)\./

export interface LoadConfigOptions {
  file?: string
  overrides?: Record<string, string>
  env?: NodeJS.ProcessEnv
  warn?: (msg: string) => void
}

export function loadBrokerConfig(opts: LoadConfigOptions = {}): BrokerConfig {
  // Each value remembers where it came from, so an error can say where to fix it.
  const raw = new Map<string, { value: string; source: string }>()
  if (opts.file) {
    let text: string
    try {
      text = readFileSync(opts.file, 'utf8')
    } catch (e) {
      throw new ConfigError(`cannot read ${opts.file}: ${(e as Error).message}`)
    }
    for (const [k, v] of parseProperties(text)) raw.set(k, { value: v, source: opts.file })
  }
  const env = opts.env ?? {}
  for (const key of BROKER_CONFIG_KEYS) {
    const name = 'SAMSA_' + key.toUpperCase().replace(/\./g, '_')
    if (env[name] !== undefined) raw.set(key, { value: env[name]!, source: `environment variable ${name}` })
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) raw.set(k, { value: v, source: '--override' })

  const cfg = new BrokerConfig()
  for (const [k, { value: v, source }] of raw) {
    if (LISTENER_PREFIXED.test(k)) {
      cfg.listenerProps.set(k.replace(LISTENER_PREFIXED, (_, l: string) => `listener.name.${l.toLowerCase()}.`), v.trim())
      continue
    }
    if (!isBrokerConfigKey(k)) {
      opts.warn?.(`unknown property ${k} ignored`)
      continue
    }
    try {
      cfg.set(k, parseBrokerConfigValue(k, v))
    } catch (e) {
      if (e instanceof ConfigError && source.startsWith('environment')) throw new ConfigError(`${e.message} (from ${source})`)
      throw e
    }
    cfg.explicit.set(k, v.trim())
    const deprecated = (BROKER_CONFIG[k] as Def).deprecated
    if (deprecated) opts.warn?.(deprecated)
  }
  if (!raw.has('log.dirs') && raw.has('log.dir') && cfg.get('log.dir') !== '') cfg.set('log.dirs', [cfg.get('log.dir')])
  if (cfg.get('node.id') >= 0 && !raw.has('broker.id')) cfg.set('broker.id', cfg.get('node.id'))
  return cfg
}

export interface Listener {
  name: string
  host: string
  port: number
}

/** Kafka's security protocols (all four are served: see src/security/). */
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number]

export interface ResolvedListener extends Listener {
  securityProtocol: SecurityProtocol
}

/** listener.security.protocol.map as a map of upper-case listener name to protocol. */
export function parseSecurityProtocolMap(entries: string[]): Map<string, SecurityProtocol> {
  const key = 'listener.security.protocol.map'
  const out = new Map<string, SecurityProtocol>()
  for (const e of entries) {
    const m = /^([A-Za-z0-9_]+):([A-Za-z_]+)$/.exec(e)
    if (!m) throw new ConfigError(`invalid value ${JSON.stringify(e)} for ${key}: expected LISTENER_NAME:SECURITY_PROTOCOL`)
    const protocol = m[2]!.toUpperCase()
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new ConfigError(`invalid value ${JSON.stringify(e)} for ${key}: ${m[2]} is not a security protocol (${SECURITY_PROTOCOLS.join(', ')})`)
    }
    const name = m[1]!.toUpperCase()
    if (out.has(name)) throw new ConfigError(`invalid value for ${key}: listener name ${name} is mapped twice`)
    out.set(name, protocol as SecurityProtocol)
  }
  return out
}

/**
 * The listeners to bind and the advertised addresses, checked as Kafka's KafkaConfig checks
 * them: every listener name has a security protocol, advertised names are a subset of the
 * listener names. Beyond Kafka: a listener whose protocol this broker cannot speak yet stops
 * start-up, rather than serving plaintext to clients that will send a TLS handshake.
 */
export function resolveListeners(cfg: BrokerConfig): { listeners: ResolvedListener[]; advertised: Listener[] } {
  const protocols = parseSecurityProtocolMap(cfg.get('listener.security.protocol.map'))
  const raw = cfg.get('listeners')
  const parsed = parseListeners('listeners', raw)
  if (parsed.length === 0) throw new ConfigError('listeners is empty: set listeners to at least one PLAINTEXT://host:port')
  const listeners = parsed.map((l, i): ResolvedListener => {
    const securityProtocol = protocols.get(l.name)
    if (securityProtocol === undefined) {
      throw new ConfigError(
        `No security protocol defined for listener ${l.name} (${raw[i]}): add ${l.name}:PLAINTEXT to listener.security.protocol.map, or name the listener PLAINTEXT`,
      )
    }
    return { ...l, securityProtocol }
  })
  const advertised = parseListeners('advertised.listeners', cfg.get('advertised.listeners'))
  const names = new Set(listeners.map((l) => l.name))
  const unknown = advertised.filter((a) => !names.has(a.name))
  if (unknown.length > 0) {
    throw new ConfigError(
      `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${advertised.map((a) => a.name).join(',')}. ` +
        `The valid options based on the current configuration are ${[...names].join(',')}`,
    )
  }
  const inter = cfg.get('inter.broker.listener.name').toUpperCase()
  if (inter !== '' && !names.has(inter)) {
    throw new ConfigError(`inter.broker.listener.name must be a listener name defined in listeners. Found ${inter}. The valid options based on currently configured listeners are ${[...names].join(',')}`)
  }
  return { listeners, advertised }
}

/** The SASL mechanisms Samsa can serve. */
export const SUPPORTED_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const

/** A SASL listener's enabled mechanisms (listener.name.<l>.sasl.enabled.mechanisms, else sasl.enabled.mechanisms). */
export function saslMechanisms(cfg: BrokerConfig, listener: string): string[] {
  const raw = cfg.listenerRaw(listener, 'sasl.enabled.mechanisms')
  const list = raw === undefined ? cfg.get('sasl.enabled.mechanisms') : raw.split(',').map((x) => x.trim()).filter((x) => x !== '')
  return list.map((m) => m.toUpperCase())
}

function checkSaslListeners(cfg: BrokerConfig, listeners: ResolvedListener[]): void {
  for (const l of listeners) {
    if (l.securityProtocol !== 'SASL_PLAINTEXT' && l.securityProtocol !== 'SASL_SSL') continue
    const mechs = saslMechanisms(cfg, l.name)
    if (mechs.length === 0) throw new ConfigError(`listener ${l.name} uses ${l.securityProtocol} but sasl.enabled.mechanisms is empty: set it, e.g. sasl.enabled.mechanisms=PLAIN`)
    const unsupported = mechs.filter((m) => !(SUPPORTED_SASL_MECHANISMS as readonly string[]).includes(m))
    if (unsupported.length > 0) {
      throw new ConfigError(
        `listener ${l.name}: SASL mechanism ${unsupported.join(', ')} is not supported (Samsa serves ${SUPPORTED_SASL_MECHANISMS.join(', ')}; GSSAPI is Kafka's default): ` +
          `set sasl.enabled.mechanisms (or listener.name.${l.name.toLowerCase()}.sasl.enabled.mechanisms), e.g. to PLAIN`,
      )
    }
    if (mechs.includes('PLAIN') && cfg.listenerRaw(l.name, 'sasl.jaas.config', 'PLAIN') === undefined) {
      throw new ConfigError(
        `listener ${l.name} enables PLAIN but has no users: set listener.name.${l.name.toLowerCase()}.plain.sasl.jaas.config (or sasl.jaas.config) to ` +
          `org.apache.kafka.common.security.plain.PlainLoginModule required user_<name>="<password>";`,
      )
    }
  }
}

/** The listener replica fetchers use: inter.broker.listener.name, else the first. */
export function interBrokerListener<L extends Listener>(cfg: BrokerConfig, listeners: readonly L[]): L {
  const name = cfg.get('inter.broker.listener.name').toUpperCase()
  return listeners.find((l) => l.name === name) ?? listeners[0]!
}

/** The broker-wide request memory budget in bytes (queued.max.request.bytes, -1 resolved). */
export function effectiveQueuedMaxRequestBytes(cfg: BrokerConfig): number {
  const set = cfg.get('queued.max.request.bytes')
  const maxRequest = cfg.get('socket.request.max.bytes')
  if (set > 0) {
    // Kafka's memory pool refuses to start when its single largest allocation exceeds the
    // pool: the largest request allowed could never be read.
    if (set < maxRequest) {
      throw new ConfigError(
        `queued.max.request.bytes (${set}) must be at least socket.request.max.bytes (${maxRequest}), or the largest request allowed could never be read; raise it, lower socket.request.max.bytes, or set -1`,
      )
    }
    return set
  }
  // Kafka's -1 is unbounded, and its memory is bounded instead by a broker-wide queue of
  // queued.max.requests requests and one request at a time per connection. Samsa pipelines
  // per connection, so -1 still gets a bound: room for two of the largest requests at once.
  return Math.max(2 * maxRequest, 256 * 1024 * 1024)
}

/** max.connections.per.ip.overrides as host-or-ip -> count (Kafka's format: host:count,...). */
export function parseConnectionOverrides(value: string): Map<string, number> {
  const key = 'max.connections.per.ip.overrides'
  const out = new Map<string, number>()
  for (const entry of value.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const at = entry.lastIndexOf(':')
    const host = entry.slice(0, at).trim().replace(/^\[|\]$/g, '')
    const count = entry.slice(at + 1).trim()
    if (at <= 0 || host === '' || !/^\d+$/.test(count) || Number(count) > 2147483647) {
      throw new ConfigError(`invalid value ${JSON.stringify(entry)} for ${key}: expected host:count, e.g. 127.0.0.1:200`)
    }
    out.set(host.toLowerCase(), Number(count))
  }
  return out
}

/**
 * Checks that need several keys at once, before anything is opened: a broker that would
 * refuse its own config leaves no trace on disk.
 */
export function checkBrokerConfig(cfg: BrokerConfig): void {
  const { listeners } = resolveListeners(cfg)
  checkSaslListeners(cfg, listeners)
  if (cfg.get('metadata.store') === 'etcd' && cfg.get('etcd.endpoints').length === 0) {
    throw new ConfigError('metadata.store=etcd needs etcd.endpoints: set it to the etcd client URLs, e.g. http://127.0.0.1:2379')
  }
  effectiveQueuedMaxRequestBytes(cfg)
  const overrides = parseConnectionOverrides(cfg.get('max.connections.per.ip.overrides'))
  if (cfg.get('max.connections.per.ip') === 0 && overrides.size === 0) {
    throw new ConfigError('max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides is set (otherwise no client could connect)')
  }
}

/** Parses `NAME://host:port` entries; an empty host means all interfaces, like Kafka. */
export function parseListeners(key: string, entries: string[]): Listener[] {
  const seen = new Set<string>()
  return entries.map((e) => {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(e)
    if (!m) throw new ConfigError(`invalid value ${JSON.stringify(e)} for ${key}: expected NAME://host:port`)
    const port = Number(m[3])
    if (port > 65535) throw new ConfigError(`invalid port ${port} in ${key}`)
    const name = m[1]!.toUpperCase()
    if (seen.has(name)) throw new ConfigError(`invalid value for ${key}: listener name ${name} appears twice; each listener needs its own name`)
    seen.add(name)
    return { name, host: m[2]!.replace(/^\[|\]$/g, ''), port }
  })
}
