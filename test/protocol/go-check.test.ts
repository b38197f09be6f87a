// Go's own decoder (encoding/gob + golang/snappy, replica types under Typha's exact names) must
// accept what our encoder writes: the client stream (ClientHello, ACK, Pong) and the server's
// S1/S2/S3 streams. Runs in CI; without a Go toolchain it fails, it does not skip.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goTimeCodec } from '../../syncer-client/gob/index.js';
import { StreamEncoder } from '../../syncer-client/syncproto/index.js';
import type { GoTime, Msg, SerializedUpdate } from '../../syncer-client/syncproto/index.js';
import { PING_UTC, snapshotKV } from './fixture-data.js';
import { runGoTool } from './go-tool.js';

const ZERO: GoTime = { sec: 0n, nsec: 0, offsetMinutes: -1 };
// A zone offset with seconds (+04:56:02) makes a version-2 time. (Positive on purpose: Go 1.19's
// UnmarshalBinary reads the seconds byte unsigned, so Go itself mangles negative ones.)
const PING_V2: GoTime = { sec: 59926625762n, nsec: 123, offsetMinutes: 296, offsetSeconds: 2 };

function timeHex(t: GoTime): string {
  return goTimeCodec.isZero(t) ? '' : Buffer.from(goTimeCodec.encode(t)).toString('hex');
}

/** What check.go prints for a message (its describe()). */
function describe(m: Msg): Record<string, unknown> {
  switch (m.type) {
    case 'ClientHello':
      return {
        ...m,
        supportedCompressionAlgorithms: [...m.supportedCompressionAlgorithms],
        clientConnID: String(m.clientConnID),
      };
    case 'ServerHello':
      return { ...m, serverConnID: String(m.serverConnID) };
    case 'Ping':
      return { type: 'Ping', timestamp: timeHex(m.timestamp) };
    case 'Pong':
      return {
        type: 'Pong',
        pingTimestamp: timeHex(m.pingTimestamp),
        pongTimestamp: timeHex(m.pongTimestamp),
      };
    case 'KVs':
      return {
        type: 'KVs',
        kvs: m.kvs.map((u: SerializedUpdate) => ({
          key: u.key,
          value: u.value === null ? null : Buffer.from(u.value).toString('utf8'),
          // Our encoder always sends Revision as a Go string, as Typha does.
          revision: `string:${u.revision}`,
          v3ResourceVersion: u.v3ResourceVersion,
          ttl: String(u.ttl),
          updateType: u.updateType,
        })),
      };
    default:
      return { ...m };
  }
}

const kvRange = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => snapshotKV(from + i));

const CLIENT: Msg[] = [
  {
    type: 'ClientHello',
    hostname: 'nöde-1.example',
    info: 'Revision: felix-ts; Build date: today',
    version: 'v3.32.1',
    syncerType: 'felix',
    supportsDecoderRestart: true,
    supportedCompressionAlgorithms: ['snappy'],
    supportsModernPolicyKeys: true,
    clientConnID: 0xffffffffffffffffn,
  },
  { type: 'ACK' },
  { type: 'Pong', pingTimestamp: PING_UTC, pongTimestamp: ZERO },
  { type: 'ACK' },
  { type: 'Pong', pingTimestamp: PING_V2, pongTimestamp: PING_UTC },
];
const S1: Msg[] = [
  {
    type: 'ServerHello',
    version: 'v3.32.1',
    syncerType: 'felix',
    supportsNodeResourceUpdates: true,
    serverConnID: 7n,
  },
  {
    type: 'DecoderRestart',
    message: 'enable compression: snappy;send binary snapshot',
    compressionAlgorithm: 'snappy',
  },
];
const S2: Msg[] = [
  { type: 'KVs', kvs: kvRange(0, 1000) },
  { type: 'KVs', kvs: kvRange(1000, 2000) },
  { type: 'KVs', kvs: kvRange(2000, 2500) },
  { type: 'DecoderRestart', message: 'End of compressed snapshot.', compressionAlgorithm: 'snappy' },
];
const S3: Msg[] = [
  { type: 'SyncStatus', syncStatus: 2 },
  {
    type: 'KVs',
    kvs: [
      {
        key: '/calico/v1/config/LogSeverityScreen',
        value: Buffer.from('Info'),
        revision: '',
        v3ResourceVersion: '',
        ttl: -5_000_000_000n,
        updateType: 2,
      },
      {
        key: '/calico/v1/host/node-1/config/IpInIpTunnelAddr',
        value: null,
        revision: '9',
        v3ResourceVersion: 'rv',
        ttl: 0n,
        updateType: 3,
      },
    ],
  },
  { type: 'Ping', timestamp: PING_UTC },
  { type: 'Ping', timestamp: PING_V2 },
  { type: 'KVs', kvs: kvRange(5000, 5400) },
  { type: 'SyncStatus', syncStatus: 1 },
];

test('Go encoding/gob decodes our client stream and server streams S1, S2 (snapshot) and S3 (live)', () => {
  const dir = mkdtempSync(join(tmpdir(), `felix-ts-gocheck-${process.pid}-`));
  try {
    const client = new StreamEncoder('');
    const s1 = new StreamEncoder('');
    const s2 = new StreamEncoder('snappy');
    const s3 = new StreamEncoder('snappy');
    const files = {
      client: Buffer.concat(CLIENT.map((m) => client.encode(m))),
      s1: Buffer.concat(S1.map((m) => s1.encode(m))),
      s2: Buffer.from(s2.encodeMany(S2)),
      s3: Buffer.concat(S3.map((m) => s3.encode(m))),
    };
    for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, k), v);
    const out = runGoTool([
      'check',
      `plain:${join(dir, 'client')}`,
      `plain:${join(dir, 's1')}`,
      `snappy:${join(dir, 's2')}`,
      `snappy:${join(dir, 's3')}`,
    ]);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const byStream = [0, 1, 2, 3].map((s) =>
      lines.filter((l) => l.stream === s).map(({ stream: _s, ...rest }) => rest),
    );
    assert.deepEqual(byStream[0], CLIENT.map(describe), 'client stream');
    assert.deepEqual(byStream[1], S1.map(describe), 'S1');
    assert.deepEqual(byStream[2], S2.map(describe), 'S2');
    assert.deepEqual(byStream[3], S3.map(describe), 'S3');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
