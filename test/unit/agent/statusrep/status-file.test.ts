// Endpoint status files (agent/statusrep): names and content as Felix v3.32.1 writes them (vectors printed
// by Go 1.19's url.PathEscape and json.Marshal of epstatusfile.WorkloadEndpointStatus), which files are due
// after which apply (tracker.ts), and the writer (file-reporter.ts) on a real temporary directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EndpointStatusFileReporter,
  EndpointStatusTracker,
  defaultBackoff,
  goPathEscape,
  nodeStatusFs,
  renderStatus,
  statusFilename,
  type StatusFs,
} from '../../../../agent/statusrep/index.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Polls until `cond` holds (the reporter's retries run on timers); throws naming `what` if it never does. */
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error(`never happened: ${what}`);
}

const listing = (dir: string): string[] => {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
};

test('url.PathEscape and the file name (names.WorkloadEndpointKeyToStatusFilename)', () => {
  const vectors: Array<[string, string]> = [
    ['default/pod-1', 'default%2Fpod-1'],
    ['a b', 'a%20b'],
    ['x;y,z?w', 'x%3By%2Cz%3Fw'],
    ['$&+:=@', '$&+:=@'],
    ["ü!*'()%~._-", '%C3%BC%21%2A%27%28%29%25~._-'],
    ['k8s', 'k8s'],
  ];
  for (const [s, want] of vectors) assert.equal(goPathEscape(s), want, s);
  assert.equal(
    statusFilename({ orchestratorId: 'k8s', workloadId: 'default/web-0', endpointId: 'eth0' }),
    'k8s default%2Fweb-0 eth0',
  );
});

test('the content is json.Marshal of WorkloadEndpointStatus', () => {
  assert.equal(
    renderStatus({
      ifaceName: 'cali1a2b3c4d5e6',
      mac: 'ee:ee:ee:ee:ee:ee',
      ipv4Nets: ['10.65.0.2/32'],
      ipv6Nets: ['fd00::2/128'],
    }),
    '{"ifaceName":"cali1a2b3c4d5e6","mac":"ee:ee:ee:ee:ee:ee","ipv4Nets":["10.65.0.2/32"],"ipv6Nets":["fd00::2/128"]}',
  );
  assert.equal(
    renderStatus({ ifaceName: 'a<b>&c', bgpPeerName: 'p\u2028' }),
    '{"ifaceName":"a\\u003cb\\u003e\\u0026c","bgpPeerName":"p\\u2028"}',
  );
  assert.equal(renderStatus({ ipv4Nets: [], ipv6Nets: [] }), '{}');
});

const ID = (pod: string) => ({ orchestratorId: 'k8s', workloadId: `default/${pod}`, endpointId: 'eth0' });
const wep = (pod: string, state = 'active', nets = ['10.65.0.2/32']): ToDataplane => ({
  kind: 'workloadEndpointUpdate',
  id: ID(pod),
  endpoint: { state, name: `cali-${pod}`, profileIds: [], ipv4Nets: nets, ipv6Nets: [], tiers: [] },
});

test('tracker: a change is due once an apply covered its message; inactive and removed endpoints have no file', () => {
  const t = new EndpointStatusTracker();
  t.onMessages([{ kind: 'inSync' }, wep('a'), wep('b', 'inactive')]);
  assert.equal(t.received, 3);
  assert.equal(t.programmed(1), false, 'the apply covered only the first message');
  assert.deepEqual([...t.files().keys()], []);
  assert.equal(t.programmed(3), true);
  assert.deepEqual(
    [...t.files()],
    [['k8s default%2Fa eth0', '{"ifaceName":"cali-a","ipv4Nets":["10.65.0.2/32"]}']],
  );
  t.onMessages([
    wep('a', 'active', ['10.65.0.3/32']),
    { kind: 'workloadEndpointRemove', id: ID('a') },
    wep('b'),
  ]);
  assert.equal(t.programmed(4), true, 'new addresses rewrite the file');
  assert.equal(t.files().get('k8s default%2Fa eth0'), '{"ifaceName":"cali-a","ipv4Nets":["10.65.0.3/32"]}');
  assert.equal(t.programmed(6), true);
  assert.deepEqual([...t.files().keys()], ['k8s default%2Fb eth0']);
  assert.equal(t.programmed(6), false, 'nothing new');
});

test('Felix back-off: 50 ms, 500 ms, then 5 s', () => {
  const b = defaultBackoff();
  assert.deepEqual([b(), b(), b(), b(), b()], [50, 500, 5000, 5000, 5000]);
});

/** node:fs with a log of the operations, and a switch to make writes fail. */
function recordingFs(): { fs: StatusFs; ops: string[]; failWrites: { n: number } } {
  const ops: string[] = [];
  const failWrites = { n: 0 };
  const base = (p: string) => p.split('/').at(-1)!;
  const fs: StatusFs = {
    mkdir: async (p, m) => {
      ops.push(`mkdir ${base(p)} ${m.toString(8)}`);
      await nodeStatusFs.mkdir(p, m);
    },
    readdir: (p) => nodeStatusFs.readdir(p),
    readFile: (p) => nodeStatusFs.readFile(p),
    writeFile: async (p, d, m) => {
      if (failWrites.n > 0) {
        failWrites.n--;
        ops.push('write failed');
        throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
      }
      ops.push(`write ${base(p).startsWith('.tmp-') ? '<tmp>' : base(p)} ${m.toString(8)}`);
      await nodeStatusFs.writeFile(p, d, m);
    },
    rename: async (a, b) => {
      ops.push(`rename ${base(a).startsWith('.tmp-') ? '<tmp>' : base(a)} -> ${base(b)}`);
      await nodeStatusFs.rename(a, b);
    },
    unlink: async (p) => {
      ops.push(`unlink ${base(p)}`);
      await nodeStatusFs.unlink(p);
    },
  };
  return { fs, ops, failWrites };
}

test('reporter: nothing before in sync; then the directory is made, stale files go, files are renamed into place', async () => {
  const prefix = mkdtempSync(join(tmpdir(), 'fts-status-'));
  try {
    const { fs, ops } = recordingFs();
    const r = new EndpointStatusFileReporter({ prefix, log: quiet, fs, reapplyMs: 60_000 });
    const files = new Map([['k8s default%2Fa eth0', '{"ifaceName":"cali-a"}']]);
    r.update(files, false);
    await r.settled();
    assert.deepEqual(ops, [], 'not in sync: the disk is not touched');
    r.update(files, true);
    await r.settled();
    assert.deepEqual(ops, [
      'mkdir endpoint-status 755',
      'write <tmp> 644',
      'rename <tmp> -> k8s default%2Fa eth0',
    ]);
    const dir = join(prefix, 'endpoint-status');
    assert.deepEqual(readdirSync(dir), ['k8s default%2Fa eth0']);
    assert.equal(readFileSync(join(dir, 'k8s default%2Fa eth0'), 'utf8'), '{"ifaceName":"cali-a"}');
    assert.equal(statSync(join(dir, 'k8s default%2Fa eth0')).mode & 0o777, 0o644 & ~process.umask());
    ops.length = 0;
    r.update(new Map(), true);
    await r.settled();
    assert.deepEqual(ops, ['unlink k8s default%2Fa eth0']);
    assert.deepEqual(readdirSync(dir), []);
    await r.stop();
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('reporter: a restart keeps matching files (compared by value), rewrites changed ones, removes the rest', async () => {
  const prefix = mkdtempSync(join(tmpdir(), 'fts-status-'));
  try {
    const dir = join(prefix, 'endpoint-status');
    mkdirSync(dir);
    // As Felix (or an earlier run) left them: same status with other key order, an outdated one, a stale one.
    writeFileSync(
      join(dir, 'k8s default%2Fa eth0'),
      '{"ipv4Nets":["10.65.0.2/32"],"ifaceName":"cali-a","extra":1}',
    );
    writeFileSync(join(dir, 'k8s default%2Fb eth0'), '{"ifaceName":"cali-b","ipv4Nets":["10.0.0.9/32"]}');
    writeFileSync(join(dir, 'k8s default%2Fgone eth0'), 'not json');
    mkdirSync(join(dir, 'subdir'));
    const { fs, ops } = recordingFs();
    const r = new EndpointStatusFileReporter({ prefix, log: quiet, fs, reapplyMs: 60_000 });
    r.update(
      new Map([
        ['k8s default%2Fa eth0', '{"ifaceName":"cali-a","ipv4Nets":["10.65.0.2/32"]}'],
        ['k8s default%2Fb eth0', '{"ifaceName":"cali-b","ipv4Nets":["10.65.0.3/32"]}'],
      ]),
      true,
    );
    await r.settled();
    assert.deepEqual(ops, [
      'write <tmp> 644',
      'rename <tmp> -> k8s default%2Fb eth0',
      'unlink k8s default%2Fgone eth0',
    ]);
    assert.deepEqual(readdirSync(dir).sort(), ['k8s default%2Fa eth0', 'k8s default%2Fb eth0', 'subdir']);
    await r.stop();
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('reporter: a failed write is retried on the back-off from a fresh read; a missing prefix is retried too', async () => {
  const prefix = mkdtempSync(join(tmpdir(), 'fts-status-'));
  try {
    const warns: string[] = [];
    const log = { ...quiet, warn: (m: string) => warns.push(m) };
    const { fs, ops, failWrites } = recordingFs();
    failWrites.n = 2;
    const delays: number[] = [];
    const backoff = () => () => (delays.push(1), 1);
    const r = new EndpointStatusFileReporter({ prefix, log, fs, reapplyMs: 60_000, backoff });
    r.update(new Map([['k8s default%2Fa eth0', '{}']]), true);
    // (The temporary file can be listed for a moment before its rename: wait for the real name.)
    const there = (dir: string) => listing(dir).includes('k8s default%2Fa eth0');
    await until('the file after two failed writes', () => there(join(prefix, 'endpoint-status')));
    assert.deepEqual(readdirSync(join(prefix, 'endpoint-status')), ['k8s default%2Fa eth0']);
    assert.deepEqual(
      ops.filter((o) => o !== 'mkdir endpoint-status 755'),
      ['write failed', 'write failed', 'write <tmp> 644', 'rename <tmp> -> k8s default%2Fa eth0'],
    );
    assert.equal(delays.length, 2, 'one back-off step per failed pass');
    assert.ok(
      warns.includes(
        'Encountered one or more errors while reconciling endpoint status dir. Queueing retry...',
      ),
    );
    await r.stop();

    // The prefix itself is missing: Felix's os.Mkdir fails until it exists.
    const missing = join(prefix, 'absent');
    const r2 = new EndpointStatusFileReporter({
      prefix: missing,
      log,
      fs: nodeStatusFs,
      reapplyMs: 60_000,
      backoff,
    });
    r2.update(new Map([['k8s default%2Fa eth0', '{}']]), true);
    await r2.settled();
    const resync = 'Encountered an error while resyncing state with kernel. Queueing retry...';
    assert.ok(warns.includes(resync));
    await until('a few retries', () => delays.length >= 6);
    assert.equal(warns.filter((w) => w === resync).length, 1, 'the same error again is not another warning');
    mkdirSync(missing);
    await until('the file once the prefix exists', () => there(join(missing, 'endpoint-status')));
    assert.deepEqual(readdirSync(join(missing, 'endpoint-status')), ['k8s default%2Fa eth0']);
    await r2.stop();
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});
