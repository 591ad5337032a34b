/**
 * How `samsa dump-log --print-data-log` turns a record's key and value into text, as
 * kafka-dump-log.sh's message parsers do: the Decoder classes (String, Integer, Long), and the
 * coordinator record parsers (`--offsets-decoder` for `__consumer_offsets`,
 * `--transaction-log-decoder` for `__transaction_state`), which print each record as the JSON
 * Kafka's generated converters write: `{"type":"1","data":{...}}` for the key,
 * `{"version":"3","data":{...}}` for the value, `<DELETE>` for a tombstone.
 *
 * The coordinator records are read with the generated codecs (src/protocol/generated); the
 * JSON is the decoded struct in schema order, int64 as plain numbers, bytes as base64, as
 * Jackson prints Kafka's JsonNode trees; tagged fields left out when they hold their default,
 * as Kafka's converters do. Consumer-protocol subscriptions and assignments inside
 * GroupMetadataValue members are shown decoded, as Kafka does, when they parse.
 */
import { Reader } from '../protocol/primitives/reader.js'
import { OffsetCommitKey, OffsetCommitValue } from '../protocol/generated/coordinator/group/offset-commit.js'
import { GroupMetadataKey, GroupMetadataValue } from '../protocol/generated/coordinator/group/group-metadata.js'
import { ConsumerGroupMetadataKey, ConsumerGroupMetadataValue } from '../protocol/generated/coordinator/group/consumer-group-metadata.js'
import {
  ConsumerGroupPartitionMetadataKey,
  ConsumerGroupPartitionMetadataValue,
} from '../protocol/generated/coordinator/group/consumer-group-partition-metadata.js'
import {
  ConsumerGroupMemberMetadataKey,
  ConsumerGroupMemberMetadataValue,
  isDefaultConsumerGroupMemberMetadataValueClassicMemberMetadata,
} from '../protocol/generated/coordinator/group/consumer-group-member-metadata.js'
import {
  ConsumerGroupTargetAssignmentMetadataKey,
  ConsumerGroupTargetAssignmentMetadataValue,
} from '../protocol/generated/coordinator/group/consumer-group-target-assignment-metadata.js'
import {
  ConsumerGroupTargetAssignmentMemberKey,
  ConsumerGroupTargetAssignmentMemberValue,
} from '../protocol/generated/coordinator/group/consumer-group-target-assignment-member.js'
import {
  ConsumerGroupCurrentMemberAssignmentKey,
  ConsumerGroupCurrentMemberAssignmentValue,
} from '../protocol/generated/coordinator/group/consumer-group-current-member-assignment.js'
import { ShareGroupPartitionMetadataKey, ShareGroupPartitionMetadataValue } from '../protocol/generated/coordinator/group/share-group-partition-metadata.js'
import { ShareGroupMemberMetadataKey, ShareGroupMemberMetadataValue } from '../protocol/generated/coordinator/group/share-group-member-metadata.js'
import { ShareGroupMetadataKey, ShareGroupMetadataValue } from '../protocol/generated/coordinator/group/share-group-metadata.js'
import {
  ShareGroupTargetAssignmentMetadataKey,
  ShareGroupTargetAssignmentMetadataValue,
} from '../protocol/generated/coordinator/group/share-group-target-assignment-metadata.js'
import {
  ShareGroupTargetAssignmentMemberKey,
  ShareGroupTargetAssignmentMemberValue,
} from '../protocol/generated/coordinator/group/share-group-target-assignment-member.js'
import {
  ShareGroupCurrentMemberAssignmentKey,
  ShareGroupCurrentMemberAssignmentValue,
} from '../protocol/generated/coordinator/group/share-group-current-member-assignment.js'
import {
  ShareGroupStatePartitionMetadataKey,
  ShareGroupStatePartitionMetadataValue,
} from '../protocol/generated/coordinator/group/share-group-state-partition-metadata.js'
import { TransactionLogKey, TransactionLogValue } from '../protocol/generated/coordinator/transaction/transaction-log.js'
import { ConsumerProtocolSubscription } from '../protocol/generated/data/consumer-protocol-subscription.js'
import { ConsumerProtocolAssignment } from '../protocol/generated/data/consumer-protocol-assignment.js'
import { usage } from './common.js'

/** What a parser makes of one record: either part may be absent (then it is not printed). */
export interface ParsedRecord {
  key?: string
  value?: string
}

export interface RecordParser {
  /** Throws when the record cannot be parsed at all; the tool reports that and goes on. */
  parse(key: Buffer | null, value: Buffer | null, offset: bigint): ParsedRecord
}

// ---- Decoder classes ------------------------------------------------------------------------------

type Decoder = (bytes: Buffer) => string

const STRING_DECODER: Decoder = (b) => b.toString('utf8')

function fixedWidth(width: number, read: (b: Buffer) => string): Decoder {
  return (b) => {
    // Java's ByteBuffer.getInt/getLong: too few bytes is an error, extra bytes are ignored.
    if (b.length < width) throw new Error(`${b.length} byte(s) cannot hold a ${width}-byte number`)
    return read(b)
  }
}

/** Kafka's Decoder classes by name (both the tools-api names and the old kafka.serializer ones). */
const DECODERS: Record<string, Decoder> = {
  'org.apache.kafka.tools.api.StringDecoder': STRING_DECODER,
  'kafka.serializer.StringDecoder': STRING_DECODER,
  StringDecoder: STRING_DECODER,
  'org.apache.kafka.tools.api.IntegerDecoder': fixedWidth(4, (b) => String(b.readInt32BE(0))),
  IntegerDecoder: fixedWidth(4, (b) => String(b.readInt32BE(0))),
  'org.apache.kafka.tools.api.LongDecoder': fixedWidth(8, (b) => String(b.readBigInt64BE(0))),
  LongDecoder: fixedWidth(8, (b) => String(b.readBigInt64BE(0))),
}

export const DEFAULT_DECODER_CLASS = 'org.apache.kafka.tools.api.StringDecoder'

function decoderByName(name: string, flag: string): Decoder {
  const d = DECODERS[name]
  if (!d) {
    throw usage(
      `${flag} ${name} is not supported: Samsa cannot load Java classes; use org.apache.kafka.tools.api.StringDecoder, IntegerDecoder or LongDecoder`,
    )
  }
  return d
}

/** kafka-dump-log.sh's DecoderMessageParser: key and value through the named Decoder classes. */
export function decoderParser(keyClass: string, valueClass: string): RecordParser {
  const keyDecoder = decoderByName(keyClass, '--key-decoder-class')
  const valueDecoder = decoderByName(valueClass, '--value-decoder-class')
  return {
    parse(key, value) {
      const out: ParsedRecord = {}
      if (key !== null) out.key = keyDecoder(key)
      if (value !== null) out.value = valueDecoder(value)
      return out
    },
  }
}

// ---- JSON as Kafka's converters write it ---------------------------------------------------------

/**
 * A decoded generated struct as compact JSON: fields in schema order (the order the generated
 * readers assign them), fields absent from the version left out, unknown tagged fields left
 * out, int64 as numbers, bytes as base64.
 */
export function toKafkaJson(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : JSON.stringify(String(value))
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('base64'))
  if (Array.isArray(value)) return `[${value.map(toKafkaJson).join(',')}]`
  if (value instanceof Raw) return value.json
  const parts: string[] = []
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || k === '_unknownTaggedFields') continue
    parts.push(`${JSON.stringify(k)}:${toKafkaJson(v)}`)
  }
  return `{${parts.join(',')}}`
}

/** JSON text placed as it is inside a larger value. */
class Raw {
  constructor(readonly json: string) {}
}

interface Codec<T> {
  name: string
  maxVersion: number
  read(r: Reader, version: number): T
}

/** Reads the struct after a 2-byte version prefix, as Kafka's CoordinatorRecordSerde does. */
function readPrefixed<T>(codec: Codec<T>, buf: Buffer, version: number, part: 'key' | 'value'): T {
  const r = new Reader(buf, 2)
  let v: T
  try {
    v = codec.read(r, version)
    r.finish(`${codec.name} v${version}`)
  } catch (e) {
    throw new Error(`Could not read record with version ${version} from ${part}'s buffer due to: ${(e as Error).message}.`)
  }
  return v
}

function versionOf(buf: Buffer, part: 'key' | 'value'): number {
  if (buf.length < 2) throw new Error(`Could not read the version from the ${part}'s buffer of ${buf.length} byte(s).`)
  return buf.readInt16BE(0)
}

interface RecordType {
  key: Codec<unknown>
  value: Codec<unknown>
  /** Rewrites the decoded value before it is printed. */
  prepareValue?: (value: unknown) => unknown
}

class UnknownRecordType extends Error {
  constructor(readonly recordType: number) {
    super(`unknown record type ${recordType}`)
  }
}

/** Kafka's CoordinatorRecordMessageParser over a table of record types. */
function coordinatorParser(types: ReadonlyMap<number, RecordType>): RecordParser {
  return {
    parse(key, value, offset) {
      if (key === null) {
        throw new Error(`Failed to decode message at offset ${offset} using the specified decoder (message had a missing key)`)
      }
      try {
        const recordType = versionOf(key, 'key')
        const type = types.get(recordType)
        if (!type) throw new UnknownRecordType(recordType)
        const k = readPrefixed(type.key, key, recordType, 'key')
        const keyJson = `{"type":${JSON.stringify(String(recordType))},"data":${toKafkaJson(k)}}`
        if (value === null) return { key: keyJson, value: '<DELETE>' }
        const version = versionOf(value, 'value')
        // Newer value versions may only add tagged fields (KIP-915): read them as the newest known.
        const v = readPrefixed(type.value, value, Math.min(version, type.value.maxVersion), 'value')
        const shown = type.prepareValue ? type.prepareValue(v) : v
        return { key: keyJson, value: `{"version":${JSON.stringify(String(version))},"data":${toKafkaJson(shown)}}` }
      } catch (e) {
        if (e instanceof UnknownRecordType) return { key: `Unknown record type ${e.recordType} at offset ${offset}, skipping.` }
        return { key: `Error at offset ${offset}, skipping. ${(e as Error).message}` }
      }
    },
  }
}

/**
 * Members of a "consumer" group carry consumer-protocol bytes; Kafka prints them decoded
 * (keeping the base64 when they do not parse).
 */
function prepareGroupMetadataValue(value: unknown): unknown {
  const v = value as GroupMetadataValue
  if (v.protocolType !== 'consumer') return v
  return {
    ...v,
    members: v.members.map((m) => ({
      ...m,
      subscription: consumerProtocolJson(ConsumerProtocolSubscription, m.subscription),
      assignment: consumerProtocolJson(ConsumerProtocolAssignment, m.assignment),
    })),
  }
}

function consumerProtocolJson(codec: Codec<unknown>, bytes: Buffer): Buffer | Raw {
  if (bytes.length < 2) return bytes
  try {
    return new Raw(toKafkaJson(readPrefixed(codec, bytes, bytes.readInt16BE(0), 'value')))
  } catch {
    return bytes
  }
}

/**
 * Kafka's converters write a tagged field only when it differs from its default; the one
 * tagged field the generated group records know is a KIP-848 member's classic metadata.
 */
function prepareMemberMetadataValue(value: unknown): unknown {
  const v = value as ConsumerGroupMemberMetadataValue
  const classic = v.classicMemberMetadata
  if (classic === undefined || (classic !== null && !isDefaultConsumerGroupMemberMetadataValueClassicMemberMetadata(classic))) return v
  const { classicMemberMetadata: _, ...rest } = v
  return rest
}

/** `__consumer_offsets` record types, by the key's version prefix (Kafka's CoordinatorRecordType). */
const GROUP_RECORD_TYPES = new Map<number, RecordType>([
  [0, { key: OffsetCommitKey, value: OffsetCommitValue }],
  [1, { key: OffsetCommitKey, value: OffsetCommitValue }],
  [2, { key: GroupMetadataKey, value: GroupMetadataValue, prepareValue: prepareGroupMetadataValue }],
  [3, { key: ConsumerGroupMetadataKey, value: ConsumerGroupMetadataValue }],
  [4, { key: ConsumerGroupPartitionMetadataKey, value: ConsumerGroupPartitionMetadataValue }],
  [5, { key: ConsumerGroupMemberMetadataKey, value: ConsumerGroupMemberMetadataValue, prepareValue: prepareMemberMetadataValue }],
  [6, { key: ConsumerGroupTargetAssignmentMetadataKey, value: ConsumerGroupTargetAssignmentMetadataValue }],
  [7, { key: ConsumerGroupTargetAssignmentMemberKey, value: ConsumerGroupTargetAssignmentMemberValue }],
  [8, { key: ConsumerGroupCurrentMemberAssignmentKey, value: ConsumerGroupCurrentMemberAssignmentValue }],
  [9, { key: ShareGroupPartitionMetadataKey, value: ShareGroupPartitionMetadataValue }],
  [10, { key: ShareGroupMemberMetadataKey, value: ShareGroupMemberMetadataValue }],
  [11, { key: ShareGroupMetadataKey, value: ShareGroupMetadataValue }],
  [12, { key: ShareGroupTargetAssignmentMetadataKey, value: ShareGroupTargetAssignmentMetadataValue }],
  [13, { key: ShareGroupTargetAssignmentMemberKey, value: ShareGroupTargetAssignmentMemberValue }],
  [14, { key: ShareGroupCurrentMemberAssignmentKey, value: ShareGroupCurrentMemberAssignmentValue }],
  [15, { key: ShareGroupStatePartitionMetadataKey, value: ShareGroupStatePartitionMetadataValue }],
])

const TRANSACTION_RECORD_TYPES = new Map<number, RecordType>([[0, { key: TransactionLogKey, value: TransactionLogValue }]])

/** `--offsets-decoder`: `__consumer_offsets` records. */
export function offsetsParser(): RecordParser {
  return coordinatorParser(GROUP_RECORD_TYPES)
}

/** `--transaction-log-decoder`: `__transaction_state` records. */
export function transactionLogParser(): RecordParser {
  return coordinatorParser(TRANSACTION_RECORD_TYPES)
}
