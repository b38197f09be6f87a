// The syncproto Go types (typha/pkg/syncproto/sync_proto.go) as gob schemas, registered under Typha's exact
// names. Property names are the Msg fields of ./types.ts, so decoded objects are Msg values
// as they stand and Msg values encode without conversion.

import { T, TypeRegistry, goTime } from '../gob/index.js';
import type { GoInterfaceValue, InterfaceType, StructType } from '../gob/index.js';
import { ProtocolError } from '../gob/index.js';
import { SyncprotoErrorCode } from './errors.js';
import { REGISTERED_NAME_PREFIX } from './types.js';
import type { Msg, MsgType } from './types.js';

const { field, struct, sliceOf } = T;

/** SerializedUpdate.Revision: an `any` that in practice holds a Go string (typha/pkg/syncproto/sync_proto.go). */
const revision: InterfaceType = {
  kind: 'interface',
  zero: '',
  fromGo(name: string | null, v: unknown): string {
    if (name === null) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
    throw new ProtocolError(SyncprotoErrorCode.BadRevision, `Revision holds a ${name}, not a string`);
  },
  // Typha always sets Revision, so even "" goes out as a non-nil interface (test/protocol/spec-vectors.ts).
  toGo(v: unknown): GoInterfaceValue {
    return { name: 'string', value: typeof v === 'string' ? v : String(v ?? '') };
  },
};

export const SerializedUpdateType: StructType = struct('SerializedUpdate', [
  field('Key', T.string, 'key'),
  field('Value', T.bytes, 'value'),
  field('Revision', revision, 'revision'),
  field('V3ResourceVersion', T.string, 'v3ResourceVersion'),
  field('TTL', T.int64, 'ttl'),
  field('UpdateType', T.uint8, 'updateType'),
]);

const compressionAlgorithms = sliceOf(T.string, '[]syncproto.CompressionAlgorithm');

export const MessageTypes: { readonly [K in MsgType]: StructType } = {
  ClientHello: struct(
    'MsgClientHello',
    [
      field('Hostname', T.string, 'hostname'),
      field('Info', T.string, 'info'),
      field('Version', T.string, 'version'),
      field('SyncerType', T.string, 'syncerType'),
      field('SupportsDecoderRestart', T.bool, 'supportsDecoderRestart'),
      field('SupportedCompressionAlgorithms', compressionAlgorithms, 'supportedCompressionAlgorithms'),
      field('SupportsModernPolicyKeys', T.bool, 'supportsModernPolicyKeys'),
      field('ClientConnID', T.uint64, 'clientConnID'),
    ],
    { type: 'ClientHello' },
  ),
  ServerHello: struct(
    'MsgServerHello',
    [
      field('Version', T.string, 'version'),
      field('SyncerType', T.string, 'syncerType'),
      field('SupportsNodeResourceUpdates', T.bool, 'supportsNodeResourceUpdates'),
      field('ServerConnID', T.uint64, 'serverConnID'),
    ],
    { type: 'ServerHello' },
  ),
  DecoderRestart: struct(
    'MsgDecoderRestart',
    [field('Message', T.string, 'message'), field('CompressionAlgorithm', T.string, 'compressionAlgorithm')],
    { type: 'DecoderRestart' },
  ),
  ACK: struct('MsgACK', [], { type: 'ACK' }),
  SyncStatus: struct('MsgSyncStatus', [field('SyncStatus', T.uint8, 'syncStatus')], { type: 'SyncStatus' }),
  Ping: struct('MsgPing', [field('Timestamp', goTime, 'timestamp')], { type: 'Ping' }),
  Pong: struct(
    'MsgPong',
    [field('PingTimestamp', goTime, 'pingTimestamp'), field('PongTimestamp', goTime, 'pongTimestamp')],
    { type: 'Pong' },
  ),
  KVs: struct(
    'MsgKVs',
    [field('KVs', sliceOf(SerializedUpdateType, '[]syncproto.SerializedUpdate'), 'kvs')],
    {
      type: 'KVs',
    },
  ),
};

/** The exact gob.RegisterName strings (typha/pkg/syncproto/sync_proto.go). */
export const REGISTERED_NAMES: { readonly [K in MsgType]: string } = {
  ClientHello: `${REGISTERED_NAME_PREFIX}MsgClientHello`,
  ServerHello: `${REGISTERED_NAME_PREFIX}MsgServerHello`,
  DecoderRestart: `${REGISTERED_NAME_PREFIX}MsgDecoderRestart`,
  ACK: `${REGISTERED_NAME_PREFIX}MsgACK`,
  SyncStatus: `${REGISTERED_NAME_PREFIX}MsgSyncStatus`,
  Ping: `${REGISTERED_NAME_PREFIX}MsgPing`,
  Pong: `${REGISTERED_NAME_PREFIX}MsgPong`,
  KVs: `${REGISTERED_NAME_PREFIX}MsgKVs`,
};

const MSG_TYPES = new Set<unknown>(Object.values(MessageTypes));

/** Envelope.Message: decodes straight to the Msg object; encodes a Msg under its registered name. */
const envelopeMessage: InterfaceType = {
  kind: 'interface',
  fromGo(name: string | null, v: unknown): unknown {
    return name === null ? null : { name, value: v };
  },
  toGo(v: unknown): GoInterfaceValue {
    const m = v as Msg;
    const name = REGISTERED_NAMES[m?.type as MsgType];
    if (name === undefined)
      throw new ProtocolError(SyncprotoErrorCode.BadMessage, `not a syncproto message: ${String(m?.type)}`);
    return { name, value: m };
  },
};

/** `type Envelope struct { Message any }` (typha/pkg/syncproto/sync_proto.go). */
export const EnvelopeType: StructType = struct('Envelope', [field('Message', envelopeMessage, 'message')]);

export function syncprotoRegistry(): TypeRegistry {
  const r = TypeRegistry.withBasics();
  for (const k of Object.keys(MessageTypes) as MsgType[]) r.register(REGISTERED_NAMES[k], MessageTypes[k]);
  return r;
}

/** One registry for every stream: it is never modified after this. */
export const syncprotoRegistryShared: TypeRegistry = syncprotoRegistry();

/** Checks a decoded Envelope and returns its message. */
export function messageOf(envelope: unknown): Msg {
  const m = (envelope as { message: { name: string; value: unknown } | null }).message;
  if (m === null) throw new ProtocolError(SyncprotoErrorCode.BadEnvelope, 'Envelope without a message');
  const t = syncprotoRegistryShared.lookup(m.name);
  if (t === undefined || !MSG_TYPES.has(t)) {
    throw new ProtocolError(
      SyncprotoErrorCode.UnexpectedType,
      `Envelope holds ${JSON.stringify(m.name)}, not a syncproto message`,
    );
  }
  return m.value as Msg;
}
