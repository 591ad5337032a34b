/**
 * Hand-checked encodings. Each expected layout is written out from the BNF in the Kafka
 * protocol guide (https://kafka.apache.org/protocol.html) and the JSON schema, not from our
 * encoder: primitive types INT16/INT32 big-endian, STRING = INT16 length + UTF-8,
 * NULLABLE_STRING with -1 for null, COMPACT_STRING = UNSIGNED_VARINT (length + 1) + UTF-8,
 * COMPACT_ARRAY = UNSIGNED_VARINT (count + 1) (0 is null), _tagged_fields = UNSIGNED_VARINT
 * count, then per field tag, size and bytes, in ascending tag order.
 * Each case checks encode gives exactly those bytes and decode of those bytes gives the value.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ApiVersionsRequest, ApiVersionsResponse } from '../../../src/protocol/generated/api-versions.js'
import { MetadataRequest } from '../../../src/protocol/generated/metadata.js'
import { RequestHeader, ResponseHeader } from '../../../src/protocol/generated/headers.js'
import { DescribeTopicPartitionsRequest } from '../../../src/protocol/generated/describe-topic-partitions.js'
import { FetchRequest } from '../../../src/protocol/generated/fetch.js'
import { OffsetCommitKey, OffsetCommitValue } from '../../../src/protocol/generated/coordinator/group/offset-commit.js'
import { Writer } from '../../../src/protocol/primitives/writer.js'
import { Reader } from '../../../src/protocol/primitives/reader.js'
import { ProtocolError } from '../../../src/protocol/primitives/protocol-error.js'
import { hex } from '../fixtures/hex.js'

interface Codec<T> {
  encode(v: T, version: number): Buffer
  decode(b: Buffer, version: number): T
}

/** `layout` is hex with free spacing and `|` separators for readability. */
function known<T>(codec: Codec<T>, version: number, value: T, layout: string, decoded: T = value): void {
  const want = Buffer.from(layout.replace(/[\s|]+/g, ''), 'hex')
  assert.equal(hex(codec.encode(value, version)), hex(want), 'encode')
  assert.deepStrictEqual(codec.decode(want, version), decoded, 'decode')
}

const utf8 = (s: string): string => Buffer.from(s).toString('hex')
const TOPIC_ID = '1kxCqUwGQTGMXJXb3Ptx9g' // d64c42a9-4c06-4131-8c5c-95dbdcfb71f6

describe('known bytes: headers', () => {
  // Request Header v0 => request_api_key request_api_version correlation_id
  it('RequestHeader v0 has no client id', () => {
    known(RequestHeader, 0, { requestApiKey: 3, requestApiVersion: 0, correlationId: 42 }, '0003 | 0000 | 0000002a')
  })

  // Request Header v1 => ... client_id (NULLABLE_STRING)
  it('RequestHeader v1: client_id is a NULLABLE_STRING', () => {
    known(RequestHeader, 1, { requestApiKey: 3, requestApiVersion: 1, correlationId: 42, clientId: 'client' }, `0003 | 0001 | 0000002a | 0006 ${utf8('client')}`)
    known(RequestHeader, 1, { requestApiKey: 0, requestApiVersion: 9, correlationId: -1, clientId: null }, '0000 | 0009 | ffffffff | ffff')
  })

  // Request Header v2 => ... client_id _tagged_fields; client_id stays NULLABLE_STRING (int16 length)
  it('RequestHeader v2: client_id keeps its INT16 length, then a tagged-field section', () => {
    known(
      RequestHeader,
      2,
      { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'kcat' },
      `0012 | 0003 | 00000001 | 0004 ${utf8('kcat')} | 00`,
    )
    known(RequestHeader, 2, { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: null }, '0012 | 0003 | 00000001 | ffff | 00')
    // An unknown header tag survives decode -> encode.
    known(
      RequestHeader,
      2,
      { requestApiKey: 1, requestApiVersion: 17, correlationId: 7, clientId: '', _unknownTaggedFields: [{ tag: 4, data: Buffer.from('beef', 'hex') }] },
      '0001 | 0011 | 00000007 | 0000 | 01 04 02 beef',
    )
  })

  // Response Header v0 => correlation_id; v1 => correlation_id _tagged_fields
  it('ResponseHeader v0 and v1', () => {
    known(ResponseHeader, 0, { correlationId: 42 }, '0000002a')
    known(ResponseHeader, 1, { correlationId: 42 }, '0000002a | 00')
  })
})

describe('known bytes: ApiVersions', () => {
  // ApiVersions Request (Version: 3) => client_software_name client_software_version _tagged_fields
  it('ApiVersionsRequest v3: two COMPACT_STRINGs and an empty tag section', () => {
    known(ApiVersionsRequest, 3, { clientSoftwareName: 'samsa', clientSoftwareVersion: '0.1.0' }, `06 ${utf8('samsa')} | 06 ${utf8('0.1.0')} | 00`)
  })

  it('ApiVersionsRequest v0-2 have an empty body', () => {
    for (const v of [0, 1, 2]) known(ApiVersionsRequest, v, {}, '')
  })

  // ApiVersions Response (Version: 3) => error_code [api_keys] throttle_time_ms _tagged_fields
  //   api_keys => api_key min_version max_version _tagged_fields
  //   tagged: 0 supported_features, 1 finalized_features_epoch, 2 finalized_features, 3 zk_migration_ready
  const base = { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }], throttleTimeMs: 0 }
  const defaults = { supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false }

  it('ApiVersionsResponse v0: ARRAY with INT32 count, no throttle time', () => {
    known(ApiVersionsResponse, 0, { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] }, '0000 | 00000001 | 0012 0000 0004')
  })

  it('ApiVersionsResponse v3: tagged fields at their default are absent, and decode fills them in', () => {
    known(ApiVersionsResponse, 3, { ...base, ...defaults }, '0000 | 02 | 0012 0000 0004 00 | 00000000 | 00')
    // Decoding the same bytes into a value that omitted the tagged fields gives the defaults.
    assert.deepStrictEqual(ApiVersionsResponse.decode(ApiVersionsResponse.encode(base, 3), 3), { ...base, ...defaults })
  })

  it('ApiVersionsResponse v3: tagged fields present, in ascending tag order', () => {
    known(
      ApiVersionsResponse,
      3,
      { ...base, ...defaults, finalizedFeaturesEpoch: 5n, supportedFeatures: [{ name: 'x', minVersion: 0, maxVersion: 1 }], zkMigrationReady: true },
      '0000 | 02 | 0012 0000 0004 00 | 00000000 | 03' +
        ` | 00 08 02 02${utf8('x')} 0000 0001 00` + // tag 0, 8 bytes: COMPACT_ARRAY of 1, name, min, max, tags
        ' | 01 08 0000000000000005' + // tag 1, 8 bytes: INT64
        ' | 03 01 01', // tag 3, 1 byte: BOOLEAN
    )
  })
})

describe('known bytes: Metadata', () => {
  // Metadata Request (Version: 0) => [topics]  topics => name (STRING)
  it('MetadataRequest v0: ARRAY of STRING names', () => {
    known(MetadataRequest, 0, { topics: [{ name: 'foo' }, { name: 'bar' }] }, `00000002 | 0003 ${utf8('foo')} | 0003 ${utf8('bar')}`)
    known(MetadataRequest, 0, { topics: [] }, '00000000')
  })

  it('MetadataRequest v0 cannot say null topics; v1+ can (-1)', () => {
    assert.throws(() => MetadataRequest.encode({ topics: null }, 0), ProtocolError)
    known(MetadataRequest, 1, { topics: null }, 'ffffffff')
    known(MetadataRequest, 4, { topics: null, allowAutoTopicCreation: false }, 'ffffffff | 00')
  })

  // Metadata Request (Version: 9) => [topics] allow_auto_topic_creation
  //   include_cluster_authorized_operations include_topic_authorized_operations _tagged_fields
  //   topics => name (COMPACT_STRING) _tagged_fields
  it('MetadataRequest v9: COMPACT_ARRAY, COMPACT_STRING, tag sections', () => {
    known(
      MetadataRequest,
      9,
      { topics: [{ name: 'foo' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: true },
      `02 | 04 ${utf8('foo')} 00 | 01 | 00 | 01 | 00`,
    )
    known(
      MetadataRequest,
      9,
      { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: false },
      '00 | 00 | 01 | 00 | 00',
    )
  })

  // Metadata Request (Version: 12) => [topics] allow_auto_topic_creation include_topic_authorized_operations _tagged_fields
  //   topics => topic_id (UUID) name (COMPACT_NULLABLE_STRING) _tagged_fields
  it('MetadataRequest v12: topic id UUID and a null name', () => {
    known(
      MetadataRequest,
      12,
      { topics: [{ topicId: TOPIC_ID, name: null }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false },
      '02 | d64c42a94c0641318c5c95dbdcfb71f6 00 00 | 01 | 00 | 00',
    )
  })
})

describe('known bytes: nullable struct and tagged fields', () => {
  // DescribeTopicPartitions Request (Version: 0) => [topics] response_partition_limit cursor _tagged_fields
  //   cursor is a nullable struct: INT8 -1 for null, 1 then the fields when present
  it('DescribeTopicPartitionsRequest v0: cursor null / present', () => {
    known(
      DescribeTopicPartitionsRequest,
      0,
      { topics: [{ name: 'foo' }], responsePartitionLimit: 2000, cursor: null },
      `02 | 04 ${utf8('foo')} 00 | 000007d0 | ff | 00`,
    )
    known(
      DescribeTopicPartitionsRequest,
      0,
      { topics: [], responsePartitionLimit: 2000, cursor: { topicName: 'foo', partitionIndex: 3 } },
      `01 | 000007d0 | 01 04 ${utf8('foo')} 00000003 00 | 00`,
    )
  })

  // Fetch Request (Version: 12): cluster_id is tagged (tag 0, COMPACT_NULLABLE_STRING, default null)
  it('FetchRequest v12: tagged cluster_id absent when null, present otherwise', () => {
    const body = {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 0x7fffffff,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [],
      forgottenTopicsData: [],
      rackId: '',
    }
    const fixed = 'ffffffff | 000001f4 | 00000001 | 7fffffff | 01 | 00000000 | ffffffff | 01 | 01 | 01'
    known(FetchRequest, 12, { ...body, clusterId: null }, `${fixed} | 00`)
    known(FetchRequest, 12, { ...body, clusterId: 'c1' }, `${fixed} | 01 00 03 03${utf8('c1')}`)
  })

  it('a frame whose tags are out of order is a ProtocolError', () => {
    // OffsetCommitValue v4: offset, leader_epoch, metadata "", commit_timestamp, then tags 5 and 3
    const bytes = Buffer.from('0000000000000000' + '00000000' + '01' + '0000000000000000' + '02 0501ff 0301ff'.replace(/ /g, ''), 'hex')
    assert.deepStrictEqual(OffsetCommitValue.decode(Buffer.from('0000000000000000' + '00000000' + '01' + '0000000000000000' + '02 0301ff 0501ff'.replace(/ /g, ''), 'hex'), 4), {
      offset: 0n,
      leaderEpoch: 0,
      metadata: '',
      commitTimestamp: 0n,
      _unknownTaggedFields: [
        { tag: 3, data: Buffer.from([0xff]) },
        { tag: 5, data: Buffer.from([0xff]) },
      ],
    })
    assert.throws(() => OffsetCommitValue.decode(bytes, 4), ProtocolError)
  })
})

describe('known bytes: __consumer_offsets records', () => {
  // Offset commit key: the record key is INT16 key version (0 or 1) + group topic partition.
  // The key version prefix is the caller's business, not the codec's.
  it('OffsetCommitKey v1: group (STRING) topic (STRING) partition (INT32), no version prefix', () => {
    known(OffsetCommitKey, 1, { group: 'g1', topic: 'orders', partition: 3 }, `0002 ${utf8('g1')} | 0006 ${utf8('orders')} | 00000003`)
    known(OffsetCommitKey, 0, { group: 'g1', topic: 'orders', partition: 3 }, `0002 ${utf8('g1')} | 0006 ${utf8('orders')} | 00000003`)
    // What goes into the log: the caller writes the key version first.
    const w = new Writer()
    w.writeInt16(1)
    OffsetCommitKey.write(w, { group: 'g1', topic: 'orders', partition: 3 }, 1)
    const key = w.toBuffer()
    assert.equal(hex(key), hex(Buffer.from(`0001 0002 ${utf8('g1')} 0006 ${utf8('orders')} 00000003`.replace(/ /g, ''), 'hex')))
    const r = new Reader(key)
    const version = r.readInt16()
    assert.deepStrictEqual(OffsetCommitKey.read(r, version), { group: 'g1', topic: 'orders', partition: 3 })
    r.finish('key')
  })

  it('OffsetCommitValue v1: offset metadata commit_timestamp expire_timestamp', () => {
    known(
      OffsetCommitValue,
      1,
      { offset: 100n, metadata: 'm', commitTimestamp: 1700000000000n, expireTimestamp: -1n },
      `0000000000000064 | 0001 ${utf8('m')} | 0000018bcfe56800 | ffffffffffffffff`,
    )
  })

  it('OffsetCommitValue v3: offset leader_epoch metadata commit_timestamp (no expire)', () => {
    known(
      OffsetCommitValue,
      3,
      { offset: 100n, leaderEpoch: 5, metadata: '', commitTimestamp: 1700000000000n },
      '0000000000000064 | 00000005 | 0000 | 0000018bcfe56800',
    )
  })

  it('OffsetCommitValue v4 (flexible): COMPACT_STRING metadata and a tag section', () => {
    known(
      OffsetCommitValue,
      4,
      { offset: 100n, leaderEpoch: -1, metadata: 'm', commitTimestamp: 1700000000000n },
      `0000000000000064 | ffffffff | 02 ${utf8('m')} | 0000018bcfe56800 | 00`,
    )
  })
})
