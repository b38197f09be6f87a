// The fuzzing core shared by CI's bounded run (test/protocol/fuzz.test.ts) and the long runner
// (bench/fuzz.ts): a seeded generator of mutated inputs built from Go-produced streams
// (test/protocol/fixtures) and the repo's encoder, and one runner per target that feeds an input
// through the decoders in random chunkings. A target may only return output or throw one of our
// coded errors; anything else is thrown as a Crash carrying the input.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeValue, parseKey } from '../../agent/model/index.js';
import { ByteQueue, GobDecoder, T, TypeRegistry } from '../../syncer-client/gob/index.js';
import { FrameReader, frame, unframe } from '../../syncer-client/snappy/index.js';
import { ProtocolError, StreamDecoder, StreamEncoder } from '../../syncer-client/syncproto/index.js';
import type { Msg } from '../../syncer-client/syncproto/index.js';
import { snapshotKV } from '../protocol/fixture-data.js';
import { FIXTURES } from '../protocol/paths.js';
import { CLIENT_STREAM, SERVER_S1, hex } from '../protocol/spec-vectors.js';
import { mulberry32 } from './prng.js';

export { mulberry32 };

/** A non-coded failure: the bug a fuzzer looks for. */
export class Crash extends Error {
  constructor(
    readonly target: string,
    readonly input: Uint8Array,
    cause: unknown,
  ) {
    super(
      `${target}: uncoded failure for input ${Buffer.from(input).toString('hex').slice(0, 400)}: ${String(cause)}`,
      { cause },
    );
    this.name = 'Crash';
  }
}

export const CODE = /^ERR_(GOB|SNAPPY|PROTO)_[A-Z0-9_]+$/;

export interface Outcome {
  /** Messages, values or chunks produced before the end or the error. */
  readonly messages: number;
  /** The coded error that ended the input, if any. */
  readonly code?: string;
}

const PING_TIME = { sec: 63839761445n, nsec: 600000000, offsetMinutes: -1 };
export const PING: Msg = { type: 'Ping', timestamp: PING_TIME };

export interface KVSeed {
  readonly key: string;
  readonly value: string;
}

export interface Seeds {
  /** Plain gob syncproto streams: Go's spec vectors, Go fixtures, our encoder's output. */
  readonly plain: readonly Uint8Array[];
  /** Snappy-framed syncproto streams (Go fixtures and ours). */
  readonly snappy: readonly Uint8Array[];
  /** General gob streams written by Go (maps, arrays, interfaces, reordered fields). */
  readonly generic: readonly Uint8Array[];
  readonly all: readonly Uint8Array[];
  /** Key/value pairs from the Go snapshot plus one per further key kind. */
  readonly kvs: readonly KVSeed[];
  readonly kvKeys: readonly string[];
  readonly kvValues: readonly string[];
}

function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

/** Further key kinds the Go snapshot does not carry (its KVs are all workload endpoints). */
const OTHER_KVS: readonly KVSeed[] = [
  { key: '/calico/v1/config/LogSeverityScreen', value: 'Info' },
  { key: '/calico/v1/host/node-1/config/IptablesBackend', value: 'legacy' },
  { key: '/calico/v1/Ready', value: 'true' },
  {
    key: '/calico/v1/policy/GlobalNetworkPolicy//default.allow-dns',
    value:
      '{"order":10,"tier":"default","selector":"has(app) && env in {\\"prod\\",\\"dev\\"}","types":["ingress","egress"],"inbound_rules":[{"action":"allow","protocol":"udp","dst_ports":[53,"1000:2000"],"src_nets":["10.0.0.0/8"],"src_selector":"!has(x)","icmp_type":null}],"outbound_rules":[{"action":"deny","protocol":"icmp","icmp_type":8,"icmp_code":0,"not_dst_nets":["fd00::/8"]}]}',
  },
  {
    key: '/calico/v1/policy/NetworkPolicy/prod/knp.default.web',
    value:
      '{"selector":"projectcalico.org/namespace == \'prod\'","inbound_rules":[{"action":"allow","src_selector":"app startswith \'fe\'"}]}',
  },
  { key: '/calico/v1/policy/tier/default/metadata', value: '{"order":1000000,"default_action":"Deny"}' },
  {
    key: '/calico/v1/policy/tier/default/policy/default.legacy',
    value: '{"selector":"all()","inbound_rules":[{"action":"allow","protocol":"tcp","dst_ports":[443]}]}',
  },
  {
    key: '/calico/v1/policy/profile/kns.prod/rules',
    value: '{"inbound_rules":[{"action":"allow"}],"outbound_rules":[]}',
  },
  { key: '/calico/v1/policy/profile/kns.prod/labels', value: '{"pcns.projectcalico.org/name":"prod"}' },
  {
    key: '/calico/resources/v3/projectcalico.org/profiles/kns.prod',
    value:
      '{"kind":"Profile","apiVersion":"projectcalico.org/v3","metadata":{"name":"kns.prod"},"spec":{"ingress":[{"action":"Allow"}],"egress":[{"action":"Allow"}],"labelsToApply":{"pcns.projectcalico.org/name":"prod"}}}',
  },
  { key: '/calico/v1/netset/ns1', value: '{"nets":["10.1.0.0/16","2001:db8::/32"],"labels":{"a":"b"}}' },
  {
    key: '/calico/v1/host/h/endpoint/e',
    value: '{"name":"eth0","expected_ipv4_addrs":["10.0.0.1"],"profile_ids":["p"],"labels":{"role":"gw"}}',
  },
  {
    key: '/calico/v1/ipam/v4/pool/10.65.0.0-16',
    value: '{"cidr":"10.65.0.0/16","masquerade":true,"ipip_mode":"always"}',
  },
  { key: '/calico/v1/host/node-1/wireguard', value: '{"public_key":"abc="}' },
  { key: '/calico/v1/host/node-1/bird_ip', value: '192.168.0.1' },
];

/** The snapshot KVs of a Go-written snappy fixture, decoded by the client's stream decoder. */
function goKVs(): KVSeed[] {
  const d = new StreamDecoder();
  d.restart('snappy');
  d.push(fixture('s2-snapshot-10k.snappy'));
  const out: KVSeed[] = [];
  const text = new TextDecoder();
  for (let m = d.next(); m !== undefined && out.length < 200; m = d.next()) {
    if (m.type !== 'KVs') continue;
    for (const kv of m.kvs) {
      if (kv.value !== null && out.length < 200) out.push({ key: kv.key, value: text.decode(kv.value) });
    }
  }
  return out;
}

export function loadSeeds(): Seeds {
  const e = new StreamEncoder('');
  const ours = Buffer.concat([
    e.encode({ type: 'SyncStatus', syncStatus: 2 }),
    e.encode({ type: 'KVs', kvs: Array.from({ length: 12 }, (_, i) => snapshotKV(i * 7)) }),
    e.encode(PING),
    e.encode({
      type: 'Pong',
      pingTimestamp: PING_TIME,
      pongTimestamp: { sec: 5n, nsec: 6, offsetMinutes: 60, offsetSeconds: 3 },
    }),
  ]);
  const plain = [
    hex(CLIENT_STREAM.join('')),
    hex(SERVER_S1.join('')),
    ours,
    fixture('reordered.gob'),
    fixture('generic.gob'),
    fixture('s1-plain.gob'),
  ];
  const live = new StreamEncoder('snappy');
  const snap = new StreamEncoder('snappy').encodeMany([
    { type: 'KVs', kvs: Array.from({ length: 40 }, (_, i) => snapshotKV(i)) },
    { type: 'DecoderRestart', message: 'End of compressed snapshot.', compressionAlgorithm: 'snappy' },
  ]);
  // The Go snapshot is large (10k KVs); its first 16 KiB keep mutation cheap and reach its types.
  const snappy = [
    Buffer.concat([
      live.encode({ type: 'SyncStatus', syncStatus: 2 }),
      live.encode(PING),
      live.encode({ type: 'KVs', kvs: [snapshotKV(3)] }),
    ]),
    snap,
    ...plain.slice(0, 3).map((p) => frame(p)),
    fixture('s3-live.snappy'),
    fixture('s2-snapshot-10k.snappy').subarray(0, 16 * 1024),
  ];
  const generic = [fixture('generic.gob'), fixture('reordered.gob')];
  const kvs = [...OTHER_KVS, ...goKVs()];
  return {
    plain,
    snappy,
    generic,
    all: [...plain, ...snappy],
    kvs,
    kvKeys: kvs.map((x) => x.key),
    kvValues: kvs.map((x) => x.value),
  };
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xf8, 0xf9, 0xfa, 0xfe, 0xff];
const TOKENS = [
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '/',
  '%2f',
  '%',
  '%00',
  '\u0000',
  '\n',
  ' ',
  'null',
  '-1',
  '1e999',
  '4294967296',
  '"\\ud800"',
  '::ffff:10.0.0.1',
  '010.0.0.1',
  '/33',
  '..',
  '\u00e9',
  '\ud83d\ude00',
  '&&',
  '||',
  '!',
];

export class Fuzzer {
  readonly rand: () => number;

  constructor(seed: number) {
    this.rand = mulberry32(seed);
  }

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  noise(n: number): Uint8Array {
    return Uint8Array.from({ length: this.int(n) }, () => this.int(256));
  }

  /** 1-4 rounds of byte-level mutation: bit flips, edge bytes, huge uints, inserts, deletes, splices. */
  mutate(src: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
    let b = Uint8Array.from(src);
    const rounds = 1 + this.int(4);
    for (let r = 0; r < rounds; r++) {
      const at = b.length === 0 ? 0 : this.int(b.length);
      switch (this.int(8)) {
        case 0: // flip bits
          if (b.length > 0) b[at] = b[at]! ^ (1 << this.int(8));
          break;
        case 1: // an interesting byte (length-prefix and count edge cases)
          if (b.length > 0) b[at] = this.pick(INTERESTING);
          break;
        case 2: // a huge uint where a length or count may be
          b = Buffer.concat([
            b.subarray(0, at),
            Uint8Array.from([0xf8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            b.subarray(at + 1),
          ]);
          break;
        case 3: // insert random bytes
          b = Buffer.concat([b.subarray(0, at), this.noise(17), b.subarray(at)]);
          break;
        case 4: // delete a range
          b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + this.int(32))]);
          break;
        case 5: // duplicate a range
          b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + this.int(64)), b.subarray(at)]);
          break;
        case 6: // truncate
          b = b.subarray(0, at);
          break;
        default: {
          // splice in part of another input
          const o = this.pick(others);
          const from = this.int(o.length + 1);
          b = Buffer.concat([b.subarray(0, at), o.subarray(from, from + this.int(256))]);
        }
      }
    }
    return b;
  }

  /** 1-4 rounds of text mutation: syntax tokens, deletions, duplications, splices from other seeds. */
  mutateText(src: string, others: readonly string[]): string {
    let s = src;
    const rounds = 1 + this.int(4);
    for (let r = 0; r < rounds; r++) {
      const at = this.int(s.length + 1);
      switch (this.int(5)) {
        case 0:
          s = s.slice(0, at) + this.pick(TOKENS) + s.slice(at);
          break;
        case 1:
          s = s.slice(0, at) + s.slice(at + 1 + this.int(16));
          break;
        case 2:
          s = s.slice(0, at) + s.slice(at, at + 1 + this.int(32)) + s.slice(at);
          break;
        case 3:
          s = s.slice(0, at) + String.fromCharCode(this.int(0x10000)) + s.slice(at + 1);
          break;
        default: {
          const o = this.pick(others);
          const from = this.int(o.length + 1);
          s = s.slice(0, at) + o.slice(from, from + this.int(64)) + s.slice(at + this.int(8));
        }
      }
    }
    return s;
  }

  /** Push sizes: mostly a few hundred bytes, sometimes tiny, as sockets deliver. */
  chunk(): number {
    return 1 + this.int(this.rand() < 0.3 ? 8 : 600);
  }
}

function coded(target: string, input: Uint8Array, e: unknown): string {
  if (e instanceof ProtocolError && CODE.test(e.code)) return e.code;
  throw new Crash(target, input, e);
}

interface Count {
  messages: number;
}

/** Runs `body`; a coded error ends the input (its code is the outcome), anything else is a Crash. */
function guarded(target: string, input: Uint8Array, body: (st: Count) => void): Outcome {
  const st: Count = { messages: 0 };
  try {
    body(st);
    return { messages: st.messages };
  } catch (e) {
    return { messages: st.messages, code: coded(target, input, e) };
  }
}

/** Feeds `input` in random chunks, as a socket would, draining every item after each push. */
function drain<M>(
  f: Fuzzer,
  input: Uint8Array,
  st: Count,
  push: (b: Uint8Array) => void,
  next: () => M | undefined,
  onItem: (m: M) => void = () => {},
): void {
  let at = 0;
  while (at < input.length) {
    const n = f.chunk();
    push(input.subarray(at, at + n));
    at += n;
    for (let m = next(); m !== undefined; m = next()) {
      st.messages++;
      onItem(m);
    }
  }
}

/** Syncproto StreamDecoder (gob, and snappy + gob), following DecoderRestarts. */
export function runStream(f: Fuzzer, input: Uint8Array, mode: '' | 'snappy'): Outcome {
  const d = new StreamDecoder();
  if (mode === 'snappy') d.restart('snappy');
  return guarded(mode === '' ? 'stream-plain' : 'stream-snappy', input, (st) => {
    drain(
      f,
      input,
      st,
      (b) => d.push(b),
      () => d.next(),
      (m) => {
        // A bound no legitimate input this small can reach: a loop here would be a hang.
        if (st.messages > 100_000) throw new Error('decoder keeps returning messages: hang');
        if (m.type === 'DecoderRestart') d.restart(m.compressionAlgorithm === 'snappy' ? 'snappy' : '');
      },
    );
    d.finish();
  });
}

const GENERIC_REGISTRY = TypeRegistry.withBasics().register(
  'main.Inner',
  T.struct('Inner', [T.field('A', T.int)]),
);

/** The gob decoder with no local types (every wire shape decoded generically). */
export function runGeneric(f: Fuzzer, input: Uint8Array): Outcome {
  const d = new GobDecoder({ registry: GENERIC_REGISTRY });
  return guarded('gob-generic', input, (st) => {
    drain(
      f,
      input,
      st,
      (b) => d.push(b),
      () => d.next(),
    );
    d.finish();
  });
}

/** The snappy frame reader alone (framing, CRC, block decompression). */
export function runFrames(f: Fuzzer, input: Uint8Array): Outcome {
  const q = new ByteQueue();
  const r = new FrameReader(q);
  return guarded('snappy', input, (st) => {
    drain(
      f,
      input,
      st,
      (b) => q.push(b),
      () => r.nextChunk(),
    );
    r.finish();
    if (f.int(4) === 0) unframe(input); // the one-shot path on the same bytes
  });
}

const utf8 = new TextEncoder();

/**
 * The agent's key and value parsers on a mutated key/value pair: parseKey returns a key or null,
 * decodeValue a result; neither may throw. `messages` is 1 when the value decoded.
 */
export function runKV(key: string, value: string): Outcome {
  try {
    const k = parseKey(key);
    if (k === null) return { messages: 0, code: 'KEY_REFUSED' };
    const r = decodeValue(k, key, value);
    return r.ok ? { messages: 1 } : { messages: 0, code: 'VALUE_REFUSED' };
  } catch (e) {
    throw new Crash('kv', utf8.encode(`${key}\n${value}`), e);
  }
}

export const TARGETS = ['stream-plain', 'stream-snappy', 'gob-generic', 'snappy', 'kv'] as const;
export type Target = (typeof TARGETS)[number];

type Run = (f: Fuzzer, seeds: Seeds, bytes: (input: Uint8Array) => Uint8Array) => Outcome;

/** Per target: how an input is generated from the seeds, and which runner takes it. */
const RUNS: Readonly<Record<Target, Run>> = {
  'stream-plain': (f, seeds, bytes) =>
    runStream(f, bytes(f.int(10) === 0 ? f.noise(512) : f.mutate(f.pick(seeds.plain), seeds.all)), ''),
  'stream-snappy': (f, seeds, bytes) => {
    const kind = f.int(10);
    const input =
      kind === 0
        ? f.noise(512)
        : kind === 1
          ? Buffer.concat([seeds.snappy[0]!.subarray(0, 10), f.noise(300)])
          : kind === 2
            ? frame(f.mutate(f.pick(seeds.plain), seeds.all)) // valid framing around bad gob
            : f.mutate(f.pick(seeds.snappy), seeds.all);
    return runStream(f, bytes(input), 'snappy');
  },
  'gob-generic': (f, seeds, bytes) => runGeneric(f, bytes(f.mutate(f.pick(seeds.generic), seeds.generic))),
  snappy: (f, seeds, bytes) => {
    const kind = f.int(4);
    const input = kind === 0 ? frame(f.noise(2048)) : f.mutate(f.pick(seeds.snappy), seeds.snappy);
    return runFrames(f, bytes(input));
  },
  kv: (f, seeds, bytes) => {
    const s = f.pick(seeds.kvs);
    const which = f.int(3); // 0: mutate the key, 1: the value, 2: both
    const key = which === 1 ? s.key : f.mutateText(s.key, seeds.kvKeys);
    const value = which === 0 ? s.value : f.mutateText(s.value, seeds.kvValues);
    bytes(utf8.encode(`${key}\n${value}`));
    return runKV(key, value);
  },
};

/**
 * One generated input for `target`, run; returns its outcome (throws Crash on a bug). `onInput`
 * sees each input before it runs (the long runner keeps it, to report an input that never returns).
 */
export function fuzzOne(
  f: Fuzzer,
  seeds: Seeds,
  target: Target,
  onInput: (input: Uint8Array) => void = () => {},
): Outcome {
  return RUNS[target](f, seeds, (input) => (onInput(input), input));
}
