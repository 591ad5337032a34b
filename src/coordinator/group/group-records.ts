/**
 * The records of `__consumer_offsets`, byte for byte as Kafka writes them
 * (CoordinatorRecordSerde): key = int16 record type + key struct, value = int16 version +
 * value struct, a tombstone is a null value.
 *
 * Record types (the key's "version"): 0 and 1 are OffsetCommitKey (0 is the legacy name for
 * the same layout; Kafka 4 writes 1), 2 is GroupMetadataKey. Kafka 4's other types (3+:
 * KIP-848 consumer groups, share groups, streams groups) are reported as `unknown`: Samsa runs
 * classic groups only, and Kafka's loader likewise skips types it does not know.
 *
 * Value versions written, as Kafka 4's GroupCoordinatorRecordHelpers: OffsetCommitValue v3, or
 * v1 when the commit carries an expire timestamp (OffsetCommit v2-4 with a retention time);
 * GroupMetadataValue v3. Newer value versions are read as the newest known one: KIP-915 lets
 * them add only tagged fields, which the flexible codecs skip.
 */
import { Reader } from '../../protocol/primitives/reader.js'
import { Writer } from '../../protocol/primitives/writer.js'
import { OffsetCommitKey, OffsetCommitValue } from '../../protocol/generated/coordinator/group/offset-commit.js'
import { GroupMetadataKey, GroupMetadataValue } from '../../protocol/generated/coordinator/group/group-metadata.js'

export const LEGACY_OFFSET_COMMIT_RECORD_TYPE = 0
export const OFFSET_COMMIT_RECORD_TYPE = 1
export const GROUP_METADATA_RECORD_TYPE = 2

const OFFSET_COMMIT_VALUE_VERSION = 3
const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1
const GROUP_METADATA_VALUE_VERSION = 3

/** One record for GroupLog.append: serialized key and value (null: tombstone). */
export interface GroupLogEntry {
  key: Buffer
  value: Buffer | null
}

/** A committed offset as stored (OffsetCommitValue without its version). */
export interface StoredOffset {
  offset: bigint
  /** -1 when unknown. */
  leaderEpoch: number
  metadata: string
  commitTimestamp: bigint
  /** Set only by OffsetCommit v2-4 with an explicit retention time; -1n or undefined otherwise. */
  expireTimestamp?: bigint
}

export type DecodedRecord =
  | { type: 'offset'; key: OffsetCommitKey; value: StoredOffset | null }
  | { type: 'group'; groupId: string; value: GroupMetadataValue | null }
  | { type: 'unknown'; recordType: number }

function prefixed(version: number, write: (w: Writer) => void): Buffer {
  const w = new Writer()
  w.writeInt16(version)
  write(w)
  return w.toBuffer()
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return prefixed(OFFSET_COMMIT_RECORD_TYPE, (w) => OffsetCommitKey.write(w, { group, topic, partition }, OFFSET_COMMIT_RECORD_TYPE))
}

export function encodeOffsetCommitValue(v: StoredOffset): Buffer {
  const hasExpiry = v.expireTimestamp !== undefined && v.expireTimestamp >= 0n
  const version = hasExpiry ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION
  return prefixed(version, (w) =>
    OffsetCommitValue.write(
      w,
      { offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: v.commitTimestamp, expireTimestamp: hasExpiry ? v.expireTimestamp! : -1n },
      version,
    ),
  )
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return prefixed(GROUP_METADATA_RECORD_TYPE, (w) => GroupMetadataKey.write(w, { group }, GROUP_METADATA_RECORD_TYPE))
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  return prefixed(GROUP_METADATA_VALUE_VERSION, (w) => GroupMetadataValue.write(w, v, GROUP_METADATA_VALUE_VERSION))
}

/** The record of a commit (value) or of its deletion (null). */
export function offsetCommitRecord(group: string, topic: string, partition: number, value: StoredOffset | null): GroupLogEntry {
  return { key: encodeOffsetCommitKey(group, topic, partition), value: value === null ? null : encodeOffsetCommitValue(value) }
}

/** The record of a group's membership state (value) or of the group's deletion (null). */
export function groupMetadataRecord(group: string, value: GroupMetadataValue | null): GroupLogEntry {
  return { key: encodeGroupMetadataKey(group), value: value === null ? null : encodeGroupMetadataValue(value) }
}

function readVersion(buf: Buffer, what: string): number {
  if (buf.length < 2) throw new Error(`${what} of ${buf.length} byte(s) has no version`)
  return buf.readInt16BE(0)
}

/**
 * Decodes a `__consumer_offsets` record. Throws on bytes that do not match their declared
 * schema (a corrupt record); an unknown record type is not an error.
 */
export function decodeGroupRecord(key: Buffer, value: Buffer | null): DecodedRecord {
  const recordType = readVersion(key, 'record key')
  if (recordType === LEGACY_OFFSET_COMMIT_RECORD_TYPE || recordType === OFFSET_COMMIT_RECORD_TYPE) {
    const k = decodeWhole(key, (r) => OffsetCommitKey.read(r, recordType), 'OffsetCommitKey')
    if (value === null) return { type: 'offset', key: k, value: null }
    const version = Math.min(readVersion(value, 'OffsetCommitValue'), OffsetCommitValue.maxVersion)
    const v = decodeWhole(value, (r) => OffsetCommitValue.read(r, version), `OffsetCommitValue v${version}`)
    const stored: StoredOffset = { offset: v.offset, leaderEpoch: v.leaderEpoch ?? -1, metadata: v.metadata, commitTimestamp: v.commitTimestamp }
    if (v.expireTimestamp !== undefined && v.expireTimestamp >= 0n) stored.expireTimestamp = v.expireTimestamp
    return { type: 'offset', key: k, value: stored }
  }
  if (recordType === GROUP_METADATA_RECORD_TYPE) {
    const k = decodeWhole(key, (r) => GroupMetadataKey.read(r, recordType), 'GroupMetadataKey')
    if (value === null) return { type: 'group', groupId: k.group, value: null }
    const version = Math.min(readVersion(value, 'GroupMetadataValue'), GroupMetadataValue.maxVersion)
    const v = decodeWhole(value, (r) => GroupMetadataValue.read(r, version), `GroupMetadataValue v${version}`)
    return { type: 'group', groupId: k.group, value: v }
  }
  return { type: 'unknown', recordType }
}

/**
 * Reads the struct after the 2-byte version. Bytes after it are ignored, as Kafka's readers
 * ignore them (a newer version may append tagged fields only, but Kafka does not check).
 */
function decodeWhole<T>(buf: Buffer, read: (r: Reader) => T, what: string): T {
  const r = new Reader(buf, 2)
  const v = read(r)
  r.finish(what)
  return v
}
